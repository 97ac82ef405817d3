"""ABC-SMC with pyabc: the posterior over the spec's parameters given its observed statistics.

Why ABC-SMC and pyabc (not neural posterior estimation with ``sbi``) is measured in docs/calibration.md. The
distance is the Euclidean norm of ``(simulated - observed) / scale`` over the statistics, ``scale`` being each
observation's declared uncertainty, so an ABC acceptance at distance ``eps`` reads as "every statistic within
about ``eps`` of its observation's uncertainty". Tolerances shrink generation by generation (pyabc's median
epsilon); the run stops after the spec's number of generations.

Parameters live on the unit cube (``prior``); pyabc sees them as ``p0, p1, ...`` with uniform(0, 1) priors, or
with ``space = "logit"`` as the logits of those quantiles with standard logistic priors (the same prior: the
logistic function of a standard logistic variable is uniform on (0, 1)), and the posterior is mapped back to
values. With one worker the run is reproducible from the seed; with several,
pyabc's worker processes draw their own seeds, so two runs agree in distribution only.
"""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.inference.prior import Prior
from sim.analysis.inference.simulator import NUISANCE, Simulator
from sim.analysis.inference.spec import SPACES, TRANSITIONS


class LibraryMissing(RuntimeError):
    """pyabc is not installed (it is the optional ``calibrate`` extra)."""


def _pyabc() -> Any:
    try:
        import pyabc
    except ImportError as exc:
        raise LibraryMissing("the calibration needs pyabc: pip install -e '.[calibrate]' (the optional 'calibrate' extra)") from exc
    return pyabc


@dataclass(frozen=True)
class ScaledDistance:
    """Euclidean distance of the statistics, each divided by its observation's uncertainty (NaN is infinitely far)."""

    scales: tuple[tuple[str, float], ...]

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        total = 0.0
        for name, scale in self.scales:
            d = (float(x[name]) - float(x0[name])) / scale
            if not math.isfinite(d):
                return math.inf
            total += d * d
        return math.sqrt(total)


@dataclass(frozen=True)
class _Model:
    """pyabc's parameters ``p0, p1, ...`` -> the simulator's named quantiles."""

    simulator: Simulator
    logit: bool = False  # pyabc's parameters are logits of the quantiles

    def __call__(self, par: dict[str, float]) -> dict[str, float]:
        names = self.simulator.prior.names
        u = np.array([par[f"p{k}"] for k in range(len(names))], float)
        if self.logit:
            u = to_unit(u)
        return self.simulator({name: float(u[k]) for k, name in enumerate(names)})


def to_unit(x: np.ndarray) -> np.ndarray:
    """The logistic function: a logit back to its quantile in (0, 1) (0 or 1 only where floats round there)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


@dataclass
class Posterior:
    samples: pd.DataFrame  # one row per particle: parameter values, quantile columns u:NAME, weight
    generations: pd.DataFrame  # t, epsilon, simulations, particles, effective_sample_size
    simulations: int
    seconds: float
    cpu_seconds: float
    generation: int = -1  # the generation the samples are (t); -1: the last one

    @property
    def epsilon(self) -> float | None:
        """The tolerance of the posterior's generation (None if no generation ran)."""
        if not len(self.generations):
            return None
        rows = self.generations if self.generation < 0 else self.generations[self.generations["t"] == self.generation]
        return float(rows["epsilon"].iloc[-1])

    @property
    def effective_sample_size(self) -> float:
        """How many independent parameter sets the weighted particles are worth (``effective_sample_size``)."""
        return effective_sample_size(self.samples["weight"].to_numpy(float))

    def interval(self, name: str, mass: float = 0.9) -> tuple[float, float]:
        """The central ``mass`` interval of a parameter's weighted posterior samples."""
        return weighted_quantile(self.samples[name].to_numpy(float), self.samples["weight"].to_numpy(float),
                                 [(1 - mass) / 2, (1 + mass) / 2])


