"""Results are byte-identical to the stored reference (tests/reference/checksums.json).

A change meant to leave results alone (refactoring, speed-ups, new outputs) must pass this
unchanged. A change of the model's results is made on purpose, in its own commit that regenerates
the checksums (``python tests/reference/outputs.py --write``) and says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
import outputs

STORED = json.loads(outputs.CHECKSUMS.read_text())


@pytest.mark.parametrize("name", outputs.RUN_SCENARIOS)
def test_run_outputs_match_reference(name, tmp_path):
    assert outputs.run_checksums(name, tmp_path) == STORED[f"run/{name}"]


def test_the_closed_baseline_is_the_model_before_issue_12(tmp_path):
    """Every issue-12 mechanism at its neutral value gives back the earlier model, byte for byte on its columns."""
    assert outputs.legacy_checksums(tmp_path) == outputs.LEGACY_CHECKSUMS


def test_sweep_parts_match_reference(tmp_path):
    assert outputs.sweep_checksums(tmp_path) == STORED[f"sweep/{outputs.SWEEP}"]
