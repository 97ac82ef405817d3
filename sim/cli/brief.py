"""``scamsim brief``: execute a briefing notebook and export it to standalone HTML (see sim.briefs.briefing)."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_FAILURE, EXIT_OK, print_errors


def cmd_brief(args: argparse.Namespace) -> int:
    try:
        import ipykernel  # noqa: F401  (the kernel the notebook runs in)
        import nbconvert  # noqa: F401
        from nbclient.exceptions import CellExecutionError
    except ImportError as exc:
        print_errors([f"scamsim brief needs the 'briefs' extra ({exc.name} is not installed): pip install 'scamsim[briefs]', "
                      f"or pip install -e '.[briefs]' in a checkout"])
        return EXIT_FAILURE

    from sim.briefs.briefing import BriefingError, brief

    try:
        written = brief(args.notebook, out=args.out, small=args.small, results=args.results)
    except BriefingError as exc:
        return print_errors([str(exc)])
    except CellExecutionError as exc:
        if getattr(exc, "ename", "") == "BriefingError":  # raised inside the notebook: still the user's input
            return print_errors([str(exc.evalue)])
        print_errors([f"the notebook failed:\n{str(exc)[-3000:]}"])
        return EXIT_FAILURE
    print(f"wrote {written}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``brief`` subcommand to ``scamsim``'s parser."""
    p = subparsers.add_parser(
        "brief", help="execute a briefing notebook and export it to standalone HTML (code hidden)",
        description="Execute a shipped briefing notebook with parameters and write a standalone HTML brief with the code "
                    "hidden, the figures embedded and a provenance section. See docs/briefings.md.")
    p.add_argument("notebook", help="notebook path or name: 01_does_raiding_work, 02_where_raids_work, 03_root_causes "
                                    "(a prefix such as 01 is enough)")
    p.add_argument("--small", action="store_true", help="reduced run for checks and CI (numbers not for citation)")
    p.add_argument("--results", metavar="DIR", help="results folder written by scamsim sweep (default: results/EXPERIMENT "
                                                    "in the current folder if present, else the notebook runs a reduced experiment)")
    p.add_argument("--out", metavar="FILE.html",
                   help="HTML file to write (default: briefs/NOTEBOOK.html in the current folder; briefs/NOTEBOOK-small.html "
                        "with --small)")
    p.set_defaults(func=cmd_brief)
