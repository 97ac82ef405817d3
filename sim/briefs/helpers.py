"""Helpers the briefing notebooks call (as ``briefing.NAME``): figures, tables and the wording of findings.

Kept apart from ``sim.briefs.briefing`` (getting results, executing and exporting) so that each stays small.
The wording rules live here: a brief in small mode states no verdict (``verdict``), a measure is quoted
only as ``sim.viz.readings`` allows (``quote``), and policy types that cannot differ are flagged
(``equivalence_note``, from ``sim.viz.equivalence``).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from sim.common.resources import shipped

SHIPPED_ROOT = shipped("scenarios").parent

#: The bold openings with which the briefs state a finding. A brief in small mode states none of them
#: (tests/test_notebooks.py checks): a reduced run can reach the opposite verdict to the full one.
VERDICTS = (
    "Mostly yes for case-by-case raids", "Not in this form",  # 01
    "Raids shrink the market only when moving is expensive", "raids never clearly shrank the market",  # 02
    "Strongest single lever", "Weakest single lever",  # 03
)
#: What a brief in small mode says instead of a verdict.
PIPELINE_CHECK = ("**A check of the pipeline, not a finding.** This brief ran a reduced version of its experiment (few "
                  "replications, short runs, few design points) to check that the brief works end to end. Reduced runs "
                  "can point the opposite way to the full experiment, so this brief states no verdict; run it without "
                  "`--small` (commands at the end) for one.")
#: Entries of docs/references.md each brief rests on (printed in its reference list).
REFERENCES = {
    "douglas": "Reuters (September 2022): J. Douglas (UNODC) on the Sihanoukville raids, \"groups will just jump to new places\".",
    "wdq": "Bowers, K. J. & Johnson, S. D. (2003). Measuring the geographical displacement and diffusion of benefit effects of "
           "crime prevention activity. *Journal of Quantitative Criminology* 19, 275.",
    "guerette": "Guerette, R. T. & Bowers, K. J. (2009). Assessing the extent of crime displacement and diffusion of benefits. "
                "*Criminology* 47, 1331.",
    "sherman": "Sherman, L. W. (1990). Police crackdowns: initial and residual deterrence. *Crime and Justice* 12, 1.",
    "unodc2023": "UNODC (September 2023), policy report on online scam operations; (April 2025) *Inflection Point.*",
    "ohchr": "OHCHR (August 2023). *Online Scam Operations and Trafficking into Forced Criminality in Southeast Asia.*",
}




def verdict(small: bool, text: str) -> str:
    """``text`` (a finding), or in small mode the plain statement that this is a check of the pipeline."""
    return PIPELINE_CHECK if small else text


def references(*keys: str) -> str:
    """A brief's reference list as Markdown: the entries of docs/references.md it rests on."""
    return ("## References\n\nFull list and the facts each supports: `docs/references.md` in the scamsim documentation.\n\n"
            + "\n".join(f"- {REFERENCES[k]}" for k in keys))


def equivalence_note(scenario: str | Path, types: list[str], over: list[str] | None = None) -> str:
    """A warning (Markdown) when some of ``types`` cannot differ under ``scenario``; empty when all can."""
    from sim.scenario.loader import load_scenario
    from sim.viz.equivalence import equivalence_warnings

    path = Path(scenario) if Path(scenario).is_file() else SHIPPED_ROOT / scenario
    warnings = equivalence_warnings(load_scenario(path, over or []).params, types)
    return "\n\n".join(f"> **Warning.** {w}" for w in warnings)


def scenario_differences(scenario: str | Path, base: str | Path = "scenarios/baseline.toml") -> str:
    """Markdown list of the parameters in which ``scenario`` differs from ``base`` (the brief's scenario appendix)."""
    from sim.params.declarations import to_dict
    from sim.scenario.loader import load_scenario

    def flat(d: dict, prefix: str = "") -> dict:
        out: dict = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    def load(x: str | Path) -> dict:
        p = Path(x) if Path(x).is_file() else SHIPPED_ROOT / x
        return flat(to_dict(load_scenario(p).params))

    a, b = load(scenario), load(base)
    rows = [f"- `{k}` = `{a[k]!r}` (base: `{b.get(k)!r}`)" for k in a if a[k] != b.get(k) and not k.startswith("run.name")
            and not k.startswith("run.description")]
    name = Path(scenario).name
    if not rows:
        return f"`{name}` is `{Path(base).name}` unchanged."
    return f"`{name}` differs from `{Path(base).name}` in:\n\n" + "\n".join(rows)


def quote(values: Any, measure: str | None = None, digits: int = 2, pct: bool = False) -> str:
    """A measure's values across runs, as a reader should see them (``sim.viz.readings``: no interval of one run,
    'unstable' or 'undefined' with the reason instead of a number that cannot be quoted)."""
    from sim.viz.readings import assess

    return assess(list(values), measure).text(digits, pct)


def show(fig: Any, alt: str = "") -> None:
    """Display a matplotlib figure as an embedded PNG (whatever the backend) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    display(HTML(f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%"/>'))


def fmt_interval(mean: float, lo: float, hi: float, digits: int = 2, pct: bool = False) -> str:
    """'0.93 (95% interval 0.90 to 0.96)'; the interval is omitted when undefined."""
    import math

    def f(v: float) -> str:
        return f"{v * 100:.{max(digits - 2, 0)}f}%" if pct else f"{v:,.{digits}f}"
    if not math.isfinite(mean):
        return "undefined"
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return f"{f(mean)} (too few runs for an interval)"
    return f"{f(mean)} (95% interval {f(lo)} to {f(hi)})"


def md_table(frame: Any, formats: dict[str, str] | None = None) -> str:
    """A data frame as a Markdown table (no extra dependency); ``formats`` maps columns to format specs."""
    formats = formats or {}
    cols = list(frame.columns)
    rows = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        rows.append("| " + " | ".join(format(r[c], formats[c]) if c in formats else str(r[c]) for c in cols) + " |")
    return "\n".join(rows)