#: Below this share of the particles the effective sample size is reported as low: a tenth of 100-120 particles is
#: about ten parameter sets, too few for a 90% interval's ends (each end would rest on about half a set).
LOW_ESS_SHARE = 0.1


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of importance weights.

    n for equal weights, 1 when one particle carries all the weight. ABC-SMC weights a particle by its prior
    density over the proposal's, and in many dimensions a few particles can take most of the weight: the
    posterior's intervals and every draw from it then rest on that few, whatever the number of particles.
    """
    w = np.asarray(weights, float)
    total = float(w.sum())
    return total * total / float(np.square(w).sum()) if total > 0 else 0.0


def chosen_generation(generations: pd.DataFrame, min_share: float) -> int:
    """The last generation (``t``) whose effective sample size is at least ``min_share`` of its particles.

    With ``min_share`` 0 it is the last generation. The first generation is drawn from the prior with equal
    weights (effective sample size = particles), so some generation always qualifies for a share below 1.
    Later generations have smaller tolerances and, in many dimensions, more uneven weights: the rule trades a
    tighter fit for a posterior that rests on more parameter sets, and is declared before the run.
    """
    ok = generations[generations["effective_sample_size"] >= min_share * generations["particles"] - 1e-9]
    return int(ok["t"].max()) if len(ok) else int(generations["t"].min())


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: list[float]) -> tuple[float, float]:
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    lo, hi = np.interp(q, cdf, x)
    return float(lo), float(hi)


@contextlib.contextmanager
def _sampler(pyabc: Any, workers: int, kind: str) -> Iterator[Any]:
    if workers <= 1:
        yield pyabc.sampler.SingleCoreSampler()
    elif kind == "dask":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield pyabc.sampler.DaskDistributedSampler(dask_client=client)
    else:
        yield pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)


def infer(simulator: Simulator, observed: dict[str, float], scales: dict[str, float], population: int, generations: int,
          seed: int = 1, workers: int = 1, sampler: str = "processes", quiet: bool = True, max_simulations: int = 0,
          transition: str = "kde", min_effective_share: float = 0.0, space: str = "unit") -> Posterior:
    """Run ABC-SMC and return a generation's weighted particles as the posterior: the last one, or with
    ``min_effective_share`` > 0 the last whose effective sample size is at least that share of its particles
    (``chosen_generation``).

    ``max_simulations`` (0: no limit) stops the run after the first generation that brings the simulations
    spent to that number (pyabc checks it between generations), so a budget cap gives a wider posterior
    from fewer generations, never a partial generation.
    """
    if transition not in TRANSITIONS:
        raise ValueError(f"transition = {transition!r} is not one of {', '.join(TRANSITIONS)}")
    if space not in SPACES:
        raise ValueError(f"space = {space!r} is not one of {', '.join(SPACES)}")
    logit = space == "logit"
    pyabc = _pyabc()
    if quiet:
        for name in ("ABC", "pyabc", "Sampler", "Epsilon", "History", "Distance", "Acceptor", "Population", "Transition"):
            logging.getLogger(name).setLevel(logging.WARNING)
    names = simulator.prior.names
    prior = pyabc.Distribution(**{f"p{k}": pyabc.RV("logistic", 0.0, 1.0) if logit else pyabc.RV("uniform", 0.0, 1.0)
                                  for k in range(len(names))})
    distance = ScaledDistance(tuple((s.name, float(scales[s.name])) for s in simulator.statistics))
    t0, c0 = time.time(), time.process_time()
    np.random.seed(seed)  # noqa: NPY002 -- pyabc draws from numpy's global generator
    with tempfile.TemporaryDirectory(prefix="scamsim-abc-") as tmp, _sampler(pyabc, workers, sampler) as smp:
        proposal = getattr(pyabc, TRANSITIONS[transition])()
        abc = pyabc.ABCSMC(_Model(simulator, logit), prior, distance, population_size=population, sampler=smp,
                           transitions=proposal)
        abc.new("sqlite:///" + str(Path(tmp) / "abc.db"), dict(observed))
        limit = {"max_total_nr_simulations": max_simulations} if max_simulations > 0 else {}
        history = abc.run(max_nr_populations=generations, minimum_epsilon=0.0, **limit)
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0].copy()
        dists = {int(t): history.get_distribution(m=0, t=int(t)) for t in pops["t"]}  # read once: weights, then the chosen
        pops["effective_sample_size"] = [effective_sample_size(np.asarray(dists[int(t)][1], float)) for t in pops["t"]]
        gen = chosen_generation(pops, min_effective_share)
        frame, w = dists[gen]
        if simulator.nuisance is not None:  # the marginalised values are in the particles' summary statistics
            particles = history.get_population(t=gen).particles
            frame = pd.DataFrame([dict(p.parameter) for p in particles])
            w = np.array([p.weight for p in particles], float)
            nuisance = np.array([[p.sum_stat[NUISANCE + n] for n in simulator.nuisance.names] for p in particles], float)
        total = int(history.total_nr_simulations)
    u = frame[[f"p{k}" for k in range(len(names))]].to_numpy(float)
    if logit:
        u = to_unit(u)
    if simulator.nuisance is not None:
        u = np.hstack([u, nuisance])
    every = Prior(simulator.ranges)
    all_names = every.names
    values = [every.values(dict(zip(all_names, row, strict=True))) for row in u]
    samples = pd.DataFrame(values, columns=all_names)
    for k, name in enumerate(all_names):
        samples[f"u:{name}"] = u[:, k]
    samples["weight"] = np.asarray(w, float) / float(np.sum(w))
    gens = pops[["t", "epsilon", "samples", "particles", "effective_sample_size"]].rename(columns={"samples": "simulations"})
    gens["effective_sample_size"] = gens["effective_sample_size"].round(2)
    return Posterior(samples.reset_index(drop=True), gens.reset_index(drop=True), total, time.time() - t0,
                     time.process_time() - c0, gen)
