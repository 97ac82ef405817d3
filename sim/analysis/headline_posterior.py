"""The headline integrated over the calibrated posterior: predictive bands and the probability that raids work.

Reads a sweep of ``experiments/douglas_posterior.toml`` (or any experiment file with ``posterior = "..."``),
where replication ``r`` of every design point and of its no-policy counterfactual ran the ``r``-th parameter
set drawn from the posterior with the ``r``-th seed. The spread across replications of a point is then its
**predictive** distribution: it mixes the model's randomness and the uncertainty of the calibrated
parameters, which is what a policy answer has to carry (docs/headline_posterior.md).

Per design point this gives

- the median and the 90% predictive band (5% and 95% quantiles across replications) of the persistence of
  people held and of victim losses against the counterfactual (``counterfactual.persistence_vs_counterfactual_*``,
  the last year's level over the no-policy run's);
- the posterior probability that the policy reduces regional people held by more than 10%: the share of
  replications with ``persistence_vs_counterfactual_workers < 0.9``, with a Jeffreys interval for that share
  (Beta(k + 1/2, n - k + 1/2) quantiles; the lower end is 0 when k = 0 and the upper 1 when k = n, Brown,
  Cai & DasGupta 2001), which says how much more replications would sharpen it.

Per design point it also says **which parameters the answer depends on**: the Spearman rank correlation, across
replications, of each drawn parameter (calibrated or marginalised) with the persistence of people held, with a
90% interval from Fisher's z transform and the standard error 1.06 / sqrt(n - 3) of a rank correlation (Fieller,
Hartley & Pearson 1957). That is the sensitivity analysis of the answer over the posterior: a parameter the 2022
record left open (marginalised, or wide) and that the answer tracks is where the answer is least sure.

``conditional`` then says by how much: the probability of a reduction in the lower and the upper half of each drawn
parameter's values. ``sim.analysis.variance_parts`` says how much of the spread is chance: the share of the predictive
variance that is the model's own randomness (runs of the same parameter set with other seeds), which no better
measurement of the parameters would remove.

``python -m sim.analysis.headline_posterior RESULTS [--out DIR]`` writes bands.csv, reduction_probability.csv,
dependence.csv, conditional.csv, variance.csv, provenance.json (the experiment, posterior and commits the tables come
from) and the figure (bands against raid frequency per policy type).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.variance_parts import variance_parts
from sim.experiments.posterior import DRAW_PREFIX
from sim.experiments.store import Results, StoreError, load_results

HELD = "counterfactual.persistence_vs_counterfactual_workers"
LOSSES = "counterfactual.persistence_vs_counterfactual_revenue"
MEASURES = (HELD, LOSSES)
#: The same ratios counting the operations that went overseas (kept when the sweep records them): a raid that
#: sends a compound abroad reduces regional people held, not the world's.
GLOBAL_HELD = "counterfactual.persistence_vs_counterfactual_global_workers"
GLOBAL_LOSSES = "counterfactual.persistence_vs_counterfactual_global_revenue"
#: A "reduction by more than 10%": people held in the last year below 90% of the no-policy run's.
THRESHOLD = 0.9
LEVEL = 0.9  # the predictive band and the interval of the probability


def jeffreys(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Jeffreys interval for a binomial share k/n (equal tails, with the boundary conventions of Brown et al.)."""
    from scipy.stats import beta

    if n <= 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(tail, k + 0.5, n - k + 0.5))
    high = 1.0 if k == n else float(beta.ppf(1 - tail, k + 0.5, n - k + 0.5))
    return low, high


def _policy_rows(wide: pd.DataFrame) -> pd.DataFrame:
    return wide[wide["role"] == "policy"] if "role" in wide else wide


def bands(wide: pd.DataFrame, by: list[str], measures: tuple[str, ...] = MEASURES, level: float = LEVEL) -> pd.DataFrame:
    """Per design point (``by``) and measure: replications with a defined value, median and the predictive band."""
    tail = (1 - level) / 2
    rows = []
    for key, frame in _policy_rows(wide).groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for m in measures:
            v = frame[m].to_numpy(float) if m in frame else np.array([])
            v = v[np.isfinite(v)]
            q = np.quantile(v, [tail, 0.5, 1 - tail]) if len(v) else [np.nan] * 3
            rows.append({**dict(zip(by, key, strict=True)), "measure": m, "replications": len(v),
                         "q05": float(q[0]), "median": float(q[1]), "q95": float(q[2])})
    return pd.DataFrame(rows)


