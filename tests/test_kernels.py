"""The numba site-choice kernels (``sim.rules.kernels``) give exactly the numpy path's choices.

A process may switch from numpy to numba at any site choice (``SCAMSIM_NUMBA_AFTER``), so the two paths
must agree to the bit on every input: the chosen cell, its move cost and expected net (compared as bit
patterns), whether the outside option won, and the state of both random streams afterwards. Checked on
Hypothesis-generated inputs that reach every branch, and on whole runs in subprocesses (numpy only,
numba from the first choice, and a switch in the middle of the run). The numba side is skipped when
numba is not installed (CI installs ``.[test,calibrate]``, not the ``fast`` extra).
"""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitechoice_data import E, R, baseline_region, site_layers

from sim.rules import kernels
from sim.rules.sitechoice import Choice, OutsideOption, choose_site
from sim.rules.sitelayers import SiteLayers, land_view

ROOT = Path(__file__).resolve().parent.parent


def layers_from(seed: int, loss_factor: bool, shield: str, losing_share: float) -> SiteLayers:
    """Finite layers of a run's magnitudes; ``losing_share`` of the cells lose money, about a fifth are full."""
    reg = baseline_region()
    rng = np.random.default_rng(seed)
    n = reg.n_cells
    protection = rng.uniform(0, 0.9, n)
    climate = rng.uniform(0, 0.05, n)
    heat = rng.exponential(0.5, n) * (rng.random(n) < 0.7)  # many cells with no heat at all
    net_per_worker = rng.uniform(50.0, 900.0, n)
    net_per_worker[rng.random(n) < losing_share] *= -1.0
    return site_layers(reg, rng, protection=protection, climate=climate, heat=heat, net_per_worker=net_per_worker,
                       loss_factor=loss_factor, shield=shield != "none", neg_shield=shield == "both")


def bits(choice: Choice) -> tuple:
    """A choice as exact bit patterns (``==`` on floats would let -0.0 match 0.0)."""
    return choice.cell, struct.pack("<dd", choice.move_cost, choice.expected_net), choice.overseas


def choose_both(layers: SiteLayers, seed: int, outside: tuple | None, **kw) -> tuple[tuple, tuple]:
    """The same choice on the numpy path and the compiled one, each from fresh streams in the same state."""
    found = []
    for compiled in (False, True):
        rng = np.random.default_rng(seed)
        away = None if outside is None else OutsideOption(*outside, rng=np.random.default_rng(seed + 1))
        with kernels.forced(compiled):
            choice = choose_site(layers, baseline_region(), rng, r=R, e=E, outside=away, **kw)
        streams = (rng.bit_generator.state, None if away is None else away.rng.bit_generator.state)
        found.append((bits(choice), streams))
    return found[0], found[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    loss_factor=st.booleans(),
    shield=st.sampled_from(["none", "shield", "both"]),
    losing_share=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
    notoriety=st.lists(st.sampled_from([0.0, 0.0, 0.05, 0.4, 2.5]), min_size=6, max_size=6),
    origin=st.sampled_from(["none", "land", "any"]),
    stay=st.sampled_from(["stay", "forced", "new"]),
    workers=st.sampled_from(["scalar", "int", "per_cell"]),
    fixed=st.sampled_from(["float", "array"]),
    capital=st.sampled_from([0.0, 4e5, 1.5e6, 3e6, 1e12]),
    value_at_risk=st.sampled_from([0.0, 2e5, 3e6]),
    outside=st.sampled_from([None, "cheap", "dear", "losing"]),
    view=st.booleans(),
)
def test_both_paths_choose_the_same_on_random_inputs(seed, loss_factor, shield, losing_share, notoriety, origin, stay, workers, fixed,
                                                      capital, value_at_risk, outside, view):
    """``view``: the layers carry a land view (``LandLayers``), which both paths then score through (an origin off land
    falls back to every cell)."""
    pytest.importorskip("numba")
    reg = baseline_region()
    layers = layers_from(seed, loss_factor, shield, losing_share)
    if view:
        layers = dataclasses.replace(layers, land=land_view(layers, reg.land_index.cells, reg.land_index.position))
    rng = np.random.default_rng(seed + 2)
    land = np.flatnonzero(reg.land.ravel())
    cell = -1 if origin == "none" else int(rng.choice(land)) if origin == "land" else int(rng.integers(reg.n_cells))
    per_cell = workers == "per_cell"
    kw = dict(
        workers=rng.uniform(20, 400, reg.n_cells) if per_cell else 7 if workers == "int" else float(rng.uniform(20, 400)),
        notoriety=np.array(notoriety),
        capital=capital,  # some below the dearest moves (1.5e6, 3e6), none affordable (0.0), all (1e12)
        value_at_risk=value_at_risk,
        origin=cell,
        stay_allowed=stay == "stay",
        leave_origin=stay == "forced",
        fixed_move_cost=900_000.0 if fixed == "float" else rng.uniform(2e5, 9e5, reg.n_cells),
    )
    offers = {"cheap": (300.0, 1000.0, 0.01, 2e5), "dear": (300.0, 1000.0, 0.01, 5e12), "losing": (-50.0, 1000.0, 0.01, 2e5)}
    away = None if outside is None or per_cell else offers[outside]  # the outside option is for one compound
    numpy_side, numba_side = choose_both(layers, seed, away, **kw)
    assert numba_side == numpy_side


