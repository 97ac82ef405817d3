"""Figure: the raid risk operators perceive in Laos against the raids actually made there.

Case-by-case raids in Laos (scenarios/case_by_case.toml) start at week 52 and stop at week 130. Under the
learned rule (``enforcement.risk_belief = "learned"``) operators' belief about the weekly raid hazard per
compound rises only once raids are made and decays with ``enforcement.belief_half_life`` after they stop;
under the old rule (``announced_capacity``, dashed) they read the programme's capacity from its first
week, and an emptied jurisdiction reads as maximally dangerous. Grey bars are the raids made per compound
each week (learned-rule run). Nothing here is recorded in run outputs; the beliefs are ``model.belief_log``.

    PYTHONPATH=. .venv/bin/python docs/figures/risk_vs_raids.py            # writes docs/img/risk_vs_raids.png
    PYTHONPATH=. .venv/bin/python docs/figures/risk_vs_raids.py --out x.png --seed 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.core.model import ScamModel
from sim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "case_by_case.toml"
TARGET = "Laos"
START, END, WEEKS = 52, 130, 260


def weekly(rule: str, seed: int) -> dict[str, np.ndarray]:
    """Run the scenario under one belief rule; the weekly climate read, beliefs, raids and compounds in TARGET."""
    sets = [f"enforcement.risk_belief={rule}", f"policy.start_week={START}", f"policy.end_week={END}",
            f"run.weeks={WEEKS}", f"run.seed={seed}"]
    m = ScamModel(load_scenario(SCENARIO, sets).params)
    j = m.region.jurisdiction_names.index(TARGET)
    climate = []
    for _ in range(WEEKS):
        m.step()
        climate.append(m.climate[j])
    rows = [r for r in m.belief_log if r.week >= 1]
    return {
        "week": np.array([r.week for r in rows]),
        "climate": np.array(climate),
        "belief": np.array([r.belief[j] for r in rows]),
        "raids": np.array([r.raids[j] for r in rows]),
        "compounds": np.array([r.compounds[j] for r in rows]),
    }


def figure(learned: dict[str, np.ndarray], old: dict[str, np.ndarray], half_life: float) -> Figure:
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    w = learned["week"]
    per_compound = learned["raids"] / np.maximum(learned["compounds"], 1)
    top.bar(w, per_compound, width=1.0, color="0.8", label="raids made per compound (learned run)")
    top.plot(w, learned["climate"], color="C3", lw=2, label=f"perceived hazard, learned (half-life {half_life:g} weeks)")
    top.plot(w, old["climate"], color="C0", lw=1.5, ls="--", label="perceived hazard, announced capacity (old rule)")
    ymax = max(0.25, float(np.quantile(per_compound, 0.99)) * 1.1)
    top.set_ylim(0, ymax)
    clipped = w[old["climate"] > ymax]
    if len(clipped):
        top.annotate(f"old rule off the scale (up to {old['climate'].max():.2g}: the capacity\nshared by the few compounds left)",
                     (clipped[0], ymax * 0.97), xytext=(w[0] + 2, ymax * 0.72), fontsize=8, color="C0",
                     arrowprops={"arrowstyle": "->", "color": "C0"})
    top.set_ylabel("weekly raid hazard per compound")
    top.set_title(f"{TARGET}: case-by-case raids from week {START} to week {END}")
    top.legend(loc="upper right", fontsize=8)
    for ax in (top, bottom):
        ax.axvspan(START, END, color="C1", alpha=0.08)
    bottom.plot(w, learned["compounds"], color="C3", label="learned")
    bottom.plot(w, old["compounds"], color="C0", ls="--", label="announced capacity")
    bottom.set_ylabel(f"compounds in {TARGET}")
    bottom.set_xlabel("week")
    bottom.legend(loc="upper right", fontsize=8)
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "risk_vs_raids.png")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    learned, old = weekly("learned", args.seed), weekly("announced_capacity", args.seed)
    half_life = load_scenario(SCENARIO).params.enforcement.belief_half_life
    figure(learned, old, half_life).savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
