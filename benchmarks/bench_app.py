"""How fast the browser app can show weeks, without the browser.

Run from the repository root::

    python benchmarks/bench_app.py                                  # baseline.toml, 100 weeks
    python benchmarks/bench_app.py --scenario mekong.toml --compare --weeks 50

Each week is what the app does per frame at render interval 1: one step of the model (and of the
no-policy run with ``--compare``), a new map and new charts encoded as PNG, and the headline
measures. The browser's and the websocket's share is left out (tests/test_app_browser.py prints the
in-browser rate). docs/app.md ("Speed") reports the figures.
"""

from __future__ import annotations

import argparse
import time

from sim.viz.charts import ChartsPainter
from sim.viz.controls import AppModel
from sim.viz.drawing import MapPainter, headline


def weeks_per_second(app: AppModel, weeks: int = 100) -> float:
    """Weeks per second for ``weeks`` weeks of ``app``: each week one step, one map, one chart and the measures."""
    map_painter, charts_painter = MapPainter(app.simulation), ChartsPainter(app.simulation, app.counterfactual)
    start = time.perf_counter()
    for _ in range(weeks):
        app.step()
        map_painter.update(app.simulation).png()
        charts_painter.update(app.simulation).png()
        headline(app.simulation, app.counterfactual)
    return weeks / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=None, help="shipped scenario or path (default: the app's first, baseline.toml)")
    parser.add_argument("--weeks", type=int, default=100, help="weeks to time (default 100)")
    parser.add_argument("--compare", action="store_true", help="also step and draw the no-policy run")
    args = parser.parse_args(argv)
    app = AppModel(scenario_file=args.scenario, compare=args.compare)
    rate = weeks_per_second(app, args.weeks)
    print(f"{app.scenario_file}{' with the no-policy run' if args.compare else ''}: {rate:.1f} weeks/s off-browser")


if __name__ == "__main__":
    main()
