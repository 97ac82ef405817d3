"""What every output records about how it was made: inputs, seed, code and dependency versions."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import sim
from sim.common.resources import source_root

DEPENDENCIES = ("mesa", "numpy", "pandas", "matplotlib", "pyarrow", "solara")


def git_commit() -> str | None:
    """The commit of the checkout scamsim runs from (``-dirty`` when ``sim/`` has uncommitted changes), or None.

    None means unknown: an installed package has no checkout, and asking git about the folder it is
    installed in could name an unrelated repository (a virtual environment inside some other checkout).
    """
    root = source_root()
    if root is None or not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "sim"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions() -> dict[str, str]:
    found = {"scamsim": sim.__version__, "python": sys.version.split()[0]}
    for name in DEPENDENCIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found
