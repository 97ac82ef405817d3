"""Writing a run's outputs: whole or not at all, and byte-identical for the same inputs.

Files are written to a temporary name in the target folder and renamed into place, so a reader (or
an interrupted run) never sees half a file. Numbers are formatted explicitly and the PNG carries no
timestamp, so the same scenario, seed and code version give the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then rename ``tmp`` onto ``path``; on any error the target is untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_json(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None (undefined), numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(clean_json(data), indent=2, sort_keys=True, allow_nan=False) + "\n"
    atomic_write(path, lambda p: p.write_text(text))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.6g", lineterminator="\n"))


def save_figure(fig: Any, path: Path) -> None:
    """Save a matplotlib figure without the metadata that would make bytes differ between runs."""
    import matplotlib

    fmt = path.suffix.lstrip(".")
    meta = {"Software": None} if fmt == "png" else {"Creator": None, "Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "scamsim"}):  # fixed SVG element ids
        atomic_write(path, lambda p: fig.savefig(p, format=fmt, dpi=120, metadata=meta))


def is_folder_name(name: object) -> bool:
    """Whether ``name`` can name one output folder: not empty, no path separator, not hidden, not '..'."""
    return (isinstance(name, str) and 0 < len(name) <= 200 and not any(c in name for c in "/\\\0")
            and not name.startswith(".") and name.strip() == name)


def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot become an output folder (checked before any work), or None when it can."""
    if path.exists() and not path.is_dir():
        return f"{path} exists and is not a folder"
    ancestor = path
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        return f"{path} lies under {ancestor}, which is a file, not a folder"
    if ancestor.exists() and not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {ancestor} is not writable"
    try:  # permissions can say yes where the filesystem says no (/proc, read-only mounts, root): try, and tidy up
        os.rmdir(tempfile.mkdtemp(prefix=".scamsim-probe-", dir=ancestor))
    except OSError as exc:
        return f"{path} cannot be created: {ancestor} does not accept new folders ({exc.strerror or exc})"
    return None


def write_folder(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then put it in place of ``out`` whole.

    An interrupted or failed write leaves ``out`` as it was (absent, or the previous complete
    folder) and removes the partial folder: a reader never sees a half-written set of files.
    """
    import shutil

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    old = None
    try:
        write(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; outputs are for sharing
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
