"""What was observed over time: traffic per second, replicas, HPA decisions, conditions, events.

Both cluster backends append to a :class:`Timeline`; assertions read it to decide and to explain
a failure (:meth:`Timeline.table`), and reports plot it. Times are seconds since the cluster
handle started (virtual seconds on the twin, wall-clock seconds on a real cluster).

References to objects are ``"<kind>/<name>"`` in lower case: ``model/irisa0``,
``server/mlserver``, ``hpa/irisa0-model-hpa``.

Traffic is the bulk of a run (one row per model-second), so a timeline keeps it column-wise
(:class:`_TrafficColumns`) and a report keeps it bounded (:meth:`Timeline.downsampled`): up to
:data:`MAX_POINTS` rows per model, beyond that exact aggregates per bucket of whole seconds.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# Rows per model a report keeps. A chart's plot area is 888 px wide: more points than pixels
# draw nothing more, and the report's size stops growing with the run's length.
MAX_POINTS = 1000
# HPA samples per HPA a report keeps: the chart draws them as 5 px dots, which past ~360 on
# 888 px cover each other wholly (15 s syncs: 1.5 h of them).
MAX_HPA_SAMPLES = 360
# Bucket widths (seconds) a report picks from, so an axis reads "per 5 s", never "per 7 s".
BUCKET_WIDTHS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


@dataclass
class TrafficSecond:
    """Requests for one model in the second ``[t, t+1)``.

    In a timeline read from a downsampled report a row covers the bucket
    ``[t, t + Timeline.traffic_bucket)``, of which ``seconds`` had traffic recorded:
    ``sent``, ``ok`` and ``failed`` are their sums, ``target_rps`` their mean target, and
    each latency quantile the worst of theirs (see :func:`bucket_traffic`).
    """

    t: int
    model: str
    target_rps: float
    sent: int = 0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    seconds: int = 1

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


@dataclass(frozen=True)
class TrafficCounts:
    """What one model's load sent over some seconds: the totals a load result reports, and
    the requests sent in each second ``t``."""

    sent: int
    ok: int
    failed: dict[str, int]
    sent_at: dict[int, int]

    @classmethod
    def of(cls, seconds: Iterable[TrafficSecond]) -> TrafficCounts:
        sent = ok = 0
        failed: dict[str, int] = {}
        sent_at: dict[int, int] = {}
        for s in seconds:  # one pass: an hour-long run has thousands of seconds per model
            sent += s.sent
            ok += s.ok
            if s.failed:
                for code, count in s.failed.items():
                    failed[code] = failed.get(code, 0) + count
            sent_at[s.t] = sent_at.get(s.t, 0) + s.sent
        return cls(sent, ok, failed, sent_at)


@dataclass(frozen=True)
class ReplicaSample:
    """Replica counts of a Model or Server from time ``t`` on (recorded on change)."""

    t: float
    ref: str
    spec: int | None
    status: int | None
    available: int | None = None


@dataclass(frozen=True)
class HPASample:
    """One HPA sync: what it saw, what it wanted, and its conditions."""

    t: float
    ref: str
    current: int
    desired: int
    metrics: dict[str, float]
    conditions: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class ConditionChange:
    """A condition of an object changed (type matched, never position)."""

    t: float
    ref: str
    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class Event:
    """Something happened to an object: a rescale, a scheduler decision, a drain."""

    t: float
    ref: str
    reason: str
    message: str = ""


_LATENCIES = ("p50_ms", "p95_ms", "p99_ms")
# a latency column's "no latency" (no request completed that second): below every latency,
# so a bucket's worst is the max of its slice
_NONE = -math.inf
_REQUIRED = object()  # a column a report must have


class _TrafficColumns:
    """One model's traffic rows as parallel arrays: ~60 bytes a row instead of a
    :class:`TrafficSecond` object's ~300 (tracemalloc). ``failed`` holds only rows with
    failures (most have none); ``seconds`` exists only once a row covers more than one second.

    ``t`` is appended last, and readers take ``len(t)`` rows: the Locust driver records from its
    reader thread, and a query from the test's thread then sees whole rows only.
    """

    __slots__ = ("failed", "ok", "p50_ms", "p95_ms", "p99_ms", "seconds", "sent", "t", "target_rps")

    def __init__(self) -> None:
        self.t = array("q")
        self.target_rps = array("d")
        self.sent = array("q")
        self.ok = array("q")
        self.p50_ms = array("d")
        self.p95_ms = array("d")
        self.p99_ms = array("d")
        self.failed: dict[int, dict[str, int]] = {}
        self.seconds: array | None = None

    def __len__(self) -> int:
        return len(self.t)

    def append(self, row: TrafficSecond) -> None:
        self.append_values(
            row.t, row.target_rps, row.sent, row.ok, row.failed,
            row.p50_ms, row.p95_ms, row.p99_ms, row.seconds,
        )  # fmt: skip

    def append_values(
        self,
        t: int,
        target_rps: float,
        sent: int,
        ok: int,
        failed: dict[str, int],
        p50_ms: float | None,
        p95_ms: float | None,
        p99_ms: float | None,
        seconds: int = 1,
    ) -> None:
        index = len(self.t)
        self.target_rps.append(target_rps)
        self.sent.append(sent)
        self.ok.append(ok)
        self.p50_ms.append(_NONE if p50_ms is None else p50_ms)
        self.p95_ms.append(_NONE if p95_ms is None else p95_ms)
        self.p99_ms.append(_NONE if p99_ms is None else p99_ms)
        if failed:
            self.failed[index] = failed
        if seconds != 1 and self.seconds is None:
            self.seconds = array("q", [1]) * index
        if self.seconds is not None:
            self.seconds.append(seconds)
        self.t.append(t)

    def extend_seconds(
        self,
        t0: int,
        target_rps: list[float],
        sent: list[int],
        ok: list[int],
        latencies_ms: tuple[float, float, float] | None,
        refused: str | None = None,
    ) -> None:
        """Append one row per second from ``t0`` where every second that sent requests had
        the same ``(p50, p95, p99)`` (None: no latency), and either none failed or, with
        ``refused``, every one sent failed with that code (the twin's quiet spans)."""
        index = len(self.t)
        count = len(sent)
        self.target_rps.extend(target_rps)
        self.sent.extend(sent)
        self.ok.extend(ok)
        every_second_sent = 0 not in sent
        for column, value in zip(
            (self.p50_ms, self.p95_ms, self.p99_ms), latencies_ms or (_NONE,) * 3, strict=True
        ):
            if every_second_sent:
                column.extend(array("d", [value]) * count)
            else:
                column.extend([value if n else _NONE for n in sent])
        if refused is not None:
            failed = self.failed
            for i, n in enumerate(sent, index):
                if n:
                    failed[i] = {refused: n}
        if self.seconds is not None:
            self.seconds.extend(array("q", [1]) * count)
        self.t.extend(range(t0, t0 + count))

    def rows(self, model: str, low: int = 0, high: int | None = None) -> list[TrafficSecond]:
        """Rows ``low`` to ``high`` (exclusive) as :class:`TrafficSecond` objects."""
        high = len(self.t) if high is None else min(high, len(self.t))
        t, target, sent, ok, failed = self.t, self.target_rps, self.sent, self.ok, self.failed
        p50, p95, p99, seconds = self.p50_ms, self.p95_ms, self.p99_ms, self.seconds
        return [
            TrafficSecond(
                t[i],
                model,
                target[i],
                sent[i],
                ok[i],
                failed.get(i, {}) if failed else {},
                _latency(p50[i]),
                _latency(p95[i]),
                _latency(p99[i]),
                1 if seconds is None else seconds[i],
            )
            for i in range(low, high)
        ]

    def window(self, start: float | None, end: float | None, *, inclusive: bool = False) -> range:
        """Row indexes with ``start <= t < end`` (``<= end`` when ``inclusive``); rows are
        recorded in time order."""
        t, n = self.t, len(self.t)
        low = 0 if start is None else bisect.bisect_left(t, start, 0, n)
        if end is None:
            high = n
        elif inclusive:
            high = bisect.bisect_right(t, end, 0, n)
        else:
            high = bisect.bisect_left(t, end, 0, n)
        return range(low, high)

    def sliced(self, rows: range) -> _TrafficColumns:
        part = _TrafficColumns()
        low, high = rows.start, rows.stop
        for name in ("target_rps", "sent", "ok", *_LATENCIES):
            setattr(part, name, getattr(self, name)[low:high])
        part.failed = {i - low: f for i, f in self.failed.items() if low <= i < high}
        if self.seconds is not None:
            part.seconds = self.seconds[low:high]
        part.t = self.t[low:high]
        return part

    def span(self) -> tuple[int, int]:
        """The first and last row's ``t``."""
        return self.t[0], self.t[len(self.t) - 1]

    def last_end(self) -> int:
        """Where the last row's seconds end (a bucket ends after the seconds it holds)."""
        last = len(self.t) - 1
        return self.t[last] + (1 if self.seconds is None else self.seconds[last])

    def to_dict(self, model: str) -> dict:
        n = len(self.t)
        data: dict = {
            "model": model,
            "t": self.t[:n].tolist(),
            "target_rps": self.target_rps[:n].tolist(),
            "sent": self.sent[:n].tolist(),
            "ok": self.ok[:n].tolist(),
            "failed": _failed_columns(self.failed, n),
        }
        for name in _LATENCIES:
            data[name] = [None if v == _NONE else v for v in getattr(self, name)[:n]]
        if self.seconds is not None:
            data["seconds"] = self.seconds[:n].tolist()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> _TrafficColumns:
        """Read :meth:`to_dict`'s columns; a column of another length is refused by name."""
        columns = cls()
        model, n = data.get("model"), len(data["t"])

        def column(name: str, default: object = _REQUIRED) -> list:
            values = data.get(name)
            if values is None and default is _REQUIRED:
                raise ValueError(f"traffic of model {model!r}: no {name} column")
            if values is None:
                return [default] * n
            if len(values) != n:
                raise ValueError(
                    f"traffic of model {model!r}: {name} has {len(values)} values, t has {n}"
                )
            return values

        columns.target_rps = array("d", column("target_rps"))
        columns.sent = array("q", column("sent", 0))
        columns.ok = array("q", column("ok", 0))
        for name in _LATENCIES:
            values = column(name, None)
            setattr(columns, name, array("d", [_NONE if v is None else v for v in values]))
        for code, counts in (data.get("failed") or {}).items():
            if len(counts) != n:
                raise ValueError(
                    f"traffic of model {model!r}: failed[{code!r}] has {len(counts)} values, "
                    f"t has {n}"
                )
            for i, count in enumerate(counts):
                if count:
                    columns.failed.setdefault(i, {})[code] = count
        if "seconds" in data:
            columns.seconds = array("q", column("seconds"))
        columns.t = array("q", data["t"])
        return columns


def _latency(value: float) -> float | None:
    return None if value == _NONE else value


def _failed_columns(failed: dict[int, dict[str, int]], n: int) -> dict[str, list[int]]:
    """Sparse per-row failure counts as one dense column per status code."""
    columns: dict[str, list[int]] = {}
    for index, counts in sorted(failed.items()):
        if index >= n:
            continue
        for code, count in counts.items():
            columns.setdefault(code, [0] * n)[index] = count
    return columns


def bucket_traffic(columns: _TrafficColumns, width: int) -> _TrafficColumns:
    """``columns`` aggregated into buckets ``[k * width, (k + 1) * width)``.

    Each aggregate is exact or errs on the side a check would: ``sent``, ``ok``, ``failed``
    (per code) and ``seconds`` are sums, so totals and failure counts never change;
    ``target_rps`` is the mean target of the recorded seconds (weighted by their ``seconds``,
    so buckets of buckets stay exact); each latency quantile is the bucket's worst, so a
    latency breach is never averaged away (and the worst second's p99 bounds the bucket's own:
    if no second has more than 1 % of its requests above it, the bucket has not either).
    """
    out = _TrafficColumns()
    out.seconds = array("q")
    t, target, seconds, n = columns.t, columns.target_rps, columns.seconds, len(columns.t)
    failed = sorted(i for i in columns.failed if i < n)
    next_failed = 0
    low = 0
    while low < n:  # one bucket a turn; each sum and max over a slice runs in C
        start = t[low] // width * width
        high = bisect.bisect_left(t, start + width, low, n)
        if seconds is None:
            covered, weighted = high - low, sum(target[low:high])
        else:
            covered = sum(seconds[low:high])
            weighted = sum(map(operator.mul, target[low:high], seconds[low:high]))
        out.sent.append(sum(columns.sent[low:high]))
        out.ok.append(sum(columns.ok[low:high]))
        out.seconds.append(covered)
        out.target_rps.append(weighted / covered)
        for name in _LATENCIES:
            getattr(out, name).append(max(getattr(columns, name)[low:high]))
        counts: dict[str, int] = {}
        while next_failed < len(failed) and failed[next_failed] < high:
            for code, count in columns.failed[failed[next_failed]].items():
                counts[code] = counts.get(code, 0) + count
            next_failed += 1
        if counts:
            out.failed[len(out.t)] = counts
        out.t.append(start)
        low = high
    return out


def bucket_width(spans: Iterable[tuple[int, int]], current: int, max_points: int) -> int:
    """The narrowest bucket width that keeps every ``(first, last)`` span of seconds within
    ``max_points`` buckets: a width from :data:`BUCKET_WIDTHS` that is a multiple of
    ``current`` (the width the rows already have), else a multiple of ``current``."""
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, not {max_points}")
    spans = list(spans)

    def fits(width: int) -> bool:
        return all(last // width - first // width + 1 <= max_points for first, last in spans)

    return next(width for width in _widths(current) if fits(width))


def _widths(current: int) -> Iterator[int]:
    yield current
    yield from (w for w in BUCKET_WIDTHS if w > current and w % current == 0)
    step = math.lcm(current, BUCKET_WIDTHS[-1])
    yield from (step * k for k in itertools.count(1) if step * k > current)


def thin_samples(samples: Sequence[HPASample], cap: int) -> list[HPASample]:
    """At most ``cap`` of one HPA's samples, in order: first every sample whose decision
    (current, desired, conditions) differs from the one before, then evenly spaced others
    (their metrics); when decisions alone exceed ``cap``, evenly spaced decisions."""
    n = len(samples)
    if n <= cap:
        return list(samples)
    changes = [
        i
        for i in range(n)
        if i == 0 or _decision(samples[i]) != _decision(samples[i - 1]) or i == n - 1
    ]
    keep = set(_evenly(changes, cap))
    others = [i for i in range(n) if i not in keep]
    keep.update(_evenly(others, cap - len(keep)))
    return [samples[i] for i in sorted(keep)]


def _decision(sample: HPASample) -> tuple:
    return sample.current, sample.desired, sample.conditions


def _evenly(items: Sequence[int], count: int) -> list[int]:
    """``count`` of ``items`` spread evenly, first and last included (all when fewer)."""
    if count >= len(items):
        return list(items)
    if count <= 0:
        return []
    if count == 1:
        return [items[0]]
    return [items[round(j * (len(items) - 1) / (count - 1))] for j in range(count)]


class Timeline:
    """An append-only record of a run, with the queries assertions and reports need."""

    def __init__(self) -> None:
        # seconds a traffic row covers at most: 1 as recorded, more once read from a report
        # that downsampled it (:meth:`downsampled`)
        self.traffic_bucket = 1
        # per HPA thinned in a report: how many samples it had recorded
        self.hpa_recorded: dict[str, int] = {}
        self._traffic: dict[str, _TrafficColumns] = {}  # per model, in order of first record
        self.replicas: list[ReplicaSample] = []
        self.hpa: list[HPASample] = []
        self.conditions: list[ConditionChange] = []
        self.events: list[Event] = []
        self._last_replicas: dict[str, ReplicaSample] = {}
        self._last_condition: dict[tuple[str, str], ConditionChange] = {}
        self._replicas_by_ref: dict[str, list[ReplicaSample]] = defaultdict(list)
        # per-key indexes, so a query for one HPA costs its own records, not the run's
        self._hpa_by_ref: dict[str, list[HPASample]] = defaultdict(list)
        self._conditions_by_ref: dict[str, list[ConditionChange]] = defaultdict(list)

    # -- recording -------------------------------------------------------------------------

    def record_traffic(self, second: TrafficSecond) -> None:
        """Record one second of a model's traffic (each model's in time order); the row is
        kept column-wise, its ``failed`` dict only when not empty."""
        self._columns(second.model).append(second)

    def traffic_recorder(self, model: str) -> Callable[..., None]:
        """A function recording one second of ``model``'s traffic from its values
        ``(t, target_rps, sent, ok, failed, p50_ms, p95_ms, p99_ms)``, as
        :meth:`record_traffic` does, without building the row (the twin records one per
        model-second)."""
        return self._columns(model).append_values

    def seconds_recorder(self, model: str) -> Callable[..., None]:
        """A function recording seconds of ``model``'s traffic in bulk, as
        :meth:`_TrafficColumns.extend_seconds` takes them."""
        return self._columns(model).extend_seconds

    def _columns(self, model: str) -> _TrafficColumns:
        columns = self._traffic.get(model)
        if columns is None:
            columns = self._traffic[model] = _TrafficColumns()
        return columns

    @property
    def traffic(self) -> list[TrafficSecond]:
        """Every traffic row in time order (models at one time in the order they first
        appeared), built on each call: prefer :meth:`traffic_for` for one model."""
        return list(heapq.merge(*(c.rows(m) for m, c in self._traffic.items()), key=_t))

    def record_replicas(
        self, t: float, ref: str, spec: int | None, status: int | None, available: int | None = None
    ) -> None:
        """Record replica counts; a sample equal to the last one for ``ref`` is dropped."""
        last = self._last_replicas.get(ref)
        if last is not None and (last.spec, last.status, last.available) == (
            spec,
            status,
            available,
        ):
            return
        sample = ReplicaSample(t, ref, spec, status, available)
        self._last_replicas[ref] = sample
        self.replicas.append(sample)
        self._replicas_by_ref[ref].append(sample)

    def record_hpa(self, sample: HPASample) -> None:
        samples = self._hpa_by_ref.get(sample.ref)
        if samples and samples[-1].conditions == sample.conditions:
            # an HPA's conditions seldom change from one sync to the next: one dict for a run
            # of equal ones (about a third of a sample's memory)
            sample = HPASample(
                sample.t,
                sample.ref,
                sample.current,
                sample.desired,
                sample.metrics,
                samples[-1].conditions,
            )
        self.hpa.append(sample)
        self._hpa_by_ref[sample.ref].append(sample)

    def record_condition(
        self, t: float, ref: str, type_: str, status: str, reason: str = "", message: str = ""
    ) -> None:
        """Record a condition; unchanged (status, reason, message) for the same type is dropped."""
        last = self._last_condition.get((ref, type_))
        if last is not None and (last.status, last.reason, last.message) == (
            status,
            reason,
            message,
        ):
            return
        change = ConditionChange(t, ref, type_, status, reason, message)
        self._last_condition[(ref, type_)] = change
        self.conditions.append(change)
        self._conditions_by_ref[ref].append(change)

    def record_event(self, t: float, ref: str, reason: str, message: str = "") -> None:
        self.events.append(Event(t, ref, reason, message))

    # -- queries ---------------------------------------------------------------------------

    def replicas_at(self, ref: str, t: float) -> ReplicaSample | None:
        """The replica sample in force at ``t`` (the last one recorded at or before it)."""
        samples = self._replicas_by_ref.get(ref, [])
        index = bisect.bisect_right(samples, t, key=_t)
        return samples[index - 1] if index else None

    def replica_series(self, ref: str) -> list[ReplicaSample]:
        return list(self._replicas_by_ref.get(ref, []))

    def condition_history(self, ref: str, type_: str | None = None) -> list[ConditionChange]:
        return [c for c in self._conditions_by_ref.get(ref, ()) if type_ is None or c.type == type_]

    def traffic_for(
        self, model: str | None = None, start: float | None = None, end: float | None = None
    ) -> list[TrafficSecond]:
        """Seconds of traffic for ``model`` (all models when None) with ``start <= t < end``."""
        if model is None:
            return [
                s
                for s in self.traffic
                if (start is None or s.t >= start) and (end is None or s.t < end)
            ]
        columns = self._traffic.get(model)
        if columns is None:
            return []
        rows = columns.window(start, end)
        return columns.rows(model, rows.start, rows.stop)

    def traffic_counts(self, model: str, start: float, end: float) -> TrafficCounts:
        """:meth:`TrafficCounts.of` the seconds ``traffic_for(model, start, end)`` returns,
        summed from the columns without building the rows."""
        columns = self._traffic.get(model)
        if columns is None:
            return TrafficCounts(0, 0, {}, {})
        rows = columns.window(start, end)
        low, high = rows.start, rows.stop
        sent = columns.sent[low:high]
        failed: dict[str, int] = {}
        for index, codes in columns.failed.items():
            if low <= index < high:
                for code, count in codes.items():
                    failed[code] = failed.get(code, 0) + count
        return TrafficCounts(
            sum(sent),
            sum(columns.ok[low:high]),
            failed,
            dict(zip(columns.t[low:high], sent, strict=True)),
        )

    def seconds_over(self, model: str, start: float, end: float, *, p99_ms: float) -> int:
        """How many of ``model``'s seconds with ``start <= t < end`` had a p99 above
        ``p99_ms`` (a second without answers has none)."""
        columns = self._traffic.get(model)
        if columns is None:
            return 0
        rows = columns.window(start, end)
        return sum(1 for p99 in columns.p99_ms[rows.start : rows.stop] if p99 > p99_ms)

    def events_between(self, start: float, end: float) -> list[Event]:
        """Events with ``start <= t <= end`` (events are recorded in time order)."""
        low = bisect.bisect_left(self.events, start, key=_t)
        return self.events[low : bisect.bisect_right(self.events, end, key=_t)]

    def hpa_for(self, ref: str) -> list[HPASample]:
        return list(self._hpa_by_ref.get(ref, ()))

    def refs(self) -> list[str]:
        return sorted(self._replicas_by_ref)

    def models_with_traffic(self) -> list[str]:
        return sorted(m for m, c in self._traffic.items() if len(c))

    @property
    def end(self) -> float:
        """The last time anything was recorded."""
        times: list[float] = [c.last_end() for c in self._traffic.values() if len(c)]
        times += [r.t for r in self.replicas[-1:]] + [h.t for h in self.hpa[-1:]]
        times += [c.t for c in self.conditions[-1:]] + [e.t for e in self.events[-1:]]
        return max(times, default=0.0)

    def table(
        self,
        start: float,
        end: float,
        refs: Iterable[str] = (),
        models: Iterable[str] = (),
        every: float = 15.0,
        max_rows: int = 24,
    ) -> str:
        """A short text table of RPS, replicas and conditions, for assertion messages."""
        refs, models = list(refs), list(models)
        start = max(0.0, start)
        if end <= start:
            end = start + every
        step = max(every, (end - start) / max_rows)
        header = ["t(s)"]
        header += [f"{m} rps ok/fail" for m in models]
        header += [f"{r} spec/status/avail" for r in refs]
        header += ["conditions"]
        rows = [header]
        t = start
        while t <= end + 1e-9:
            row = [f"{t:7.0f}"]
            for model in models:
                window = self.traffic_for(model, t, t + step)
                ok = sum(s.ok for s in window)
                failed = sum(s.failed_total for s in window)
                seconds = max(1, sum(s.seconds for s in window))
                row.append(f"{(ok + failed) / seconds:6.1f} {ok}/{failed}")
            for ref in refs:
                sample = self.replicas_at(ref, t)
                row.append(
                    "-"
                    if sample is None
                    else f"{_n(sample.spec)}/{_n(sample.status)}/{_n(sample.available)}"
                )
            changes = [
                f"{c.ref} {c.type}={c.status}"
                + (f" ({c.message or c.reason})" if c.status != "True" else "")
                for c in self.conditions
                if t - step < c.t <= t and (not refs or c.ref in refs)
            ]
            row.append("; ".join(changes))
            rows.append(row)
            t += step
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        )

    def between(self, start: float, end: float) -> Timeline:
        """A copy holding what happened in ``[start, end]``, plus the state in force at start."""
        part = Timeline()
        part.traffic_bucket = self.traffic_bucket
        for ref in self.refs():
            before = self.replicas_at(ref, start)
            if before is not None:
                part.record_replicas(start, ref, before.spec, before.status, before.available)
        for sample in self.replicas:
            if start < sample.t <= end:
                part.record_replicas(
                    sample.t, sample.ref, sample.spec, sample.status, sample.available
                )
        for model, columns in self._traffic.items():
            rows = columns.window(start, end, inclusive=True)
            if rows:
                part._traffic[model] = columns.sliced(rows)
        for sample in self.hpa:
            if start <= sample.t <= end:
                part.record_hpa(sample)
        part.events = [e for e in self.events if start <= e.t <= end]
        for c in self.conditions:
            if start <= c.t <= end:
                part.record_condition(c.t, c.ref, c.type, c.status, c.reason, c.message)
        return part

    def downsampled(
        self, max_points: int = MAX_POINTS, max_hpa_samples: int = MAX_HPA_SAMPLES
    ) -> Timeline:
        """This timeline as a report keeps it: at most ``max_points`` traffic rows per model
        (buckets of :func:`bucket_width` seconds, aggregated by :func:`bucket_traffic`) and
        ``max_hpa_samples`` samples per HPA (:func:`thin_samples`). Replica samples,
        conditions and events are kept whole: they are recorded on change only, so they grow
        with what the cluster did, not with how long it ran. ``self`` when nothing is over.
        """
        traffic = {m: c for m, c in self._traffic.items() if len(c)}
        over_traffic = any(len(c) > max_points for c in traffic.values())
        over_hpa = [r for r, samples in self._hpa_by_ref.items() if len(samples) > max_hpa_samples]
        if not over_traffic and not over_hpa:
            return self
        # a copy of the record lists (not of the records), so recording into either timeline
        # leaves the other as it was
        part = Timeline()
        part.replicas, part._last_replicas = list(self.replicas), dict(self._last_replicas)
        part._replicas_by_ref.update((r, list(v)) for r, v in self._replicas_by_ref.items())
        part.conditions, part._last_condition = list(self.conditions), dict(self._last_condition)
        part._conditions_by_ref.update((r, list(v)) for r, v in self._conditions_by_ref.items())
        part.events = list(self.events)
        width = self.traffic_bucket
        if over_traffic:
            width = bucket_width((c.span() for c in traffic.values()), width, max_points)
        part.traffic_bucket = width
        part._traffic = {
            m: bucket_traffic(c, width) if over_traffic else c.sliced(range(len(c)))
            for m, c in traffic.items()
        }
        part.hpa_recorded = dict(self.hpa_recorded)
        kept = {
            ref: thin_samples(samples, max_hpa_samples) if ref in over_hpa else samples
            for ref, samples in self._hpa_by_ref.items()
        }
        for ref in over_hpa:
            part.hpa_recorded[ref] = self.hpa_recorded.get(ref, len(self._hpa_by_ref[ref]))
        ids = {id(sample) for samples in kept.values() for sample in samples}
        part.hpa = [sample for sample in self.hpa if id(sample) in ids]
        part._hpa_by_ref.update((ref, list(samples)) for ref, samples in kept.items())
        return part

    # -- serialisation ---------------------------------------------------------------------

    def to_dict(self, max_points: int | None = MAX_POINTS) -> dict:
        """The timeline as JSON-ready data, bounded as :meth:`downsampled` bounds it
        (``max_points=None``: everything, per second). Traffic is one object per model with
        a list per column (``failed``: a list per status code); ``traffic_bucket_s`` says how
        many seconds a row covers."""
        source = self if max_points is None else self.downsampled(max_points)
        data: dict = {
            "traffic_bucket_s": source.traffic_bucket,
            "traffic": [c.to_dict(m) for m, c in source._traffic.items() if len(c)],
            "replicas": [
                {
                    "t": s.t,
                    "ref": s.ref,
                    "spec": s.spec,
                    "status": s.status,
                    "available": s.available,
                }
                for s in source.replicas
            ],
            "hpa": [
                {
                    "t": s.t,
                    "ref": s.ref,
                    "current": s.current,
                    "desired": s.desired,
                    "metrics": dict(s.metrics),
                    "conditions": dict(s.conditions),
                }
                for s in source.hpa
            ],
            "conditions": [
                {
                    "t": c.t,
                    "ref": c.ref,
                    "type": c.type,
                    "status": c.status,
                    "reason": c.reason,
                    "message": c.message,
                }
                for c in source.conditions
            ],
            "events": [
                {"t": e.t, "ref": e.ref, "reason": e.reason, "message": e.message}
                for e in source.events
            ],
        }
        if source.hpa_recorded:
            data["hpa_recorded"] = dict(source.hpa_recorded)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Timeline:
        """Read :meth:`to_dict`'s data, or an older report's (one object per traffic second,
        no ``traffic_bucket_s``)."""
        timeline = cls()
        timeline.traffic_bucket = int(data.get("traffic_bucket_s", 1))
        timeline.hpa_recorded = dict(data.get("hpa_recorded", {}))
        for s in data.get("traffic", []):
            if isinstance(s.get("t"), list):
                timeline._traffic[s["model"]] = _TrafficColumns.from_dict(s)
            else:
                timeline.record_traffic(TrafficSecond(**s))
        for s in data.get("replicas", []):
            timeline.record_replicas(s["t"], s["ref"], s["spec"], s["status"], s.get("available"))
        for s in data.get("hpa", []):
            conditions = {k: tuple(v) for k, v in s["conditions"].items()}
            timeline.record_hpa(HPASample(**{**s, "conditions": conditions}))
        for s in data.get("conditions", []):
            timeline.record_condition(
                s["t"], s["ref"], s["type"], s["status"], s["reason"], s["message"]
            )
        for s in data.get("events", []):
            timeline.record_event(s["t"], s["ref"], s["reason"], s["message"])
        return timeline


def _t(record: TrafficSecond | ReplicaSample | Event) -> float:
    return record.t


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
