"""Fixed colours and names of the policy types, shared by the app, the sweep plots' readers and the briefs.

A policy type keeps its colour in every figure, whichever types a figure shows and whatever its labels
say, so a reader who learns "green is network raids" in one chart can rely on it in the next.
"""

from __future__ import annotations

from sim.params.declarations import POLICY_TYPES

POLICY_COLOURS: dict[str, str] = {
    "none": "#4d4d4d",
    "case_by_case": "#1f77b4",
    "hotspot": "#ff7f0e",
    "network": "#2ca02c",
    "coordinated": "#9467bd",
    "root_causes": "#8c564b",
    "combined": "#d62728",
}
POLICY_NAMES: dict[str, str] = {
    "none": "no new policy", "case_by_case": "case by case", "hotspot": "hotspot raids", "network": "network follow-up",
    "coordinated": "coordinated across borders", "root_causes": "root causes only", "combined": "raids + root causes",
}
assert set(POLICY_COLOURS) == set(POLICY_TYPES) == set(POLICY_NAMES)

#: A fixed light theme for figures (matplotlib rc values), whatever the viewer's dark or light setting.
LIGHT = {"figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white", "text.color": "#222222",
         "axes.labelcolor": "#222222", "axes.edgecolor": "#444444", "xtick.color": "#333333", "ytick.color": "#333333"}
