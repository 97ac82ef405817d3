"""Which scenario files the browser app offers and opens, found among the shipped ``scenarios/``.

Shared by the app and by ``scamsim viz`` (which imports it without Solara or Mesa), so both name a
file the same way: relative to the shipped scenarios folder when it lies inside it, else as a path.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.common.resources import shipped

#: Environment variable through which ``scamsim viz`` tells the app which scenario to open first.
SCENARIO_ENV = "SCAMSIM_SCENARIO"
#: Picker entry for the built-in defaults (used when no scenario file is found).
DEFAULTS_NAME = "(built-in defaults)"


def scenario_dir() -> Path | None:
    """The shipped scenarios folder, or None when this installation has none."""
    try:
        folder = shipped("scenarios")
    except FileNotFoundError:
        return None
    return folder if folder.is_dir() else None


#: Sub-folders of the shipped scenarios that hold other TOML files: the calibration's ranges (``[calibration]``
#: tables read by ``sim.analysis.calibration`` and ``scamsim calibrate``), which no picker should offer as scenarios.
NOT_SCENARIOS = ("calibration",)


def scenario_names() -> list[str]:
    """The shipped scenario files, as names relative to their folder (what the app's picker lists)."""
    folder = scenario_dir()
    if folder is None:
        return []
    names = (p.relative_to(folder).as_posix() for p in folder.rglob("*.toml"))
    return sorted(n for n in names if n.split("/", 1)[0] not in NOT_SCENARIOS)


def resolve_scenario(name: str) -> Path | None:
    """The file a picker entry or a path names; None for the built-in defaults.

    Tries the name as a path, then relative to the shipped scenarios (with or without ``.toml``; a leading
    ``scenarios/`` is the shipped folder itself, so a checkout's paths work from any folder).
    Raises FileNotFoundError naming the places it looked.
    """
    if name == DEFAULTS_NAME:
        return None
    folder = scenario_dir()
    given = Path(name)
    candidates = [given]
    if folder and not given.is_absolute():  # a picker name, or a path from a checkout's root ("scenarios/...")
        inside = Path(*given.parts[1:]) if given.parts[:1] == ("scenarios",) and len(given.parts) > 1 else given
        candidates += [folder / inside] + ([] if inside.suffix == ".toml" else [folder / f"{inside}.toml"])
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(f"scenario {name!r} not found (looked for {', '.join(str(c) for c in candidates)})")


def picker_name(path: Path | None) -> str:
    """How the app's scenario picker shows a file: relative to the shipped scenarios when inside them."""
    if path is None:
        return DEFAULTS_NAME
    folder = scenario_dir()
    if folder is not None:
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            pass
    return str(path.resolve())


def initial_scenario() -> str:
    """The scenario the app opens with: ``$SCAMSIM_SCENARIO``, else ``baseline.toml``, else the first file."""
    env = os.environ.get(SCENARIO_ENV)
    if env:
        return picker_name(resolve_scenario(env))
    names = scenario_names()
    if "baseline.toml" in names:
        return "baseline.toml"
    return names[0] if names else DEFAULTS_NAME
