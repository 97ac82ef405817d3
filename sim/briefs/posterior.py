"""The calibrated answer in the briefs: the headline tables integrated over the posterior, read and worded.

The briefs' own experiments run the stylised region at one set of parameter values, so their intervals
cover the model's randomness only. The headline over the posterior (``sim.analysis.headline_posterior``,
docs/headline_posterior.md) adds the parameters' uncertainty under the calibrated Mekong posterior; its
tables are shipped (``shipped("headline_posterior")``: docs/headline_posterior/ in a checkout) and this
module reads them and words them, so a brief quotes them exactly and never retypes a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.common.resources import shipped

REGION = "counterfactual.persistence_vs_counterfactual_workers"
GLOBAL = "counterfactual.persistence_vs_counterfactual_global_workers"
LOSSES = "counterfactual.persistence_vs_counterfactual_revenue"
#: Where the calibrated region's status quo is declared (its ``policy.raid_frequency``).
STATUS_QUO_SCENARIO = "scenarios/mekong.toml"


@dataclass(frozen=True)
class PosteriorHeadline:
    """One headline experiment over the posterior: predictive bands and the probability of a cut beyond 10%."""

    name: str
    bands: pd.DataFrame  # by design point and measure: replications, q05, median, q95
    probability: pd.DataFrame  # by design point and measure: replications, reductions, probability, low, high
    folder: Path
    provenance: dict  # provenance.json: the experiment, posterior and commits the tables come from


def posterior_headline(name: str) -> PosteriorHeadline | None:
    """The shipped tables of ``name`` ("douglas" or "phase"), or None when this installation has none."""
    try:
        folder = shipped("headline_posterior") / name
    except FileNotFoundError:
        return None
    files = folder / "bands.csv", folder / "reduction_probability.csv", folder / "provenance.json"
    if not all(f.is_file() for f in files):
        return None
    return PosteriorHeadline(name, pd.read_csv(files[0]), pd.read_csv(files[1]), folder,
                             json.loads(files[2].read_text(encoding="utf-8")))


def source_note(h: PosteriorHeadline) -> str:
    """Where the tables come from, in one sentence: experiment, posterior, draws and the commit of the sweep."""
    p = h.provenance
    post = (p.get("posterior") or {}).get("path", "?")
    commits = ", ".join(c[:7] for c in p.get("git_commits", [])) or "unknown"
    distinct = p.get("distinct_parameter_sets")
    sets = f", {distinct} different parameter sets among them" if distinct else ""
    return (f"Source: `docs/headline_posterior/{h.name}/`, the sweep of `{p['experiment']['path']}` over the posterior "
            f"`experiments/{post}` ({p['replications']} draws a point{sets}, {p['runs']:,} runs) at commit {commits}.")


def status_quo_rate() -> float:
    """The calibrated region's raid frequency before any new policy (raids per agency per year at governance 1)."""
    from sim.scenario.loader import load_scenario

    return float(load_scenario(shipped("scenarios").parent / STATUS_QUO_SCENARIO).params.policy.raid_frequency)


def _band(row: pd.Series) -> str:
    return f"{row['median']:.2f} [{row['q05']:.2f}, {row['q95']:.2f}]"


def _chance(row: pd.Series) -> str:
    """A share of draws (three decimals: 7 of 40 is 0.175, not a rounded 0.17 or 0.18) and its interval."""
    return f"{row['probability']:.3f} [{row['low']:.2f}, {row['high']:.2f}]"


def _point(table: pd.DataFrame, measure: str, **at: object) -> pd.Series:
    rows = table[table["measure"] == measure]
    for key, value in at.items():
        rows = rows[rows[key] == value]
    if len(rows) != 1:
        raise ValueError(f"the posterior headline has {len(rows)} rows for {measure} at {at}, not one")
    return rows.iloc[0]