def test_a_nan_score_wins_on_both_paths_as_numpy_argmax_says():
    """numpy's argmax returns the first NaN; the kernel's argmax must do the same (a NaN layer value, not a real run's)."""
    pytest.importorskip("numba")
    layers = layers_from(11, loss_factor=False, shield="both", losing_share=0.0)
    open_cells = np.flatnonzero(layers.open_cell)
    layers.agglomeration[open_cells[[5, 9]]] = np.nan
    numpy_side, numba_side = choose_both(layers, 3, None, workers=100.0, notoriety=np.zeros(6), capital=1e12, value_at_risk=2e5,
                                         origin=-1, stay_allowed=False, fixed_move_cost=900_000.0)
    assert numpy_side[0][0] == open_cells[5]
    assert numba_side == numpy_side


def test_the_numpy_path_holds_until_the_set_number_of_choices(monkeypatch):
    monkeypatch.setattr(kernels, "_STATE", [None, None])
    monkeypatch.setenv(kernels.AFTER_ENV, "3")
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    paths = [kernels.numba_kernels() is not None for _ in range(5)]
    assert paths == [False, False, False] + [kernels.available()] * 2


def test_the_switch_off_forces_numpy_for_good(monkeypatch):
    monkeypatch.setattr(kernels, "_STATE", [None, None])
    monkeypatch.setenv(kernels.AFTER_ENV, "0")
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    assert [kernels.numba_kernels() for _ in range(3)] == [None] * 3
    assert not kernels.available()
    with pytest.raises(RuntimeError, match="SCAMSIM_NO_NUMBA"), kernels.forced(True):
        pass


def test_by_default_the_kernels_wait_for_a_batch(monkeypatch):
    """Unset, a process loads numba only after SUGGESTED_AFTER choices: a single run stays on numpy."""
    monkeypatch.setattr(kernels, "_STATE", [None, None])
    monkeypatch.delenv(kernels.AFTER_ENV, raising=False)
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    monkeypatch.setattr(kernels, "SUGGESTED_AFTER", 2)
    paths = [kernels.numba_kernels() is not None for _ in range(4)]
    assert paths == [False, False] + [kernels.available()] * 2
    assert kernels._STATE[1] == kernels._SETTLED


def test_a_bad_switch_count_warns_and_keeps_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "_STATE", [None, None])
    monkeypatch.setenv(kernels.AFTER_ENV, "soon")
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    with pytest.warns(UserWarning, match="SCAMSIM_NUMBA_AFTER='soon'"):
        assert kernels.numba_kernels() is None
    assert kernels.numba_kernels() is None


RUN = r"""
import sys
from pathlib import Path
from sim.core.model import ScamModel
from sim.rules import kernels
from sim.scenario.loader import load_scenario
params = load_scenario(Path(sys.argv[1]), ["run.weeks=30", f"run.burn_in_weeks={sys.argv[3]}"]).params
ScamModel(params, rng=5).run().log.frame().to_pickle(sys.argv[2])
print(kernels._STATE[0] is not None)
"""


@pytest.mark.parametrize(("scenario", "burn_in"), [("baseline_actors.toml", 30), ("mekong_history.toml", 60)])
def test_whole_runs_are_identical_with_and_without_numba(tmp_path, scenario, burn_in):
    """A short actors run, and a history run on the Mekong map (scored through its land view): numpy throughout, numba
    from the first choice, and numba from the 400th (a switch mid-run)."""
    pytest.importorskip("numba")
    frames, used = {}, {}
    for name, env in {"numpy": {kernels.DISABLE_ENV: "1"}, "numba": {kernels.AFTER_ENV: "0"}, "switch": {kernels.AFTER_ENV: "400"}}.items():
        environ = {k: v for k, v in os.environ.items() if k not in (kernels.DISABLE_ENV, kernels.AFTER_ENV)}
        environ.update(env, PYTHONPATH=str(ROOT))
        out = tmp_path / f"{name}.pkl"
        done = subprocess.run([sys.executable, "-c", RUN, str(ROOT / "scenarios" / scenario), str(out), str(burn_in)], env=environ,
                              capture_output=True, text=True, check=True)
        used[name] = done.stdout.strip() == "True"
        frames[name] = pd.read_pickle(out)
    assert used == {"numpy": False, "numba": True, "switch": True}
    assert len(frames["numpy"]) == 30 and frames["numpy"]["compounds"].sum() > 0
    pd.testing.assert_frame_equal(frames["numba"], frames["numpy"], check_exact=True)
    pd.testing.assert_frame_equal(frames["switch"], frames["numpy"], check_exact=True)
