"""Progress of a sweep: a tqdm bar (rate, ETA) on a terminal; plain lines about every 10% or 30 s otherwise."""

from __future__ import annotations

import datetime as dt
import math
import sys
import time


class Progress:
    """Counts finished runs and reports them on stderr (a bar on a terminal, lines in logs and CI)."""

    def __init__(self, total: int, label: str, enabled: bool = True) -> None:
        self.total, self.label, self.done = total, label, 0
        self.start = self.last = time.monotonic()
        self.bar = None
        self.enabled = enabled and total > 0
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="run", dynamic_ncols=True)

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        step = max(1, self.total // 10)
        if self.done == self.total or self.done // step != (self.done - n) // step or now - self.last >= 30:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            eta_text = str(dt.timedelta(seconds=round(eta))) if math.isfinite(eta) else "?"
            print(f"{self.label}: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
                  f"{rate:.2f} runs/s, ETA {eta_text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
