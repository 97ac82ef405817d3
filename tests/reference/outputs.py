"""Reference outputs: checksums of what ``scamsim run`` and a small sweep write, kept so that a change
that is meant to leave results alone can prove it did.

Regenerate only in the commit that changes the model's results on purpose, saying why:
``.venv/bin/python tests/reference/outputs.py --write``.

Run outputs are hashed as written (CSV bytes). A sweep's Parquet parts are hashed by content (each
part read back and written as CSV), because the Parquet bytes also carry the pyarrow version that
wrote them, which is not part of a run's result.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHECKSUMS = HERE / "checksums.json"
RUN_SCENARIOS = ("baseline", "mekong", "case_by_case", "coordinated", "root_causes")
RUN_ARGS = ("--seed", "3", "--weeks", "104", "--compare")
SWEEP = "quick"
#: The pre-issue-12 model, kept as a scenario with every new mechanism at its neutral value: its outputs,
#: restricted to the columns that model wrote, must stay those the earlier model wrote (checksums frozen
#: at issue 12, not regenerated).
LEGACY_SCENARIO = "baseline_closed"
LEGACY_CHECKSUMS = {
    "relocations.csv": "a4c62d8e5429acb20d0075a93c6318581b1f55d08c7dc093fac7d9e03db63b31",
    "timeseries.csv": "e0aa52042809eca6a320db30340e55f689d69715975e916d135245863c0cfefa",
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(name: str, out: Path) -> Path:
    """``scamsim run`` of a shipped scenario with the reference arguments; the folder it wrote."""
    from sim.cli.main import main

    folder = out / name
    code = main(["run", str(REPO / "scenarios" / f"{name}.toml"), *RUN_ARGS, "--out", str(folder)])
    if code != 0:
        raise RuntimeError(f"scamsim run {name} exited {code}")
    return folder


def run_checksums(name: str, out: Path) -> dict[str, str]:
    folder = _run(name, out)
    return {f: _sha((folder / f).read_bytes()) for f in ("timeseries.csv", "relocations.csv")}


def legacy_checksums(out: Path) -> dict[str, str]:
    """The closed baseline's outputs on the pre-issue-12 columns (timeseries without the columns added since)."""
    from sim.common.files import write_csv
    from sim.core.record import LEGACY_COLUMNS

    folder = _run(LEGACY_SCENARIO, out)
    frame = pd.read_csv(folder / "timeseries.csv")
    legacy = [c for c in frame.columns if c in LEGACY_COLUMNS or c.startswith("workers_") or c.startswith(("cf_", "effect_"))]
    write_csv(folder / "legacy.csv", frame[legacy])
    return {"timeseries.csv": _sha((folder / "legacy.csv").read_bytes()),
            "relocations.csv": _sha((folder / "relocations.csv").read_bytes())}


def sweep_checksums(out: Path) -> dict[str, str]:
    from sim.cli.main import main

    folder = out / SWEEP
    code = main(["sweep", str(REPO / "experiments" / f"{SWEEP}.toml"), "--workers", "1", "--out", str(folder)])
    if code != 0:
        raise RuntimeError(f"scamsim sweep {SWEEP} exited {code}")
    parts = sorted(folder.rglob("*.parquet"))
    if not parts:
        raise RuntimeError(f"sweep {SWEEP} wrote no Parquet part")
    return {p.relative_to(folder).as_posix(): _sha(pd.read_parquet(p).to_csv(index=False).encode()) for p in parts}


def all_checksums(out: Path) -> dict[str, dict[str, str]]:
    sums = {f"run/{name}": run_checksums(name, out) for name in RUN_SCENARIOS}
    sums[f"sweep/{SWEEP}"] = sweep_checksums(out)
    return sums


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/reference/outputs.py --write")
    with tempfile.TemporaryDirectory() as tmp:
        CHECKSUMS.write_text(json.dumps(all_checksums(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {CHECKSUMS}")
