"""What a load run achieved against what its profile asked for.

Shared by every load driver (the twin's simulated arrivals and the Locust driver), so a run that
could not send what was asked says so the same way everywhere, instead of reporting the target.
A window is short only when it is off by more than its tolerance *and* by more than one
request: a pacer sends whole requests, so a window's count misses the exact (fractional) target
by up to one at its edges, and a request sent on a second's boundary counts in the window beside
it. At 2 rps one request in a 5 s window is 10 %, which a ±5 % tolerance alone would call a
shortfall on a run that kept perfect pace.

"Reached" means served: sent as the profile asked *and* every request answered successfully; a
dead server that refuses every request was sent to as asked (:attr:`LoadResult.sent_as_asked`)
but did not take the load.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..timeline import TrafficCounts, TrafficSecond
from .profile import LoadProfile


@dataclass(frozen=True)
class Window:
    """Achieved against target over ``[start, end)`` seconds of the run."""

    start: float
    end: float
    target_rps: float
    achieved_rps: float

    @property
    def deviation(self) -> float:
        """Relative error of achieved against target (0.0 when both are zero)."""
        if self.target_rps == 0:
            return 0.0 if self.achieved_rps == 0 else float("inf")
        return (self.achieved_rps - self.target_rps) / self.target_rps

    @property
    def requests_off(self) -> float:
        """Requests sent beyond (positive) or short of (negative) the target in the window."""
        return (self.achieved_rps - self.target_rps) * (self.end - self.start)

    def short(self, tolerance: float) -> bool:
        """Off by more than ``tolerance`` of the target and by more than one whole request."""
        allowed = max(tolerance * self.target_rps * (self.end - self.start), 1.0)
        return abs(self.requests_off) > allowed + 1e-9


@dataclass
class LoadResult:
    """Totals, per-window accuracy and the verdicts: sent as asked, and served (reached)."""

    model: str
    profile: str
    sent: int
    ok: int
    failed: dict[str, int]
    windows: list[Window]
    tolerance: float
    shortfalls: list[str] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def sent_as_asked(self) -> bool:
        """The load generator kept to the profile (whatever the server answered)."""
        return not self.shortfalls

    @property
    def unanswered(self) -> int:
        """Requests sent without an outcome (neither ok nor failed) when the run ended."""
        return max(0, self.sent - self.ok - self.failed_total)

    @property
    def target_reached(self) -> bool:
        """Sent as asked and served: no failed, refused or unanswered request."""
        return self.sent_as_asked and self.ok == self.sent

    @property
    def reasons(self) -> list[str]:
        """Why the target was not reached, one line each (empty when it was)."""
        lines = list(self.shortfalls)
        if self.failed_total:
            codes = ", ".join(f"{n}x {code}" for code, n in sorted(self.failed.items()))
            lines.append(f"{self.failed_total} of {self.sent} requests failed ({codes})")
        if self.unanswered:
            lines.append(f"{self.unanswered} of {self.sent} requests had no answer")
        return lines

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "profile": self.profile,
            "sent": self.sent,
            "ok": self.ok,
            "failed": dict(self.failed),
            "target_reached": self.target_reached,
            "sent_as_asked": self.sent_as_asked,
            "shortfalls": list(self.shortfalls),
            "tolerance": self.tolerance,
            "windows": [
                {
                    "start": w.start,
                    "end": w.end,
                    "target_rps": round(w.target_rps, 3),
                    "achieved_rps": round(w.achieved_rps, 3),
                }
                for w in self.windows
            ],
            "artifacts": dict(self.artifacts),
        }


def summarize(
    model: str,
    profile: LoadProfile,
    seconds: Sequence[TrafficSecond],
    *,
    started_at: float = 0.0,
    window: float = 5.0,
    tolerance: float = 0.05,
    skip_first: int = 1,
) -> LoadResult:
    """Compare what was sent per ``window`` seconds with what ``profile`` asked for.

    ``seconds`` carry absolute times; ``started_at`` is when the profile's second 0 began.
    The first ``skip_first`` windows are reported but not judged (users spawn, connections open).
    """
    return summarize_counts(
        model,
        profile,
        TrafficCounts.of(seconds),
        started_at=started_at,
        window=window,
        tolerance=tolerance,
        skip_first=skip_first,
    )


def summarize_counts(
    model: str,
    profile: LoadProfile,
    counts: TrafficCounts,
    *,
    started_at: float = 0.0,
    window: float = 5.0,
    tolerance: float = 0.05,
    skip_first: int = 1,
) -> LoadResult:
    """:func:`summarize` from the run's :class:`~..timeline.TrafficCounts`."""
    by_offset: dict[int, int] = {}
    # A row is a whole second: a run started between whole seconds has its second 0 in the
    # row it started in (rounding to the nearest would put two rows on one offset), and the
    # row at offset k holds the run's requests of [k - shift, k + 1 - shift): each window's
    # target is taken over the same span its rows cover.
    first = math.floor(started_at)
    shift = started_at - first
    for t, n in counts.sent_at.items():
        offset = round(t - first)
        by_offset[offset] = by_offset.get(offset, 0) + n
    sent, ok, failed = counts.sent, counts.ok, counts.failed
    windows: list[Window] = []
    shortfalls: list[str] = []
    start = 0.0
    index = 0
    zeros = itertools.repeat(0)
    while start + window <= profile.duration + 1e-9:
        end = start + window
        target = profile.requests_between(max(0.0, start - shift), end - shift) / window
        achieved = sum(map(by_offset.get, range(int(start), int(end)), zeros)) / window
        w = Window(start, end, target, achieved)
        windows.append(w)
        if index >= skip_first and w.short(tolerance):
            shortfalls.append(
                f"{start:g}-{end:g}s: achieved {achieved:.1f} rps against a target of "
                f"{target:.1f} rps ({w.deviation:+.1%}, {w.requests_off:+.0f} requests; "
                f"tolerance ±{tolerance:.0%} or 1 request)"
            )
        start, index = end, index + 1
    return LoadResult(model, profile.describe(), sent, ok, failed, windows, tolerance, shortfalls)
