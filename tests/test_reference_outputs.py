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


#: What the child process prints: the hash of numpy's log of fixed numbers (to show the switch took effect) and the
#: reference runs' checksums.
_CHILD = """
import hashlib, json, sys, tempfile
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
import outputs
x = np.random.default_rng(1).standard_exponential(100_000)
with tempfile.TemporaryDirectory() as tmp:
    sums = {name: outputs.run_checksums(name, Path(tmp)) for name in outputs.RUN_SCENARIOS}
print(json.dumps({"log": hashlib.sha256(np.log(x).tobytes()).hexdigest(), "sums": sums}))
"""


@pytest.mark.slow
def test_outputs_do_not_depend_on_the_cpus_vector_instructions(tmp_path):
    """The same bytes on a machine without the wide vector units numpy picks at run time.

    numpy chooses among implementations of ``log``, ``exp``, ``expm1`` and ``log1p`` by the CPU it finds, and they
    differ in the last bit (on an AVX-512 machine 537 of 200,000 logs differ from the C library's), so a model that let
    such a bit decide would give a laptop other numbers than the reference. The reference runs are repeated in a
    process where numpy may use only its baseline code (``NPY_DISABLE_CPU_FEATURES`` set to every dispatched feature);
    the child's own ``log`` must differ from this process's, or there was nothing to switch off here.
    """
    import hashlib
    import os
    import subprocess

    import numpy as np

    dispatched = list(getattr(np._core._multiarray_umath, "__cpu_dispatch__", []))  # private, stable since numpy 1.20
    x = np.random.default_rng(1).standard_exponential(100_000)
    here = hashlib.sha256(np.log(x).tobytes()).hexdigest()
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(dispatched)}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(Path(outputs.__file__).parent)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    child = json.loads(done.stdout.strip().splitlines()[-1])
    if child["log"] == here:
        pytest.skip(f"numpy's log is the same without its dispatched features ({dispatched or 'none'}) on this machine")
    assert child["sums"] == {name: STORED[f"run/{name}"] for name in outputs.RUN_SCENARIOS}
