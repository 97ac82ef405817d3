"""How much of a predictive spread is chance: the variance split into the model's randomness and the posterior's.

Used for the headline over a posterior (``variance.csv``, written by ``sim.analysis.headline_posterior``) and for each
recorded prediction of a replay over a posterior (``python -m sim.analysis.variance_parts REPLAY``).

Over the posterior (``sim.analysis.headline_posterior``), replication ``r`` of a design point runs the ``r``-th
parameter set drawn from the posterior by weight with the ``r``-th seed. Draws are made with replacement, so the
heavier particles come up more than once, each time with another seed. The spread of a measure among the runs of
one parameter set is the model's own randomness (how the same raids on the same region play out with other luck),
and it is what would remain if the parameters were known exactly; the rest of the predictive variance is the
parameters' uncertainty, which better data could narrow.

The split is the one-way random-effects analysis of variance with unequal group sizes (Searle, Casella & McCulloch
1992, ch. 3), a group being one parameter set:

- the **predictive variance** is the sample variance of all the point's runs (each run is one draw from the
  predictive distribution);
- the **noise variance** is the pooled within-set variance, ``sum_g (n_g - 1) s_g^2 / sum_g (n_g - 1)`` over the
  sets run more than once; it leans on the heavier particles, so it assumes the noise is about the same across the
  posterior (a measured variance, not a model of it);
- the **noise share** is their ratio; by chance it can exceed 1 when the parameters matter little.

The interval of the share is a cluster bootstrap (Davison & Hinkley 1997, section 3.8): parameter sets are resampled
with replacement, each with all its runs, and the share recomputed; percentile interval, with a fixed generator so the
table is the same bytes every time. The share is undefined (NaN) when no set ran twice, and unstable when few did:
``df_within`` (the within-set degrees of freedom) says how much it rests on; the relative standard error of a
variance from ``d`` degrees of freedom is about ``sqrt(2 / d)`` (0.22 at 41).

Variances follow the tails: a ratio measure with a few extreme runs (people held after a shock over before, where
"before" is small) can show a share far above 1 that says more about two runs than about chance. So the same split is
also made on the runs' normal scores (Blom's ``(rank - 3/8) / (n + 1/4)`` quantiles of the standard normal; ties take
their mean rank), which any increasing transformation of the measure leaves unchanged: ``noise_share_ranked`` and its
interval. Where the two agree the split does not hang on the tails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.posterior import DRAW_PREFIX

#: Bootstrap resamples per design point, and the seed of their generator (fixed: same input, same table).
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20_221_015
LEVEL = 0.9


def group_statistics(values: np.ndarray, groups: np.ndarray) -> dict[str, np.ndarray]:
    """Per group: its runs, the sum and sum of squares of its values, and its within-group sum of squared deviations."""
    codes, inverse = np.unique(groups, return_inverse=True)
    n = np.bincount(inverse, minlength=len(codes)).astype(float)
    total = np.bincount(inverse, weights=values, minlength=len(codes))
    means = total / n
    deviation = values - means[inverse]
    return {"n": n, "sum": total, "sumsq": np.bincount(inverse, weights=values * values, minlength=len(codes)),
            "ss": np.bincount(inverse, weights=deviation * deviation, minlength=len(codes))}


def _parts(stats: dict[str, np.ndarray], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predictive variance, noise variance) of the sample that takes group g ``counts[..., g]`` times."""
    n = counts @ stats["n"]
    s = counts @ stats["sum"]
    q = counts @ stats["sumsq"]
    df = counts @ (stats["n"] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = (q - s * s / n) / (n - 1)
        noise = (counts @ stats["ss"]) / df
    return total, np.where(df > 0, noise, np.nan)


def split_variance(values: np.ndarray, groups: np.ndarray, rng: np.random.Generator, boot: int = BOOTSTRAP,
                   level: float = LEVEL) -> dict[str, float]:
    """The split of ``values`` (one per run) by ``groups`` (the run's parameter set): variances, the noise share and its
    cluster-bootstrap interval. NaN where undefined (fewer than two runs, or no group with two runs)."""
    ok = np.isfinite(values)
    values, groups = values[ok], groups[ok]
    stats = group_statistics(values, groups)
    sets, repeated = len(stats["n"]), int((stats["n"] > 1).sum())
    df = float((stats["n"] - 1).sum())
    total, noise = (float(v[0]) for v in _parts(stats, np.ones((1, sets))))
    share, low, high = (noise / total if total > 0 else float("nan")), float("nan"), float("nan")
    if repeated and sets > 1 and boot > 0:
        picks = rng.integers(0, sets, size=(boot, sets))
        counts = np.zeros((boot, sets))
        np.add.at(counts, (np.arange(boot)[:, None], picks), 1.0)
        b_total, b_noise = _parts(stats, counts)
        with np.errstate(invalid="ignore", divide="ignore"):
            b_share = b_noise / b_total
        b_share = b_share[np.isfinite(b_share)]
        if b_share.size:
            tail = (1 - level) / 2
            low, high = (float(v) for v in np.quantile(b_share, [tail, 1 - tail]))
    return {"replications": len(values), "parameter_sets": sets, "repeated_sets": repeated, "df_within": df,
            "predictive_variance": total, "noise_variance": noise, "noise_sd": float(np.sqrt(noise)) if noise == noise else noise,
            "noise_share": share, "noise_share_low": low, "noise_share_high": high}


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Blom's normal scores of ``values`` (ties get their mean rank): the same for any increasing transformation of them."""
    from scipy.stats import norm, rankdata

    return norm.ppf((rankdata(values) - 0.375) / (len(values) + 0.25)) if len(values) else np.asarray(values, dtype=float)


def split_both(values: np.ndarray, groups: np.ndarray, boot: int = BOOTSTRAP, level: float = LEVEL) -> dict[str, float]:
    """``split_variance`` of the values, and its share on their normal scores (``noise_share_ranked`` and interval),
    each bootstrap from a generator started at ``BOOTSTRAP_SEED``."""
    ok = np.isfinite(values)
    out = split_variance(values[ok], groups[ok], np.random.default_rng(BOOTSTRAP_SEED), boot, level)
    ranked = split_variance(normal_scores(values[ok]), groups[ok], np.random.default_rng(BOOTSTRAP_SEED), boot, level)
    return {**out, **{f"noise_share_ranked{k[len('noise_share'):]}": ranked[k]
                      for k in ("noise_share", "noise_share_low", "noise_share_high")}}


def variance_parts(wide: pd.DataFrame, by: list[str], measure: str, boot: int = BOOTSTRAP, level: float = LEVEL) -> pd.DataFrame:
    """``split_both`` of ``measure`` at every design point (``by``) of a sweep over a posterior (``wide`` results).

    A run's parameter set is its drawn values (every ``posterior.NAME`` column, calibrated and marginalised): two runs
    share a set when every drawn value is the same. Each point's bootstrap starts a generator from the same fixed seed,
    so the table is the same bytes whenever the same results are read, and two points with the same runs (root causes,
    which makes no raids, at every raid rate) get the same interval.
    """
    cols = [c for c in wide.columns if c.startswith(DRAW_PREFIX)]
    if not cols:
        raise ValueError("the results hold no drawn parameters (posterior.* columns): the sweep ran without a posterior")
    rows = wide[wide["role"] == "policy"] if "role" in wide else wide
    out = []
    for key, frame in rows.groupby(by, sort=True, dropna=False):
        point = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        groups = pd.MultiIndex.from_frame(frame[cols]).factorize()[0]
        values = frame[measure].to_numpy(float) if measure in frame else np.full(len(frame), np.nan)
        out.append({**point, "measure": measure, **split_both(values, groups, boot, level)})
    return pd.DataFrame(out)


def prediction_parts(replay_dir: str | Path, record_path: str | Path | None = None, boot: int = BOOTSTRAP,
                     level: float = LEVEL) -> pd.DataFrame:
    """``split_both`` of every recorded observation's measure over a replay's replications (``scamsim replay`` with a
    posterior: ``per_replication.csv`` and ``draws.csv``), one row per observation of the record, in its order.

    It says which predictions could tell parameter sets apart: where the predictive spread is mostly chance, a better
    fit of the parameters barely moves the prediction, and the observation tests the mechanisms and their randomness,
    not the calibration. Observations with no measure (kind ``none``) get NaN.
    """
    from sim.analysis.prediction import RECORD, PredictionError, check_against, load_record, read_replications

    folder = Path(replay_dir)
    frame = read_replications(folder)
    draws_path = folder / "draws.csv"
    if not draws_path.is_file():
        raise PredictionError([f"{draws_path}: missing; the replay ran without a posterior, so every replication has "
                               "the same parameters and there is nothing to split"])
    draws = pd.read_csv(draws_path)
    drawn = [c for c in draws.columns if c not in ("replication", "seed")]
    if "replication" not in draws.columns or not drawn:
        raise PredictionError([f"{draws_path}: needs a 'replication' column and one column per drawn parameter"])
    set_of = dict(zip(draws["replication"], pd.MultiIndex.from_frame(draws[drawn]).factorize()[0], strict=True))
    record = load_record(record_path if record_path is not None else RECORD)
    check_against(record, frame, str(folder / "per_replication.csv"))
    rows = []
    for obs in record:
        sel = frame[(frame["shock"] == obs.shock) & (frame["measure"] == obs.measure)].sort_values("replication")
        unknown = sorted(set(sel["replication"]) - set(set_of))
        if unknown:
            raise PredictionError([f"{draws_path}: replication {unknown[0]} of per_replication.csv has no parameter set"])
        groups = np.array([set_of[r] for r in sel["replication"]], dtype=np.int64)
        parts = split_both(sel["value"].to_numpy(float), groups, boot, level)
        rows.append({"id": obs.id, "shock": obs.shock, "measure": obs.measure, **parts})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.analysis.variance_parts REPLAY [--record FILE] [--out FILE]``: the split of every recorded
    prediction (the headline's split is written by ``python -m sim.analysis.headline_posterior``)."""
    import argparse
    import sys

    from sim.analysis.prediction import PredictionError
    from sim.common.files import atomic_write

    parser = argparse.ArgumentParser(prog="python -m sim.analysis.variance_parts",
                                     description="How much of each prediction's spread is chance (a replay over a posterior)")
    parser.add_argument("replay", help="a folder written by scamsim replay --posterior (per_replication.csv, draws.csv)")
    parser.add_argument("--record", help="the observations (default: the shipped experiments/observed_2023_2026.toml)")
    parser.add_argument("--out", help="CSV to write (default: print the table)")
    args = parser.parse_args(argv)
    try:
        table = prediction_parts(args.replay, args.record)
    except PredictionError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    text = table.to_csv(index=False, float_format="%.6g")
    if args.out:
        atomic_write(Path(args.out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(args.out)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
