"""Site-choice test data shared by tests/test_fast_paths.py and tests/test_kernels.py.

Both compare two ways of computing a site choice (the plain formula or the numba kernels against the
numpy fast path) on random layers of a run's magnitudes over the baseline's map, with the same
enforcement and relocation parameters; each draws its own net income and heat, and the rest is built here.
"""

from __future__ import annotations

import functools

import numpy as np
from conftest import BASELINE

from sim.params.declarations import EnforcementParams, RelocationParams
from sim.rules.enforcement import perceived_hazard, shield_factor
from sim.rules.sitelayers import SiteLayers
from sim.scenario.loader import load_scenario
from sim.world.space import Region, build_region

E = EnforcementParams(risk_perception=0.37, protection_shield=0.8)
R = RelocationParams(base_cost=500_000.0, cost_per_km=4000.0, border_cost=500_000.0, logit_beta=1.5, horizon_weeks=26.0,
                     agglomeration=0.2)


@functools.cache
def baseline_region() -> Region:
    """The baseline's 40 x 28 map: six jurisdictions in five countries, with sea (cells outside every jurisdiction)."""
    p = load_scenario(BASELINE).params
    return build_region(p.map, p.run.km_per_cell)


def site_layers(region: Region, rng: np.random.Generator, *, protection: np.ndarray, climate: np.ndarray, heat: np.ndarray,
                net_per_worker: np.ndarray, loss_factor: bool, shield: bool, neg_shield: bool = False) -> SiteLayers:
    """Layers from the caller's draws and, in this order, ``rng``'s for the rest; about a fifth of the land is full.

    ``shield`` and ``neg_shield`` say whether the layers carry the precomputed shield factor and its negation
    (site choice derives them when they are missing).
    """
    n = region.n_cells
    shield_values = shield_factor(protection, E)
    return SiteLayers(
        net_per_worker=net_per_worker,
        fixed_cost=rng.uniform(0, 5000.0, n),
        climate=climate,
        exposure=heat,
        protection=protection,
        labour_access=rng.uniform(0.5, 1.0, n),
        jurisdiction=region.flat_jurisdiction.astype(np.int64),
        open_cell=region.land.ravel() & (rng.random(n) < 0.8),
        agglomeration=rng.uniform(0, 0.5, n),
        base_hazard=perceived_hazard(climate, heat, protection, E),
        loss_factor=rng.uniform(0.3, 1.0, n) if loss_factor else None,
        shield=shield_values if shield else None,
        neg_shield=np.negative(shield_values) if neg_shield else None,
    )
