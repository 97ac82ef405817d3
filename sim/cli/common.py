"""What every ``scamsim`` command shares: exit codes, error printing and progress lines."""

from __future__ import annotations

import sys
from collections.abc import Callable

from sim.common.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "MAX_REPLICATIONS", "MAX_WORKERS", "count_problems",
           "print_errors", "progress", "workers_problem"]


#: The most replications one command accepts (a typo guard; a larger study is several commands).
MAX_REPLICATIONS = 10000
MAX_WORKERS = 256


def count_problems(replications: int, workers: int, seed: int, seed_flag: str = "--seed") -> list[str]:
    """What is wrong with a command's replications, workers and (first) seed, named by their flags."""
    problems = []
    if not 1 <= replications <= MAX_REPLICATIONS:
        problems.append(f"--replications: {replications} is out of range; allowed: 1 to {MAX_REPLICATIONS}")
    if (problem := workers_problem(workers)) is not None:
        problems.append(problem)
    if seed < 0:
        problems.append(f"{seed_flag}: {seed} is negative; allowed: a whole number of 0 or more")
    return problems


def workers_problem(workers: int | None) -> str | None:
    """What is wrong with ``--workers`` (None when it was not given or is allowed): one check and one wording
    for every command that starts local worker processes."""
    if workers is None or 1 <= workers <= MAX_WORKERS:
        return None
    return f"--workers: {workers} is out of range; allowed: 1 to {MAX_WORKERS}"


def print_errors(problems: list[str]) -> int:
    """Every problem on stderr, one line each; the bad-input exit code (every subcommand reports this way)."""
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def progress(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A tqdm bar on a terminal; plain periodic lines when output is piped (logs, CI)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, unit="week", leave=False)
        return (lambda _w: bar.update(1)), bar.close
    step = max(1, total // 10)

    def tick(week: int) -> None:
        if week % step == 0 or week == total:
            print(f"{label}: week {week}/{total}", file=sys.stderr, flush=True)

    return tick, lambda: None
