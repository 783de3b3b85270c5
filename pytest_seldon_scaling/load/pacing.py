"""Pacing math of the Locust driver: which request is due when, who sends it, how many users.

Pure functions over plain data, shared by the Locust processes (which import this module, never
the reverse) and by tests.

Strategy: an open arrival schedule, not ``constant_throughput`` users. The cumulative number of
requests the profile asks for by time ``t`` is exact (``LoadProfile.requests_between``); every
Locust process releases its share of that count as *tickets* into a queue a few hundred times a
second, and idle users take a ticket and send one request. So

- the number sent per second follows the profile to within one request, through ramps, steps
  and spikes, whatever the user count, as long as a user is free when a ticket is released;
- users are only concurrency: they are sized from the latency seen
  (:func:`users_needed`), never from the rate, so a latency change cannot silently lower the
  rate as it does with ``constant_throughput`` (which only caps each user);
- when no user is free for too long (server slow, machine saturated, users capped) a ticket is
  dropped and counted as *missed* in its second, and the result says the target was not reached
  instead of quietly sending less.

With ``count`` processes, process ``index`` takes ``(floor(N) + index) // count`` of the first
``N`` requests (Hermite's identity: the shares add up to ``floor(N)`` exactly), so a distributed
run sends what one process would have. The identity holds only in integers: ``N`` is floored
before the index is added, because in floats ``(N + index) / count`` rounds up (``N`` =
0.9999999999999999 gives ``(N + 1) / 2 == 1.0``) and the processes would send a request one
second early.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .profile import LoadProfile

# Users are sized for this many times the concurrency the latency seen needs (rate x p99).
USER_HEADROOM = 2.0
# Latency assumed before any is seen, and the floor of the one used for sizing (seconds).
ASSUMED_LATENCY = 0.05
# Users added per Locust process beyond what latency asks for (absorbs bursts and GC pauses).
SPARE_USERS_PER_PROCESS = 2
# Sizing looks this far ahead so users exist before a ramp needs them (seconds).
LOOKAHEAD = 3.0


def share(total: float, index: int, count: int) -> int:
    """Requests out of the first ``floor(total)`` that process ``index`` of ``count`` sends."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"process index {index} is not in 0..{count - 1}")
    return (math.floor(total) + index) // count


def releases(
    profile: LoadProfile, before: float, now: float, index: int = 0, count: int = 1
) -> list[tuple[int, int]]:
    """Tickets this process releases as time moves from ``before`` to ``now`` (seconds of run).

    Returns ``(second, n)`` pairs: ``n`` requests due in the run's second ``second``. Tickets
    are split at every whole second crossed, so each second gets exactly its own requests even
    when the caller ticks irregularly. Nothing is due outside ``[0, profile.duration]``.
    """
    lo = max(0.0, before)
    hi = min(now, profile.duration)
    if hi <= lo:
        return []
    out: list[tuple[int, int]] = []
    released = share(profile.requests_between(0.0, lo), index, count)
    edge = lo
    while edge < hi:
        second = math.floor(edge)
        upto = min(hi, second + 1.0)
        due = share(profile.requests_between(0.0, upto), index, count)
        if due > released:
            out.append((second, due - released))
            released = due
        edge = upto
    return out


def users_needed(
    target_rps: float,
    p99_seconds: float | None,
    busy: int,
    processes: int,
    current: int,
    max_users: int,
) -> tuple[int, bool]:
    """Users to run next, and whether ``max_users`` kept it below what was needed.

    Enough concurrency for ``target_rps`` at the latency seen (with headroom), at least
    half again the most users seen busy at once, plus spares per process. Never fewer than
    ``current``: stopping a Locust user kills its request mid-flight.
    """
    latency = max(p99_seconds or 0.0, ASSUMED_LATENCY)
    by_latency = math.ceil(target_rps * latency * USER_HEADROOM)
    by_busy = math.ceil(busy * 1.5)
    needed = max(by_latency, by_busy) + SPARE_USERS_PER_PROCESS * processes
    wanted = max(current, needed)
    return min(wanted, max_users), wanted > max_users


def peak_rate(profile: LoadProfile, start: float, span: float = LOOKAHEAD) -> float:
    """Highest target rate in ``[start, start + span]`` (pieces are linear: ends suffice)."""
    points = [start, start + span]
    points += [s for s, _ in profile.pieces() if start < s < start + span]
    points += [s + p.duration - 1e-9 for s, p in profile.pieces() if start < s + p.duration]
    return max(
        (profile.rate_at(t) for t in points if start <= t <= start + span),
        default=0.0,
    )


# -- latency histograms ---------------------------------------------------------------------


def latency_bucket(ms: float) -> float:
    """Response time rounded to two significant digits, as Locust does (keeps merges cheap)."""
    if ms <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(ms))
    return round(ms, digits)


def add_latency(histogram: dict[float, int], ms: float) -> None:
    bucket = latency_bucket(ms)
    histogram[bucket] = histogram.get(bucket, 0) + 1


def merge_histograms(*histograms: Mapping[float, int]) -> dict[float, int]:
    merged: dict[float, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            merged[bucket] = merged.get(bucket, 0) + count
    return merged


def percentile(histogram: Mapping[float, int], q: float) -> float | None:
    """The smallest bucket at or below which a fraction ``q`` of the samples fall."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket
    return max(histogram)


# -- one process's tally of one second -------------------------------------------------------


@dataclass
class SecondTally:
    """What one Locust process did with the requests due in one second of the run."""

    released: int = 0
    sent: int = 0
    missed: int = 0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    latency: dict[float, int] = field(default_factory=dict)
    busy: int = 0
    lag_ms: float = 0.0  # how late this process's event loop woke the pacer, at worst

    @property
    def completed(self) -> int:
        return self.ok + sum(self.failed.values())

    @property
    def pending(self) -> int:
        """Released tickets not yet missed or answered (queued or in flight)."""
        return self.released - self.missed - self.completed

    def record(self, code: str | None, ms: float) -> None:
        """A response (``code`` None) or a failure with its code."""
        if code is None:
            self.ok += 1
        else:
            self.failed[code] = self.failed.get(code, 0) + 1
        add_latency(self.latency, ms)

    def to_row(self, second: int, unanswered: str = "NoResponse") -> dict:
        """The plain row sent to the aggregating process; pending requests count as failed."""
        failed = dict(self.failed)
        if self.pending > 0:
            failed[unanswered] = failed.get(unanswered, 0) + self.pending
        return {
            "t": second,
            "sent": self.sent,
            "missed": self.missed,
            "ok": self.ok,
            "failed": failed,
            "latency": [[bucket, count] for bucket, count in sorted(self.latency.items())],
            "busy": self.busy,
            "lag_ms": round(self.lag_ms, 1),
        }


def closable(second: int, elapsed: float, pending: int, max_lag: float, timeout: float) -> bool:
    """A second's tally is final once it is over and nothing is pending, or waiting is useless.

    Tickets of ``second`` can still be taken up to ``max_lag`` after it ends, and their
    requests answered up to ``timeout`` after that.
    """
    if elapsed < second + 1:
        return False
    if pending <= 0:
        return True
    return elapsed >= second + 1 + max_lag + timeout + 1.0
