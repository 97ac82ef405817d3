"""A validated experiment: the base parameters, its design points and what each run keeps.

Built by ``sim.experiments.reading`` from an experiment file (or by ``sim.analysis`` from its own
files); ``sim.experiments.plan`` turns it into runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.params.declarations import Params
from sim.params.events import without_policy
from sim.scenario.loader import params_hash

if TYPE_CHECKING:
    from sim.experiments.posterior import Posterior

#: Measures kept when the experiment does not list its own (dotted keys of ``sim.measures.run.summarise``).
DEFAULT_MEASURES = (
    "persistence.persistence_workers",
    "persistence.persistence_revenue",
    "counterfactual.persistence_vs_counterfactual_workers",
    "counterfactual.persistence_vs_counterfactual_revenue",
    "counterfactual.victim_weeks_averted",
    "counterfactual.revenue_averted_usd",
    "displacement.displacement_share",
    "displacement.wdq_buffer",
    "displacement.tne",
    "displacement.herfindahl_last_year",
    "displacement.spread_jurisdictions_last_year",
    "relocation_since_policy.moves",
    "relocation_since_policy.mean_km",
    "relocation_since_policy.median_km",
    "relocation_since_policy.share_cross_border",
    "victims.victim_weeks",
    "victims.victim_weeks_since_policy",
    "end.workers_held",
    "end.compounds",
    "end.operators",
    "enforcement_since_policy.raids",
    "enforcement_since_policy.bosses_arrested",
    "enforcement_since_policy.compounds_dissolved",
    "enforcement_since_policy.capital_seized_usd",
    "enforcement_since_policy.recovery_weeks_region",
)
#: Weekly columns kept per run when the experiment does not list its own.
DEFAULT_SERIES = ("workers_held", "revenue", "compounds", "raids", "relocations")


@dataclass(frozen=True)
class DesignPoint:
    """One combination of parameter values; ``group`` indexes the shared no-policy counterfactual."""

    id: int
    values: tuple[tuple[str, Any], ...]
    group: int

    @property
    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base parameters, design points and what to keep."""

    path: str
    text: str
    sha256: str
    name: str
    description: str
    scenario_path: str
    scenario_sha256: str
    base: Params
    replications: int
    seed: int
    counterfactual: bool
    measures: tuple[str, ...]
    series: tuple[str, ...]
    moves: bool
    parameters: tuple[str, ...]
    points: tuple[DesignPoint, ...]
    groups: tuple[tuple[tuple[str, Any], ...], ...]
    posterior: Posterior | None = None  # experiment.posterior: replication r runs the r-th parameter set drawn from it
    posterior_path: str = ""

    @property
    def weeks(self) -> int:
        return self.base.run.weeks

    def params_for(self, point: DesignPoint) -> Params:
        return self.base.with_values(point.as_dict)

    def counterfactual_for(self, group: int) -> Params:
        """The shared no-policy run of a group: the group's non-policy values, the base policy switched off."""
        p = self.base.with_values(dict(self.groups[group]))
        return without_policy(p)

    def draws(self) -> list[dict[str, float | int]]:
        """The parameter set of each replication (empty dicts without a posterior).

        Drawn by ``posterior_draws(posterior, replications, seed)``, whose draws are a prefix of those of
        more replications (one uniform per draw, in order), so adding replications keeps the earlier ones.
        """
        if self.posterior is None:
            return [{} for _ in range(self.replications)]
        from sim.experiments.posterior import posterior_draws

        return posterior_draws(self.posterior, self.replications, self.seed)

    @property
    def draw_columns(self) -> tuple[str, ...]:
        """Results columns of each run's drawn values (none without a posterior)."""
        if self.posterior is None:
            return ()
        from sim.experiments.posterior import draw_columns

        return draw_columns(self.posterior)

    @property
    def design_sha256(self) -> str:
        """Hash of everything that fixes a run's result except the number of replications.

        A results folder can be resumed, or extended with more replications, only by an experiment
        with the same design hash.
        """
        spec = {
            "base": params_hash(self.base),
            "seed": self.seed,
            "counterfactual": self.counterfactual,
            "measures": list(self.measures),
            "series": list(self.series),
            "moves": self.moves,
            "parameters": list(self.parameters),
            "points": [[[k, _jsonable(v)] for k, v in p.values] for p in self.points],
        }
        if self.posterior is not None:  # only then, so designs without a posterior keep their hash
            spec["posterior"] = self.posterior.sha256
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v
