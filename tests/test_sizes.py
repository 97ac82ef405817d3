"""What the compounds' slow variable is (sim.analysis.validation.sizes): year-end snapshots of the standing compounds
and their drift per decade."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.validation import sizes
from sim.core.model import ScamModel
from sim.measures.run import counterfactual_params
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def test_the_snapshots_are_the_run_s_own_year_ends():
    """The year-end counts and people held are the weekly frame's at weeks 52, 104 and 156 of the same run (reading the
    tables draws nothing), and the mean capacity is the compound table's; stepping a year at a time is the same run."""
    params = load_scenario(BASELINE).params
    snap = sizes.yearly_sizes(params, seed=3, years=3)
    p = counterfactual_params(params).with_values({"run.burn_in_weeks": 0, "run.weeks": 156})
    model = ScamModel(p, rng=3).run()
    frame = model.log.frame()
    year_ends = frame.iloc[[51, 103, 155]]
    assert snap[:, 0].tolist() == year_ends["compounds"].tolist()
    assert snap[:, 2].tolist() == year_ends["workers_held"].tolist()
    assert snap[:, 3].tolist() == year_ends["operators"].tolist()
    t = model.compound_table
    assert snap[2, 1] == pytest.approx(float(t.capacity[t.slots].mean()))


@settings(max_examples=50, deadline=None)
@given(st.floats(50.0, 1e6), st.floats(-0.05, 0.05), st.integers(2, 30))
def test_window_drift_of_a_straight_line_is_its_slope_per_decade_over_its_mean(level, rate, span):
    """On y = level * (1 + rate * (year - 9)) the drift over years 9..9+span is 10 * slope / mean, whatever the window."""
    years = np.arange(1, 9 + span + 1, dtype=float)
    y = level * (1 + rate * (years - 9))
    slope, mean = level * rate, float(y[8:9 + span].mean())
    assert sizes.window_drift(y, 9, 9 + span) == pytest.approx(10 * slope / mean, rel=1e-6, abs=1e-12)


def test_too_short_or_flat_at_zero_is_undefined_and_the_table_says_its_windows():
    assert math.isnan(sizes.window_drift(np.array([1.0, 2.0, 3.0]), 3, 3))
    assert math.isnan(sizes.window_drift(np.zeros(20), 9, 16))
    rng = np.random.default_rng(1)
    runs = rng.normal(100, 1, size=(4, 20, len(sizes.SERIES)))
    text = sizes.format_sizes("x.toml", runs)
    assert "| years 9-16 | years 9-20 |" in text and "| 20 |" in text and text.count("\n| capacity_per_compound | ") == 1
    assert "years 9-" not in sizes.format_sizes("x.toml", runs[:, :8])  # no window before year 9 ends


def test_the_command_refuses_too_few_years(capsys):
    from sim.cli.main import main

    assert main(["patterns", str(BASELINE), "--sizes", "1"]) == 2
    assert "--sizes: 1 is too few years" in capsys.readouterr().err


def test_the_initial_size_share_scales_the_week_0_compounds_only():
    """At share 0.5 the week-0 compounds' mean capacity is about half of capacity_mean (log-normal sigma 0.5 over about
    400 compounds: a relative standard error near 3%, so +-12% is four of them), and compounds opened later are drawn
    as before (draw_capacity without a mean)."""
    params = load_scenario(BASELINE, ["run.burn_in_weeks=0", "compounds.initial_size_share=0.5"]).params
    model = ScamModel(params, rng=5)
    t = model.compound_table
    caps = t.capacity[t.slots].astype(float)
    assert len(caps) > 300
    mean = params.compounds.capacity_mean
    assert caps.mean() / mean == pytest.approx(0.5, rel=0.12)
    later = np.array([model.draw_capacity() for _ in range(2000)], dtype=float)
    assert later.mean() / mean == pytest.approx(1.0, rel=0.05)  # 2,000 draws: relative standard error about 1.2%
