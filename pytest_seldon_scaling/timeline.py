"""What was observed over time: traffic per second, replicas, HPA decisions, conditions, events.

Both cluster backends append to a :class:`Timeline`; assertions read it to decide and to explain
a failure (:meth:`Timeline.table`), and reports plot it. Times are seconds since the cluster
handle started (virtual seconds on the twin, wall-clock seconds on a real cluster).

References to objects are ``"<kind>/<name>"`` in lower case: ``model/irisa0``,
``server/mlserver``, ``hpa/irisa0-model-hpa``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


@dataclass
class TrafficSecond:
    """Requests for one model in the second ``[t, t+1)``."""

    t: int
    model: str
    target_rps: float
    sent: int = 0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


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


class Timeline:
    """An append-only record of a run, with the queries assertions and reports need."""

    def __init__(self) -> None:
        self.traffic: list[TrafficSecond] = []
        self.replicas: list[ReplicaSample] = []
        self.hpa: list[HPASample] = []
        self.conditions: list[ConditionChange] = []
        self.events: list[Event] = []
        self._last_replicas: dict[str, ReplicaSample] = {}
        self._last_condition: dict[tuple[str, str], ConditionChange] = {}
        self._replicas_by_ref: dict[str, list[ReplicaSample]] = defaultdict(list)
        # per-key indexes, so a query for one model or HPA costs its own records, not the run's
        self._traffic_by_model: dict[str, list[TrafficSecond]] = defaultdict(list)
        self._hpa_by_ref: dict[str, list[HPASample]] = defaultdict(list)
        self._conditions_by_ref: dict[str, list[ConditionChange]] = defaultdict(list)

    # -- recording -------------------------------------------------------------------------

    def record_traffic(self, second: TrafficSecond) -> None:
        self.traffic.append(second)
        self._traffic_by_model[second.model].append(second)

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
        # one model's seconds are recorded in time order: bisect the window
        seconds = self._traffic_by_model.get(model, [])
        low = 0 if start is None else bisect.bisect_left(seconds, start, key=_t)
        high = len(seconds) if end is None else bisect.bisect_left(seconds, end, key=_t)
        return seconds[low:high]

    def events_between(self, start: float, end: float) -> list[Event]:
        """Events with ``start <= t <= end`` (events are recorded in time order)."""
        low = bisect.bisect_left(self.events, start, key=_t)
        return self.events[low : bisect.bisect_right(self.events, end, key=_t)]

    def hpa_for(self, ref: str) -> list[HPASample]:
        return list(self._hpa_by_ref.get(ref, ()))

    def refs(self) -> list[str]:
        return sorted(self._replicas_by_ref)

    def models_with_traffic(self) -> list[str]:
        return sorted({s.model for s in self.traffic})

    @property
    def end(self) -> float:
        """The last time anything was recorded."""
        times = [s.t + 1 for s in self.traffic[-1:]]
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
                seconds = max(1, len(window))
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
        for ref in self.refs():
            before = self.replicas_at(ref, start)
            if before is not None:
                part.record_replicas(start, ref, before.spec, before.status, before.available)
        for sample in self.replicas:
            if start < sample.t <= end:
                part.record_replicas(
                    sample.t, sample.ref, sample.spec, sample.status, sample.available
                )
        for second in self.traffic:
            if start <= second.t <= end:
                part.record_traffic(second)
        for sample in self.hpa:
            if start <= sample.t <= end:
                part.record_hpa(sample)
        part.events = [e for e in self.events if start <= e.t <= end]
        for c in self.conditions:
            if start <= c.t <= end:
                part.record_condition(c.t, c.ref, c.type, c.status, c.reason, c.message)
        return part

    # -- serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "traffic": [asdict(s) for s in self.traffic],
            "replicas": [asdict(s) for s in self.replicas],
            "hpa": [asdict(s) for s in self.hpa],
            "conditions": [asdict(s) for s in self.conditions],
            "events": [asdict(s) for s in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Timeline:
        timeline = cls()
        for s in data.get("traffic", []):
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
