"""``scamsim viz``: serve the browser app (``sim/viz/app.py``) with ``solara run``.

A thin wrapper: it checks the scenario file, picks the port, prints the address to open, and runs
``python -m solara run sim/viz/app.py`` with the scenario passed in the ``SCAMSIM_SCENARIO`` environment
variable. Where scenarios are found is ``sim.viz.scenarios`` (shared with the app); this command
starts without importing Solara or Mesa.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT, print_errors
from sim.viz.scenarios import SCENARIO_ENV, initial_scenario, picker_name, resolve_scenario

DEFAULT_PORT = 8765


def app_path() -> Path:
    """The app's file, as ``solara run`` takes it."""
    return Path(__file__).resolve().parents[1] / "viz" / "app.py"


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
            return print_errors(exc.problems)
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
