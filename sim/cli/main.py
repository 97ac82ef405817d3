"""The ``scamsim`` command: validate scenarios, run one simulation, sweep, plot, serve the app.

Each command lives in its own module of ``sim.cli`` with a ``register(subparsers)`` function;
building the parser imports none of the model, so ``scamsim --help`` is quick. Exit codes: 0
success, 2 bad input (the message names the file and the key), 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from sim.cli.common import EXIT_INTERRUPTED
from sim.common.errors import EXIT_BAD_INPUT, EXIT_FAILURE, SimulationError

#: Environment variable: set (to anything) to let an unexpected error's traceback through.
DEBUG_ENV = "SCAMSIM_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scamsim", description="Agent-based simulation of scam compounds under enforcement.")
    sub = parser.add_subparsers(dest="command", required=True)

    from sim.cli import app, brief, calibrate, compare, patterns, replay, run, sensitivity, sweep, table, validate

    validate.register(sub)
    run.register(sub)
    sweep.register(sub)
    table.register(sub)
    sensitivity.register(sub)
    app.register(sub)
    brief.register(sub)
    patterns.register(sub)
    replay.register(sub)
    calibrate.register(sub)
    compare.register(sub)
    return parser


def _terminate_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # SIGTERM ends a command the way Ctrl-C does: partial outputs are removed, no traceback is printed.
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SimulationError as exc:  # the parameters together drove the run past what it can represent
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug: say so in one line, without the traceback unless asked for
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"error: scamsim stopped on an unexpected {type(exc).__name__}: {exc}\n"
              f"This is a bug in scamsim. Set {DEBUG_ENV}=1 to see the traceback, and please report "
              "it with the command that gave it.", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
