"""The results stream between the Locust processes and the pytest process.

Locust processes that send requests (the local runner, or each ``--worker``) tally every second
of the run (:class:`~.pacing.SecondTally`) and pass finished rows to the aggregating process
(the local runner itself, or the master) as Locust custom messages. The aggregator merges the
rows of all processes per second (:class:`SecondMerger`) and writes one JSON object per line on
a pipe the pytest process reads (:func:`parse_message`). Pure data in, pure data out.

Message types on the pipe (``"type"`` key):

- ``waiting``: ``workers_ready``, ``workers_expected`` (master waiting for workers to join);
- ``started``: ``t0`` (wall-clock time of the run's second 0), ``processes``;
- ``second``: ``t`` (second of the run), ``target_rps``, ``sent``, ``ok``, ``failed``
  (code -> count), ``p50_ms``/``p95_ms``/``p99_ms`` (None without responses), ``missed``
  (tickets no user was free to send), ``busy`` (most users in flight at once), ``lag_ms``
  (how late the slowest process's event loop ran: a CPU-bound generator), ``users``,
  ``reported`` (processes whose rows are in it);
- ``users``: ``count``, ``capped`` (the shape changed the user count; capped: needed more);
- ``warning``: ``message`` (e.g. Locust's CPU warning);
- ``finished``: ``seconds`` (rows emitted); the profile is over and every row was sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .pacing import merge_histograms, percentile
from .profile import LoadProfile

MESSAGE_TYPES = ("waiting", "started", "second", "users", "warning", "finished")


class StreamError(ValueError):
    """A line on the results pipe that is not a message of the protocol."""


def encode(message: dict) -> bytes:
    """One message as a JSON line (NaN/inf are not JSON: refuse them early)."""
    if message.get("type") not in MESSAGE_TYPES:
        raise StreamError(f"unknown message type in {message!r}")
    return (json.dumps(message, allow_nan=False, separators=(",", ":")) + "\n").encode()


_SECOND_FIELDS: dict[str, tuple[type, ...]] = {
    "t": (int,),
    "target_rps": (int, float),
    "sent": (int,),
    "ok": (int,),
    "failed": (dict,),
    "missed": (int,),
}


def parse_message(line: str | bytes) -> dict[str, Any]:
    """Decode and check one line; :class:`StreamError` says what is wrong with it."""
    text = line.decode(errors="replace") if isinstance(line, bytes) else line
    text = text.strip()
    try:
        message = json.loads(text)
    except json.JSONDecodeError as error:
        raise StreamError(f"not JSON ({error.msg}): {text[:200]!r}") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        raise StreamError(f"not a results message: {text[:200]!r}")
    if message["type"] == "second":
        for name, types in _SECOND_FIELDS.items():
            value = message.get(name)
            if isinstance(value, bool) or not isinstance(value, types):
                raise StreamError(f"'second' message without a valid {name!r}: {text[:200]!r}")
        for code, count in message["failed"].items():
            if not isinstance(count, int) or count < 0:
                raise StreamError(f"failure count {code}={count!r} is not a count: {text[:200]!r}")
    if message["type"] == "started" and not isinstance(message.get("t0"), int | float):
        raise StreamError(f"'started' message without t0: {text[:200]!r}")
    return message


def split_lines(buffer: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines in ``buffer + chunk`` and the incomplete rest (reads cut lines anywhere)."""
    data = buffer + chunk
    *lines, rest = data.split(b"\n")
    return [line for line in lines if line.strip()], rest


def first_start(after: float, clock_offset: float) -> float:
    """The wall time at or after ``after`` that is a whole second on the caller's clock.

    ``clock_offset`` is ``clock() - time.time()`` in the pytest process, so the run's second 0
    lands on a whole second of the timeline and rows keep integer times.
    """
    return math.ceil(after + clock_offset) - clock_offset


@dataclass
class _Pending:
    rows: list[dict] = field(default_factory=list)
    processes: set[str] = field(default_factory=set)
    first_seen: float = 0.0


class SecondMerger:
    """Merges per-process rows into one row per second, emitted in order.

    A second is emitted when every process reported it, or ``patience`` seconds after the first
    report when some process stays silent (it died or fell behind: the row says how many
    processes it holds, so the gap is visible).
    """

    def __init__(self, profile: LoadProfile, processes: int, patience: float = 10.0) -> None:
        self.profile = profile
        self.processes = processes
        self.patience = patience
        self.seconds = math.ceil(profile.duration - 1e-9)
        self.next = 0
        self._pending: dict[int, _Pending] = {}
        self.merged: list[dict] = []

    @property
    def complete(self) -> bool:
        return self.next >= self.seconds

    def add(self, process: str, rows: Iterable[dict], now: float) -> list[dict]:
        """Take one process's rows; return the merged rows now ready, in order."""
        for row in rows:
            second = row["t"]
            if second < self.next or second >= self.seconds:
                continue
            pending = self._pending.setdefault(second, _Pending(first_seen=now))
            if process in pending.processes:
                continue
            pending.processes.add(process)
            pending.rows.append(row)
        return self._ready(now)

    def flush_stale(self, now: float) -> list[dict]:
        """Emit seconds some process never reported, once ``patience`` has passed."""
        return self._ready(now)

    def _ready(self, now: float) -> list[dict]:
        out = []
        while self.next < self.seconds:
            pending = self._pending.get(self.next)
            if pending is None:
                later = [p.first_seen for s, p in self._pending.items() if s > self.next]
                if not later or now - min(later) < self.patience:
                    break
                pending = _Pending()
            elif len(pending.processes) < self.processes and now - pending.first_seen < (
                self.patience
            ):
                break
            out.append(self._merge(self.next, pending))
            self._pending.pop(self.next, None)
            self.next += 1
        self.merged.extend(out)
        return out

    def _merge(self, second: int, pending: _Pending) -> dict:
        failed: dict[str, int] = {}
        for row in pending.rows:
            for code, count in row["failed"].items():
                failed[code] = failed.get(code, 0) + count
        latency = merge_histograms(*({b: c for b, c in row["latency"]} for row in pending.rows))
        return {
            "type": "second",
            "t": second,
            "target_rps": self.profile.requests_between(second, second + 1),
            "sent": sum(row["sent"] for row in pending.rows),
            "ok": sum(row["ok"] for row in pending.rows),
            "failed": failed,
            "missed": sum(row["missed"] for row in pending.rows),
            "busy": sum(row["busy"] for row in pending.rows),
            "lag_ms": max((row.get("lag_ms", 0.0) for row in pending.rows), default=0.0),
            "p50_ms": percentile(latency, 0.50),
            "p95_ms": percentile(latency, 0.95),
            "p99_ms": percentile(latency, 0.99),
            "reported": len(pending.processes),
        }