def reduction_probability(wide: pd.DataFrame, by: list[str], threshold: float = THRESHOLD,
                          level: float = LEVEL, measure: str = HELD) -> pd.DataFrame:
    """Per design point: the share of replications whose people held persist below ``threshold`` of the
    counterfactual (the posterior predictive probability of a reduction by more than 1 - threshold), with a
    Jeffreys interval. Replications whose ratio is undefined (no one held in the counterfactual) are left out."""
    rows = []
    for key, frame in _policy_rows(wide).groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        v = frame[measure].to_numpy(float)
        v = v[np.isfinite(v)]
        n, k = len(v), int((v < threshold).sum())
        low, high = jeffreys(k, n, level)
        rows.append({**dict(zip(by, key, strict=True)), "measure": measure, "replications": n, "reductions": k,
                     "probability": k / n if n else float("nan"), "low": low, "high": high})
    return pd.DataFrame(rows)


def dependence(wide: pd.DataFrame, by: list[str], measure: str = HELD, level: float = LEVEL) -> pd.DataFrame:
    """Per design point and drawn parameter (``posterior.NAME`` columns): Spearman's rank correlation with ``measure``
    across replications, and its interval (Fisher's z, standard error 1.06 / sqrt(n - 3)). Undefined (NaN) with fewer
    than four defined replications or a parameter (or measure) that does not vary."""
    from scipy.stats import norm, spearmanr

    z = float(norm.ppf(0.5 + level / 2))
    rows = []
    for point, name, x, y, ok in _draws_against(wide, by, measure):
        n = int(ok.sum())
        r = low = high = float("nan")
        if n >= 4 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
            r = float(spearmanr(x[ok], y[ok]).statistic)
            half = z * 1.06 / np.sqrt(n - 3)
            centre = np.arctanh(np.clip(r, -0.999999, 0.999999))
            low, high = float(np.tanh(centre - half)), float(np.tanh(centre + half))
        rows.append({**point, "parameter": name, "measure": measure, "replications": n, "spearman": r, "low": low, "high": high})
    return pd.DataFrame(rows)


