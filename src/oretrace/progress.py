"""Progress on stderr, one reporter for the whole project: numbered steps, what a step did, and
how far a long step is (done of total, the rate, the time left).

    p = Progress(steps=len(stages))        # the build: one numbered line per stage
    p.step("loading the store"); ...; p.done("13,335 quads")
    p = Progress(label="import trade", total_bytes=size)   # a long loop: at most a line a second
    p.update(rows, done_bytes)
"""

from __future__ import annotations

import sys
import time

EVERY = 1.0  # seconds between the lines of `update`


class Progress:
    def __init__(self, steps: int = 0, quiet: bool = False, label: str = "", total_bytes: int | None = None):
        self.steps, self.n, self.quiet = steps, 0, quiet
        self.label, self.total = label, total_bytes
        self.t0 = self.last = time.perf_counter()

    def _print(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def step(self, text: str) -> None:
        """The next numbered step: `[n/steps] text`."""
        self.n += 1
        self._print(f"[{self.n}/{self.steps}] {text}")

    def done(self, text: str) -> None:
        """What the step did, with the time since the start."""
        self._print(f"      {text} ({time.perf_counter() - self.t0:.1f} s)")

    def rate(self, unit: str, what: str, done: float, total: float, seconds: float) -> None:
        """A line with how far a long step is, its rate and the time left."""
        if seconds <= 0:
            return
        r = done / seconds
        left = f"about {(total - done) / r:,.0f} s left" if r > 0 else "starting"
        self._print(f"      {done:,.0f} of {total:,.0f} {unit} {what} ({r:,.0f} {unit}/s, {left})")

    def update(self, rows: int, done_bytes: int | None = None, force: bool = False) -> None:
        """At most once a second (or when `force`d): rows so far, their rate, and how much of
        `total_bytes` is read with the time left."""
        now = time.perf_counter()
        if self.quiet or (not force and now - self.last < EVERY):
            return
        self.last = now
        el = max(now - self.t0, 1e-6)
        msg = f"{self.label}: {rows:,} rows, {rows / el:,.0f} rows/s"
        if self.total and done_bytes:
            frac = min(done_bytes / self.total, 1.0)
            left = el * (1 - frac) / frac if frac > 0 else 0
            msg += f", {frac:.0%} of the file, about {left:.0f} s left"
        self._print(msg)