def douglas_table(h: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """Markdown: for each raid frequency, people held (region, with overseas) and victim losses against the
    no-policy run (median [90% predictive band]), and P(people held cut by more than 10%) with its 90% (Jeffreys) interval."""
    status_quo = status_quo_rate()
    rates = sorted(h.bands.loc[h.bands["policy.type"] == policy, "policy.raid_frequency"].unique())
    lines = ["| raids per agency-year | people held, region | people held, with overseas | victim losses, region "
             "| P(region cut > 10%) | P(cut > 10%, with overseas) |", "|---|---|---|---|---|---|"]
    for f in rates:
        at = _at(h.bands, policy, f)
        label = f"{f:g}" + (" (status quo)" if f == status_quo else "")
        lines.append(f"| {label} | {_band(_point(h.bands, REGION, **at))} | {_band(_point(h.bands, GLOBAL, **at))} "
                     f"| {_band(_point(h.bands, LOSSES, **at))} | {_chance(_point(h.probability, REGION, **at))} "
                     f"| {_chance(_point(h.probability, GLOBAL, **at))} |")
    return "\n".join(lines)


def douglas_sentence(h: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """One sentence on ``policy`` at the status-quo raid rate, region and with overseas, from the tables."""
    at = _at(h.probability, policy, status_quo_rate())
    region, world = _point(h.probability, REGION, **at), _point(h.probability, GLOBAL, **at)
    held = _point(h.bands, REGION, **at)
    return (f"at the status quo of {at['policy.raid_frequency']:g} raids per agency per year, region-wide {policy.replace('_', '-')} "
            f"raids cut the people held in the region by more than 10% with probability {_chance(region)}, and counting the "
            f"operations that move overseas with probability {_chance(world)}; the median region ends at {held['median']:.2f} "
            f"of the no-policy level [90% predictive band {held['q05']:.2f} to {held['q95']:.2f}] "
            f"({int(region['replications'])} posterior draws)")


def dependence_sentence(h: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """Which drawn parameters the answer at the status quo tracks (``dependence.csv``): those whose 90% interval of the
    rank correlation with the regional persistence excludes 0, strongest first, with how many would do so by chance,
    and (``conditional.csv``, when shipped) the chance of a cut in the lower and upper half of each one's draws."""
    path = h.folder / "dependence.csv"
    if not path.is_file():
        return "the tables do not say which parameters the answer depends on (no dependence.csv)"
    dep = pd.read_csv(path)
    at = _at(dep, policy, status_quo_rate())
    rows = dep[(dep["measure"] == REGION) & (dep["policy.type"] == at["policy.type"])
               & (dep["policy.raid_frequency"] == at["policy.raid_frequency"])]
    clear = rows[(rows["low"] > 0) | (rows["high"] < 0)].copy()
    clear = clear.reindex(clear["spearman"].abs().sort_values(ascending=False).index)
    chance = 0.1 * len(rows)
    if clear.empty:
        return (f"no drawn parameter's rank correlation with the regional result is clear of 0 at the status quo "
                f"({len(rows)} parameter{'s' if len(rows) != 1 else ''}, 90% intervals)")
    halves = _halves(h, at)
    named = "; ".join(f"`{r.parameter}` {r.spearman:+.2f} [{r.low:+.2f}, {r.high:+.2f}]{halves.get(r.parameter, '')}"
                      for r in clear.itertuples())
    return (f"at the status quo the regional result tracks {named} (Spearman rank correlation with the share of people "
            f"held that persists, 90% interval; a negative value means raids cut more where the parameter is higher); "
            f"of {len(rows)} parameters about {chance:.1f} would clear 0 by chance alone")


def chance_sentence(h: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """How much of the spread of the status-quo answer is chance (``variance.csv``, ``sim.analysis.variance_parts``): the
    share of the regional result's predictive variance that is the model's own randomness, its interval, and the spread
    that would remain with the parameters known; said, not an error, when the tables lack it or it is undefined."""
    path = h.folder / "variance.csv"
    if not path.is_file():
        return "the tables do not split the spread into chance and the parameters (no variance.csv)"
    parts = pd.read_csv(path)
    row = _point(parts, REGION, **_at(parts, policy, status_quo_rate()))
    if pd.isna(row["noise_share"]):
        return (f"the spread cannot be split into chance and the parameters here: {int(row['repeated_sets'])} of "
                f"{int(row['parameter_sets'])} parameter sets ran more than once, and runs that do not vary have no spread to split")
    return (f"about {row['noise_share']:.0%} [{row['noise_share_low']:.0%}, {row['noise_share_high']:.0%}] of the spread of this "
            f"answer across the posterior is the model's own randomness: runs of the same parameter set with other seeds "
            f"differ with a standard deviation of {row['noise_sd']:.2f} in the share of people held that persists, so even "
            f"exact knowledge of the parameters would leave a cut of 10% uncertain; the rest, about "
            f"{1 - row['noise_share']:.0%}, is what the calibration leaves open (variance of the share persisting, "
            f"{int(row['repeated_sets'])} of {int(row['parameter_sets'])} parameter sets drawn more than once, "
            f"{row['df_within']:.0f} degrees of freedom within sets, 90% cluster-bootstrap interval)")


def prior_sentence(post: PosteriorHeadline, prior: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """What the calibration changed in the answer: the probability of a regional cut beyond 10% under the posterior and
    under the prior (``douglas_prior``: the same experiment with parameter sets drawn from their priors), at the status
    quo and at the raid rate where the two differ most, with the direction worded from the tables."""
    def chance(h: PosteriorHeadline, rate: float) -> pd.Series:
        return _point(h.probability, REGION, **_at(h.probability, policy, rate))

    status_quo = status_quo_rate()
    rates = sorted(set(post.probability["policy.raid_frequency"]) & set(prior.probability["policy.raid_frequency"]))
    gaps = {f: chance(prior, f)["probability"] - chance(post, f)["probability"] for f in rates}
    widest = max(rates, key=lambda f: abs(gaps[f]))
    way = "lowers" if gaps[status_quo] > 0 else "raises"
    return (f"with its parameters drawn from their priors instead of the posterior (same experiment, seeds and "
            f"{int(chance(prior, status_quo)['replications'])} draws a point), the same model gives a regional cut beyond 10% "
            f"at the status quo with probability {_chance(chance(prior, status_quo))}, against {_chance(chance(post, status_quo))}: "
            f"the 2022 record {way} the answer there, and changes it most at {widest:g} raids per agency per year "
            f"({_chance(chance(prior, widest))} under the prior, {_chance(chance(post, widest))} under the posterior)")


def _halves(h: PosteriorHeadline, at: dict) -> dict[str, str]:
    """Per parameter, the chance of a regional cut beyond 10% in the lower and upper half of its draws at ``at``
    (``conditional.csv``), worded for the dependence sentence; empty when the tables have no such file."""
    path = h.folder / "conditional.csv"
    if not path.is_file():
        return {}
    con = pd.read_csv(path)
    rows = con[con["measure"] == REGION]
    for key, value in at.items():
        rows = rows[rows[key] == value]
    return {r.parameter: (f" (a cut beyond 10% in {r.lower_probability:.2f} [{r.lower_low:.2f}, {r.lower_high:.2f}] of the "
                          f"draws below its median, {r.upper_probability:.2f} [{r.upper_low:.2f}, {r.upper_high:.2f}] of "
                          f"the rest)")
            for r in rows.itertuples() if r.lower_probability == r.lower_probability}


def phase_table(h: PosteriorHeadline) -> str:
    """Markdown: P(region cut > 10%) [90% Jeffreys interval] for each moving cost (rows) and raid frequency (columns)."""
    p = h.probability[h.probability["measure"] == REGION]
    costs = sorted(p["relocation.base_cost"].unique())
    rates = sorted(p["policy.raid_frequency"].unique())
    lines = ["| cost of moving a compound (US$ million) | " + " | ".join(f"{f:g} raids a year" for f in rates) + " |",
             "|---|" + "---|" * len(rates)]
    for c in costs:
        cells = [_chance(_point(p, REGION, **{"relocation.base_cost": c, "policy.raid_frequency": f})) for f in rates]
        lines.append(f"| {c / 1e6:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _phase_spans(h: PosteriorHeadline) -> tuple[float, float]:
    """(the most a moving cost changes P(region cut > 10%) at any raid rate, the least the raid rate changes it at any cost)."""
    p = h.probability[h.probability["measure"] == REGION]
    by_rate = p.groupby("policy.raid_frequency")["probability"]
    by_cost = p.groupby("relocation.base_cost")["probability"]
    return float((by_rate.max() - by_rate.min()).max()), float((by_cost.max() - by_cost.min()).min())


def raid_rate_decides(h: PosteriorHeadline) -> bool:
    """Whether, on the calibrated region, the raid rate moves the chance of a regional cut more than the cost of moving."""
    across_costs, across_rates = _phase_spans(h)
    return across_rates > across_costs


def phase_sentence(h: PosteriorHeadline) -> str:
    """What the calibrated "where raids work" table says, derived from it: P(region cut > 10%) across moving costs
    at each raid rate, and whether the raid rate or the moving cost moves it more."""
    p = h.probability[h.probability["measure"] == REGION]
    by_rate = p.groupby("policy.raid_frequency")["probability"]
    spans = ", ".join(f"{lo:.2f}-{hi:.2f} at {f:g}" for f, lo, hi in zip(by_rate.min().index, by_rate.min(), by_rate.max(), strict=True))
    costs = sorted(p["relocation.base_cost"].unique())
    across_costs, across_rates = _phase_spans(h)
    which = ("the raid rate moves it more than the cost of moving does" if across_rates > across_costs
             else "the cost of moving moves it as much as the raid rate does, or more")
    return (f"across moving costs of US${costs[0] / 1e6:g}-{costs[-1] / 1e6:g} million, case-by-case raids cut the people held in "
            f"the region by more than 10% with probability {spans} raids per agency per year: {which} "
            f"(the cost of moving changes it by up to {across_costs:.2f} at a given rate, the raid rate by at least "
            f"{across_rates:.2f} at a given cost)")


def _at(table: pd.DataFrame, policy: str, rate: float) -> dict:
    """The design point of ``policy`` at ``rate`` in a table (an experiment that fixes the policy type has no column for it)."""
    return {"policy.raid_frequency": rate, **({"policy.type": policy} if "policy.type" in table.columns else {})}


def belief_abroad_sentence(fixed: PosteriorHeadline, learned: PosteriorHeadline, policy: str = "case_by_case") -> str:
    """How the status-quo answer moves when operators learn the hazard abroad from closures (the sensitivity
    experiment, same draws and seeds) instead of reading a fixed one: region and with overseas, from the tables,
    led by which of the two moves more."""
    rate = status_quo_rate()
    f_region, l_region = (_point(h.probability, REGION, **_at(h.probability, policy, rate)) for h in (fixed, learned))
    f_world, l_world = (_point(h.probability, GLOBAL, **_at(h.probability, policy, rate)) for h in (fixed, learned))
    moved_region = abs(l_region["probability"] - f_region["probability"])
    moved_world = abs(l_world["probability"] - f_world["probability"])
    lead = ("it moves the regional figure more than the global one" if moved_region > moved_world
            else "it moves the global figure as much as the regional one, or more")
    return (f"{lead}: if operators learn the hazard abroad from the closures they hear of instead of expecting a fixed one "
            f"(overseas.risk_belief), the probability of a regional cut beyond 10% at the status quo goes from "
            f"{_chance(f_region)} to {_chance(l_region)}, and counting the operations overseas from {_chance(f_world)} to "
            f"{_chance(l_world)} (same {int(l_region['replications'])} posterior draws and seeds)")


def hosts_sentence(hosts: PosteriorHeadline) -> str:
    """The range of the status-quo answer across the cases of the hosts' sensitivity experiment (what operators
    believe abroad x how strongly hosts there respond, neither measured), region and counting overseas.

    A range, not a preferred case: nothing observed before 2023 picks one (docs/headline_posterior.md).
    """
    p = hosts.probability
    factors = [c for c in p.columns if c.startswith("overseas.")]
    cases = len(p[factors].drop_duplicates())
    region, world = (p.loc[p["measure"] == m, "probability"] for m in (REGION, GLOBAL))
    draws = int(p["replications"].min())
    return (f"across {cases} cases of what operators believe about enforcement abroad and how strongly hosts there respond "
            f"as operations arrive ({', '.join(factors)}; neither is measured), the probability of a cut beyond 10% at the "
            f"status quo runs from {region.min():.2f} to {region.max():.2f} in the region and from {world.min():.2f} to "
            f"{world.max():.2f} counting the operations overseas ({draws} posterior draws a case)")
