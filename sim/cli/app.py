"""``scamsim viz``: serve the browser app (``sim/viz/app.py``) with ``solara run``.

A thin wrapper: it checks the scenario file, picks the port, prints the address to open, and runs
``python -m solara run sim/viz/app.py`` with the scenario passed in the ``SCAMSIM_SCENARIO`` environment
variable. It also holds the few helpers the app shares with it (where the scenario files are), so
that the command itself starts without importing Solara or Mesa.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import sim

#: Environment variable through which ``scamsim viz`` tells the app which scenario to open first.
SCENARIO_ENV = "SCAMSIM_SCENARIO"
#: Picker entry for the built-in defaults (used when no scenario file is found).
DEFAULTS_NAME = "(built-in defaults)"
DEFAULT_PORT = 8765
EXIT_BAD_INPUT = 2


def repo_root() -> Path:
    """The source tree's root (the folder holding ``sim/`` and ``scenarios/``)."""
    return Path(sim.__file__).resolve().parent.parent


def scenario_dir() -> Path:
    return repo_root() / "scenarios"


def app_path() -> Path:
    return Path(__file__).resolve().parents[1] / "viz" / "app.py"


def scenario_names() -> list[str]:
    """The scenario files in ``scenarios/``, as names relative to it (what the app's picker lists)."""
    folder = scenario_dir()
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.toml")) if folder.is_dir() else []


def resolve_scenario(name: str) -> Path | None:
    """A picker entry or a path to its file; None for the built-in defaults.

    Tries the name as a path, then relative to ``scenarios/`` (with or without ``.toml``).
    Raises FileNotFoundError naming the places it looked.
    """
    if name == DEFAULTS_NAME:
        return None
    candidates = [Path(name), scenario_dir() / name, scenario_dir() / f"{name}.toml"]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(f"scenario {name!r} not found (looked for {', '.join(str(c) for c in candidates)})")


def picker_name(path: Path | None) -> str:
    """How the app's scenario picker shows a file: relative to ``scenarios/`` when inside it."""
    if path is None:
        return DEFAULTS_NAME
    try:
        return str(path.resolve().relative_to(scenario_dir().resolve()))
    except ValueError:
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


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host if host not in ("localhost", "") else "127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host if host != "localhost" else "127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(port: int, host: str, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the app (production mode: no file watching, no reloads)."""
    return [sys.executable, "-m", "solara", "run", str(app_path()), "--port", str(port), "--host", host, "--production",
            "--open" if open_browser else "--no-open"]


def server_env(scenario: Path | None) -> dict[str, str]:
    """The server's environment: the scenario to open, and no telemetry calls to the internet."""
    env = dict(os.environ)
    if scenario is not None:
        env[SCENARIO_ENV] = str(scenario)
    else:
        env.pop(SCENARIO_ENV, None)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    return env


def cmd_viz(args: argparse.Namespace) -> int:
    from sim.scenario.loader import ScenarioError, load_scenario

    scenario: Path | None = None
    if args.scenario:
        try:
            scenario = resolve_scenario(args.scenario)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            load_scenario(scenario)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
    port = args.port
    if port == 0:
        port = free_port(args.host)
    elif not port_free(args.host, port):
        print(f"error: port {port} is in use; pass another with --port N, or --port 0 for a free one", file=sys.stderr)
        return EXIT_BAD_INPUT
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"scamsim viz: serving {picker_name(scenario) if scenario else initial_scenario()}; "
          f"open http://{shown}:{port}/ in a browser (Ctrl-C stops the server)", flush=True)
    proc = subprocess.Popen(server_command(port, args.host, args.open), env=server_env(scenario))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the server too, not only Ctrl-C
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def register(subparsers) -> None:
    """Add the ``viz`` subcommand to ``scamsim``'s argparse subparsers."""
    p = subparsers.add_parser("viz", help="serve the interactive browser app (Solara) for a scenario",
                              description="Serve the interactive app: a map of compounds, raids and moves, charts, headline "
                                          "measures and controls. Prints the address to open; Ctrl-C stops it.")
    p.add_argument("scenario", nargs="?", help="scenario file to open first (default: scenarios/baseline.toml)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--host", default="localhost", help="interface to listen on (default localhost; 0.0.0.0 to share on a network)")
    p.add_argument("--open", action="store_true", help="also open the address in the default web browser")
    p.set_defaults(func=cmd_viz)