def conditional(wide: pd.DataFrame, by: list[str], measure: str = HELD, threshold: float = THRESHOLD,
                level: float = LEVEL) -> pd.DataFrame:
    """Per design point and drawn parameter: the probability of a reduction by more than ``1 - threshold`` among the
    replications whose draw of the parameter is below its median there (``lower``) and among the rest (``upper``),
    each with its Jeffreys interval. Where ``dependence`` says the answer tracks a parameter, this says by how much:
    the answer in the two halves of what the posterior allows for it. Undefined (NaN) for a parameter that does not
    vary; a parameter whose draws tie at the median puts the ties in the upper half, so the halves may differ in size.
    Read with ``dependence``: fifteen parameters give fifteen splits a point, and some differ by chance."""
    rows = []
    for point, name, x, y, ok in _draws_against(wide, by, measure):
        # the median of the defined draws; NaN for a constant parameter, which leaves both halves empty (NaN, n = 0)
        split = float(np.median(x[ok])) if ok.any() and np.ptp(x[ok]) > 0 else float("nan")
        row = {**point, "parameter": name, "measure": measure, "median": split}
        for half, mask in (("lower", ok & (x < split)), ("upper", ok & (x >= split))):
            n, k = int(mask.sum()), int((y[mask] < threshold).sum())
            low, high = jeffreys(k, n, level)
            row.update({f"{half}_replications": n, f"{half}_probability": k / n if n else float("nan"),
                        f"{half}_low": low, f"{half}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def _draws_against(wide: pd.DataFrame, by: list[str], measure: str):
    """Per design point (``by``) and drawn parameter (``posterior.NAME`` column): ``(the point's keys, NAME, the
    parameter's draws, the measure, where both are finite)`` across the point's replications."""
    cols = [c for c in wide.columns if c.startswith(DRAW_PREFIX)]
    for key, frame in _policy_rows(wide).groupby(by, sort=True, dropna=False):
        point = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        y = frame[measure].to_numpy(float) if measure in frame else np.full(len(frame), np.nan)
        for c in cols:
            x = frame[c].to_numpy(float)
            yield point, c[len(DRAW_PREFIX):], x, y, np.isfinite(x) & np.isfinite(y)


def summarise_headline(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bands, reduction probabilities) of a sweep, per design point (its varied parameters)."""
    missing = [m for m in MEASURES if m not in results.measure_names]
    if missing:
        raise StoreError(f"{results.path}: the sweep did not keep {', '.join(missing)}; run it with counterfactual = true "
                         f"and the default measures")
    by = list(results.parameters) or ["point"]
    wide = results.wide()
    extra = tuple(m for m in (GLOBAL_HELD, GLOBAL_LOSSES) if m in results.measure_names)
    probs = [reduction_probability(wide, by, measure=m) for m in (HELD, GLOBAL_HELD) if m == HELD or m in extra]
    return bands(wide, by, MEASURES + extra), pd.concat(probs, ignore_index=True)


def band_figure(table: pd.DataFrame, x: str = "policy.raid_frequency", hue: str = "policy.type", title: str = "") -> object:
    """Two panels (people held, victim losses): per ``hue`` the median against ``x`` with its 90% predictive band."""
    import matplotlib.pyplot as plt

    from sim.viz.sweeps import STYLE, measure_label, param_label, value_label

    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
        for ax, m in zip(axes, MEASURES, strict=True):
            t = table[table["measure"] == m]
            for i, (h, f) in enumerate(t.groupby(hue, sort=False) if hue in t else [("", t)]):
                f = f.sort_values(x)
                color = plt.get_cmap("tab10")(i % 10)
                ax.plot(f[x], f["median"], marker="o", color=color, label=value_label(hue, h) if hue in t else None)
                ax.fill_between(f[x], f["q05"], f["q95"], color=color, alpha=0.15, linewidth=0)
            ax.axhline(1.0, color="0.4", linestyle="--", linewidth=0.8)
            ax.axhline(THRESHOLD, color="0.6", linestyle=":", linewidth=0.8) if m == HELD else None
            ax.set_xscale("log")
            ticks = sorted(t[x].dropna().unique())
            ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
            ax.xaxis.set_minor_locator(plt.NullLocator())
            ax.set_xlabel(param_label(x))
            ax.set_title(measure_label(m), fontsize=10)
        axes[0].set_ylabel("last year ÷ no-policy run (median, 90% predictive band)")
        axes[1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.suptitle(title or "The headline over the posterior", fontsize=11)
        fig.tight_layout()
    return fig


def strongest_parameter(dep: pd.DataFrame, policy: str = "case_by_case") -> str | None:
    """The drawn parameter whose rank correlation with the answer under ``policy`` is largest on average (in absolute
    value) over that policy's design points; None when no correlation is defined."""
    rows = dep[dep["policy.type"] == policy] if "policy.type" in dep else dep
    strength = rows.assign(size=rows["spearman"].abs()).groupby("parameter")["size"].mean().dropna()
    return None if strength.empty else str(strength.idxmax())


def conditional_figure(con: pd.DataFrame, prob: pd.DataFrame, parameter: str, policy: str = "case_by_case",
                       x: str = "policy.raid_frequency") -> object:
    """P(regional cut > 10%) against ``x`` under ``policy``: over all draws, and in the lower and upper half of
    ``parameter``'s draws (``conditional``), each with its Jeffreys interval."""
    from sim.viz.sweeps import param_label

    every = _under(prob[prob["measure"] == HELD], policy, x)
    halves = _under(con[(con["measure"] == HELD) & (con["parameter"] == parameter)], policy, x)
    lines = [("all draws", every, "probability", "low", "high", "0.3"),
             (f"{param_label(parameter)}: lower half", halves, "lower_probability", "lower_low", "lower_high", "tab:orange"),
             (f"{param_label(parameter)}: upper half", halves, "upper_probability", "upper_low", "upper_high", "tab:blue")]
    return _probability_figure(lines, every, x, f"{policy}: in each half of the draws of {parameter} (90% Jeffreys intervals)")


def against_figure(prob: pd.DataFrame, other: pd.DataFrame, labels: tuple[str, str], policy: str = "case_by_case",
                   x: str = "policy.raid_frequency") -> object:
    """P(regional cut > 10%) against ``x`` under ``policy`` from two sets of tables (``reduction_probability``), e.g. the
    same experiment over the prior and over the posterior, each with its Jeffreys interval: what the calibration changed."""
    mine, theirs = (_under(t[t["measure"] == HELD], policy, x) for t in (prob, other))
    lines = [(labels[0], mine, "probability", "low", "high", "tab:orange"),
             (labels[1], theirs, "probability", "low", "high", "tab:blue")]
    return _probability_figure(lines, mine, x, f"{policy}: the probability under each set of draws (90% Jeffreys intervals)")


def _under(table: pd.DataFrame, policy: str, x: str) -> pd.DataFrame:
    return (table[table["policy.type"] == policy] if "policy.type" in table else table).sort_values(x)


def _probability_figure(lines: list[tuple], ticks_from: pd.DataFrame, x: str, title: str) -> object:
    """Probability curves (label, table, column, low column, high column, colour) with their bands against ``x`` (log)."""
    import matplotlib.pyplot as plt

    from sim.viz.sweeps import STYLE, param_label

    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 4.4))
        for label, t, mid, low, high, color in lines:
            ax.plot(t[x], t[mid], marker="o", color=color, label=label)
            ax.fill_between(t[x], t[low], t[high], color=color, alpha=0.15, linewidth=0)
        ax.axhline(0.5, color="0.6", linestyle=":", linewidth=0.8)
        ax.set_xscale("log")
        ticks = sorted(ticks_from[x].dropna().unique())
        ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.set_ylim(0, 1)
        ax.set_xlabel(param_label(x))
        ax.set_ylabel("P(people held in the region cut by more than 10%)")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        ax.set_title(title, fontsize=10)
        fig.tight_layout()
    return fig


def distinct_draws(results: Results) -> int:
    """How many different parameter sets the replications drew from the posterior.

    Draws are resampled by weight, so when a few particles carry most of the weight many replications repeat the
    same set: the bands then show the model's randomness at those few sets more than the parameters' uncertainty.
    """
    cols = [c for c in results.measures.columns if c.startswith(DRAW_PREFIX)]
    return len(results.measures[cols].drop_duplicates()) if cols else 0


def provenance(results: Results) -> dict:
    """What the tables were made from, so a copy of them (docs/, a brief) says which posterior and code they belong to.

    No machine-specific path: the experiment and posterior as the experiment file names them, the commits the
    sweep's sessions ran at, the replications and runs, and the library versions.
    """
    m = results.manifest
    post = m.get("posterior") or {}
    sessions = m.get("sessions") or []
    return {
        "experiment": {k: m.get("experiment", {}).get(k) for k in ("name", "path", "sha256")},
        "posterior": {k: post.get(k) for k in ("path", "posterior_csv_sha256", "calibration_code_version", "particles")} if post else None,
        "replications": m.get("replications"),
        "distinct_parameter_sets": distinct_draws(results) if post else None,
        "runs": m.get("runs"),
        "git_commits": sorted({s.get("git_commit") for s in sessions if s.get("git_commit")}),
        "finished": max((s.get("finished") or "" for s in sessions), default=None),
        "versions": m.get("versions"),
        "made_by": "python -m sim.analysis.headline_posterior RESULTS",
    }


def write_headline(results_path: str | Path, out: str | Path | None = None, parameter: str | None = None,
                   against: str | Path | None = None) -> list[Path]:
    """bands.csv, reduction_probability.csv, provenance.json, dependence.csv, conditional.csv and variance.csv (over a posterior),
    headline-bands.png/.svg and, over a posterior with policy types, conditional.png/.svg (the answer in each half of
    ``parameter``, by default the one case-by-case raids track most on average) in ``out`` (default RESULTS/headline).

    ``against``: a folder of tables this command wrote for another sweep of the same design (e.g. the posterior's, for
    a sweep over the prior); against.png/.svg then draws both probability curves, labelled by their posteriors."""
    import json

    from sim.viz.sweeps import save

    results = load_results(results_path)
    other = _other_tables(results, against) if against is not None else None
    if parameter is not None:  # checked before anything is written
        drawn = sorted(c[len(DRAW_PREFIX):] for c in results.wide().columns if c.startswith(DRAW_PREFIX))
        if parameter not in drawn:
            raise StoreError(f"{results.path}: --figure-parameter {parameter!r} is not a drawn parameter; the draws hold "
                             f"{', '.join(drawn) or 'none (the sweep ran without a posterior)'}")
    table, prob = summarise_headline(results)
    folder = Path(out) if out is not None else results.path / "headline"
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "bands.csv", folder / "reduction_probability.csv", folder / "provenance.json"]
    table.to_csv(written[0], index=False, float_format="%.6g")
    prob.to_csv(written[1], index=False, float_format="%.6g")
    if results.manifest.get("posterior"):
        wide, by = results.wide(), list(results.parameters) or ["point"]
        written += [folder / "dependence.csv", folder / "conditional.csv", folder / "variance.csv"]
        dep, con = dependence(wide, by), conditional(wide, by)
        held = [m for m in (HELD, GLOBAL_HELD) if m in results.measure_names]
        parts = pd.concat([variance_parts(wide, by, m) for m in held], ignore_index=True)
        dep.to_csv(written[-3], index=False, float_format="%.6g")
        con.to_csv(written[-2], index=False, float_format="%.6g")
        parts.to_csv(written[-1], index=False, float_format="%.6g")
        top = parameter or strongest_parameter(dep)
        if top is not None and {"policy.raid_frequency", "policy.type"} <= set(by):
            written += save(conditional_figure(con, prob, top), folder / "conditional")
    written[2].write_text(json.dumps(provenance(results), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if other is not None:
        mine = (results.manifest.get("posterior") or {}).get("path") or "no posterior"
        written += save(against_figure(prob, other[0], (mine, other[1])), folder / "against")
    if {"policy.raid_frequency", "policy.type"} <= set(table.columns):
        post = results.manifest.get("posterior") or {}
        title = f"{results.manifest.get('experiment', {}).get('name', '')}: " + (
            f"over the posterior {post.get('path')} ({results.manifest.get('replications')} draws)" if post else "no posterior")
        written += save(band_figure(table, title=title), folder / "headline-bands")
    return written


def _other_tables(results: Results, folder: str | Path) -> tuple[pd.DataFrame, str]:
    """The probability table and the posterior's name of another headline folder, checked before anything is written."""
    import json

    folder = Path(folder)
    files = folder / "reduction_probability.csv", folder / "provenance.json"
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise StoreError(f"--against {folder}: {', '.join(missing)} not found; give a folder this command wrote")
    other = pd.read_csv(files[0])
    keys = [k for k in ("policy.type", "policy.raid_frequency") if k in results.parameters]
    if not set(keys) <= set(other.columns) or "probability" not in other:
        raise StoreError(f"--against {folder}: its tables are not of the same design ({', '.join(keys)})")
    post = (json.loads(files[1].read_text(encoding="utf-8")).get("posterior") or {}).get("path") or "no posterior"
    return other, post


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.analysis.headline_posterior", description=__doc__.split("\n")[0])
    parser.add_argument("results", help="a results folder of a sweep with counterfactual = true (e.g. results/douglas_posterior)")
    parser.add_argument("--out", help="folder for the tables and figure (default RESULTS/headline)")
    parser.add_argument("--figure-parameter", metavar="NAME",
                        help="the drawn parameter of conditional.png (default: the one case-by-case raids track most on average)")
    parser.add_argument("--against", metavar="DIR",
                        help="the tables of another sweep of the same design (e.g. the posterior's headline folder, for a "
                             "sweep over the prior): against.png draws both probabilities of a regional cut")
    args = parser.parse_args(argv)
    try:
        for p in write_headline(args.results, args.out, args.figure_parameter, args.against):
            print(p)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
