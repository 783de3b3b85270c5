"""Assertions over a :class:`~pytest_seldon_scaling.cluster.SeldonCluster` and its timeline.

Every assertion raises :class:`ExpectationFailed` (an ``AssertionError``) whose message says what
was expected, what was seen, and shows a short timeline table around the moment it went wrong,
so a red test explains itself without a rerun. Waits go through ``cluster.wait_until`` (virtual
time on the twin, real time on a cluster); a failed read (``ClusterError``) propagates as an
error and is never taken for zero replicas or an absent condition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .cluster import ClusterError, LoadRun, SeldonCluster, WaitTimeout, parse_ref
from .conditions import condition
from .handle import kind_ref, object_ref
from .load.profile import Duration, parse_duration
from .timeline import HPASample, ReplicaSample, Timeline, TrafficSecond

SCHEDULE_FAILED = "ScheduleFailed"
NOT_ENOUGH_REPLICAS = "Failed to schedule model as no matching server had enough suitable replicas"
NO_MATCHING_SERVERS = "Failed to schedule model as no matching servers are available"

REPLICA_FIELDS = ("spec", "status", "available")
CONTEXT_BEFORE = 60.0  # seconds of timeline shown before the moment a failure is about
CONTEXT_AFTER = 30.0


class ExpectationFailed(AssertionError):
    """The cluster did not behave as expected; the message shows what happened.

    ``at`` is the cluster time the expectation was given up (the report flags it on the
    scenario's charts), None when the failure is about a whole period.
    """

    def __init__(self, message: str, *, at: float | None = None) -> None:
        super().__init__(message)
        self.at = at


# -- reading objects -------------------------------------------------------------------------


def replicas_of(obj: dict, field_: str = "status") -> int | None:
    """Replica count of a Model or Server in its Kubernetes shape.

    ``spec`` reads ``spec.replicas``; ``status`` reads ``status.replicas``; ``available`` reads
    ``status.availableReplicas`` (Models). A status present without the field means 0 (the API
    server omits zero values); no status at all means not reconciled yet: ``None``.
    """
    if field_ not in REPLICA_FIELDS:
        raise ValueError(f"field must be one of {', '.join(REPLICA_FIELDS)}, not {field_!r}")
    if field_ == "spec":
        value = (obj.get("spec") or {}).get("replicas")
        return None if value is None else int(value)
    status = obj.get("status")
    if status is None:
        return None
    key = "replicas" if field_ == "status" else "availableReplicas"
    return int(status.get(key) or 0)


def sample_value(sample: ReplicaSample, field_: str) -> int | None:
    return {"spec": sample.spec, "status": sample.status, "available": sample.available}[field_]


def _model_ref(model: str) -> tuple[str, str]:
    """``"irisa0"`` or ``"model/irisa0"`` -> (``"model/irisa0"``, ``"irisa0"``)."""
    return kind_ref(model, "model")


def _server_ref(server: str) -> tuple[str, str]:
    return kind_ref(server, "server")


def _context(timeline: Timeline, refs: Iterable[str], start: float, end: float) -> str:
    """The timeline table around ``[start, end]``: the traffic of every model seen there, the
    replicas of ``refs`` and of the Servers recorded (where the models run)."""
    lo, hi = max(0.0, start - CONTEXT_BEFORE), end + CONTEXT_AFTER
    refs = list(dict.fromkeys([*refs, *(r for r in timeline.refs() if r.startswith("server/"))]))
    refs = refs[:4]
    models = sorted({s.model for s in timeline.traffic_for(None, lo, hi)})[:3]
    return timeline.table(lo, min(hi, max(timeline.end, end)), refs=list(refs), models=models)


# -- converges -------------------------------------------------------------------------------


def run_start(
    samples: Sequence[ReplicaSample], field_: str, replicas: int, now: float
) -> float | None:
    """When the value in force at ``now`` became ``replicas`` without changing since, by the
    recorded samples; None when the sample in force has another value (or there is none).

    The record catches what polling misses: a flap between two reads restarts the run.
    """
    start: float | None = None
    for sample in samples:
        if sample.t > now:
            break
        if sample_value(sample, field_) == replicas:
            if start is None:
                start = sample.t
        else:
            start = None
    return start


def converges(
    cluster: SeldonCluster,
    ref: str,
    replicas: int,
    *,
    within: Duration,
    stable_for: Duration = "30s",
    field: str = "status",
) -> float:
    """Wait until ``ref`` has ``replicas`` (``field``: spec, status, available) and keeps it.

    The count must be reached within ``within`` and then stay unchanged for ``stable_for``
    (autoscalers overshoot). Returns the time the stable period began, from the recorded
    timeline when it has the object (so possibly before the call), else from the reads.
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    ref = object_ref(ref)
    kind, _ = parse_ref(ref)
    if field == "available" and kind != "model":
        raise ValueError("field='available' applies to Models only (status.availableReplicas)")
    within_s, stable_s = parse_duration(within), parse_duration(stable_for)
    started = cluster.now()
    state: dict[str, Any] = {"since": None, "last": None, "seen": []}

    def settled() -> bool:
        value = replicas_of(cluster.get(ref), field)
        now = cluster.now()
        state["last"] = value
        if not state["seen"] or state["seen"][-1][1] != value:
            state["seen"].append((now, value))
        if value != replicas:
            state["since"] = None
            return False
        recorded = run_start(cluster.timeline.replica_series(ref), field, replicas, now)
        if recorded is not None:
            state["since"] = recorded
        elif state["since"] is None:
            state["since"] = now  # the record lags the read: count from this read
        return now - state["since"] >= stable_s

    what = f"{ref} {field} replicas == {replicas} for {stable_s:g}s"
    try:
        cluster.wait_until(settled, within_s + stable_s, what=what)
    except WaitTimeout as timeout:
        now = cluster.now()
        seen = ", ".join(f"{v if v is not None else 'none'} at t={t:.0f}" for t, v in state["seen"])
        if state["since"] is not None:
            why = (
                f"it reached {replicas} at t={state['since']:.0f}s, "
                f"{state['since'] - started:.0f}s after the wait began and "
                f"{now - state['since']:.0f}s before it ended"
            )
        else:
            why = f"last seen {state['last'] if state['last'] is not None else 'no status'}"
        raise ExpectationFailed(
            f"{ref} did not converge to {replicas} {field} replicas within {within_s:g}s "
            f"(then stable for {stable_s:g}s): {why}.\n"
            f"Values read: {seen or 'none (every read failed)'}\n"
            f"Wait: {_first_line(timeout)}\n"
            f"{_hpa_lines(cluster, ref, started, now)}"
            f"{_context(cluster.timeline, [ref], started, now)}",
            at=now,
        ) from timeout
    return float(state["since"])


def _hpa_lines(cluster: SeldonCluster, ref: str, start: float, end: float) -> str:
    """The decisions, in the window, of the HPAs whose scale target is ``ref``."""
    try:
        hpas = [f"hpa/{h['metadata']['name']}" for h in cluster.list("hpa") if _targets(h, ref)]
    except ClusterError as error:
        return f"(HPAs could not be listed: {error})\n"
    samples = [h for h in cluster.timeline.hpa if start <= h.t <= end and h.ref in hpas]
    if not samples:
        return ""
    lines = [
        f"  t={h.t:.0f}s {h.ref}: {h.current} -> {h.desired} metrics {h.metrics}"
        for h in samples[-8:]
    ]
    return "HPA syncs:\n" + "\n".join(lines) + "\n"


# -- ScheduleFailed and serving while failed -------------------------------------------------


def schedule_failed(
    cluster: SeldonCluster,
    model: str,
    *,
    within: Duration = "60s",
    reason: str = NOT_ENOUGH_REPLICAS,
) -> float:
    """Wait until the Model shows ``ModelReady`` False / ``ScheduleFailed`` with ``reason``.

    Core 2 writes the scheduler state as the condition *message* and the scheduler's text as its
    *reason*. Returns the time it was seen.
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    ref, _ = _model_ref(model)
    within_s = parse_duration(within)
    started = cluster.now()
    last: dict[str, Any] = {"cond": None}

    def failed() -> bool:
        cond = condition(cluster.get(ref), "ModelReady")
        last["cond"] = cond
        return (
            cond is not None
            and cond.status == "False"
            and cond.message == SCHEDULE_FAILED
            and cond.reason == reason
        )

    try:
        return cluster.wait_until(
            failed, within_s, what=f"{ref} ModelReady False / {SCHEDULE_FAILED}"
        )
    except WaitTimeout as timeout:
        now = cluster.now()
        cond = last["cond"]
        seen = (
            "no ModelReady condition"
            if cond is None
            else f"ModelReady status={cond.status!r} message={cond.message!r} "
            f"reason={cond.reason!r}"
        )
        history = "\n".join(
            f"  t={c.t:.0f}s {c.type}={c.status} message={c.message!r} reason={c.reason!r}"
            for c in cluster.timeline.condition_history(ref, "ModelReady")[-6:]
        )
        raise ExpectationFailed(
            f"{ref} did not become {SCHEDULE_FAILED} within {within_s:g}s.\n"
            f"expected: ModelReady status='False' message={SCHEDULE_FAILED!r} reason={reason!r}\n"
            f"seen:     {seen}\n"
            f"wait:     {_first_line(timeout)}\n"
            f"ModelReady history:\n{history or '  (none recorded)'}\n"
            f"{_context(cluster.timeline, [ref], started, now)}",
            at=now,
        ) from timeout


def schedule_failed_intervals(
    timeline: Timeline, model: str, *, after_available: bool = False
) -> list[tuple[float, float]]:
    """Periods the Model's ModelReady condition said ScheduleFailed (open ones end at the end).

    With ``after_available``, only periods that began after the Model had been ready once
    (a Model applied before its Server is up is ScheduleFailed without ever having served).
    """
    ref, _ = _model_ref(model)
    intervals: list[tuple[float, float]] = []
    start: float | None = None
    been_available = not after_available
    for change in timeline.condition_history(ref, "ModelReady"):
        failing = change.status == "False" and change.message == SCHEDULE_FAILED
        been_available = been_available or change.status == "True"
        if failing and start is None and been_available:
            start = change.t
        elif not failing and start is not None:
            intervals.append((start, change.t))
            start = None
    if start is not None:
        intervals.append((start, max(timeline.end, start)))
    return intervals


def _timeline_of(source: Any) -> Timeline:
    if isinstance(source, Timeline):
        return source
    timeline = getattr(source, "timeline", None)
    if isinstance(timeline, Timeline):
        return timeline
    if isinstance(source, LoadRun):
        built = Timeline()
        for second in source.seconds():
            built.record_traffic(second)
        return built
    raise TypeError(f"expected a cluster, a load run or a Timeline, not {type(source).__name__}")


def _window(
    during: tuple[Duration | None, Duration | None] | None,
) -> tuple[float | None, float | None]:
    """``(t0, t1)`` in seconds; None (or a None end) leaves that side open."""
    if during is None:
        return None, None
    t0, t1 = during
    return (
        None if t0 is None else parse_duration(t0),
        None if t1 is None else parse_duration(t1),
    )


def _span(t0: float | None, t1: float | None) -> str:
    if t0 is None and t1 is None:
        return "in the whole run"
    if t1 is None:
        return f"from t={t0:g}s on"
    return f"between t={t0 or 0:g}s and t={t1:g}s"


def serving_gaps(
    seconds: Sequence[TrafficSecond], allow: Iterable[str] = ()
) -> list[tuple[TrafficSecond, str]]:
    """Seconds with traffic in which the model was not serving, with why."""
    allowed = set(allow)
    gaps = []
    for second in seconds:
        failed = {c: n for c, n in second.failed.items() if c not in allowed and n}
        if failed:
            gaps.append((second, "failed " + _codes(failed)))
        elif second.sent and not second.ok:
            gaps.append((second, f"{second.sent} sent, none answered"))
    return gaps


def _first_line(error: BaseException) -> str:
    """The headline of a wait's message (backends may append their own timeline table)."""
    return next((line for line in str(error).splitlines() if line.strip()), "")


def _codes(failed: Mapping[str, int]) -> str:
    return ", ".join(f"{n}x {code}" for code, n in sorted(failed.items()))


def still_serving(
    cluster_or_run: Any,
    model: str,
    during: tuple[Duration | None, Duration | None] | None = None,
    *,
    allow: Iterable[str] = (),
) -> None:
    """Every second with traffic to ``model`` in ``during`` had answers and no failure.

    ``during`` is ``(t0, t1)`` on the cluster's clock (``seldon.now()``, the timeline's times;
    either end may be None: from the start / to now). Without ``during`` the windows are the
    periods the Model was ScheduleFailed after having been ready (from its condition history),
    so ``still_serving(seldon, "model/x")`` means "still serving while ScheduleFailed"; it
    fails when there was no such period. Failure codes in ``allow`` are not counted.
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    ref, name = _model_ref(model)
    timeline = _timeline_of(cluster_or_run)
    if during is None:
        windows = schedule_failed_intervals(timeline, name, after_available=True)
        if not windows:
            raise ExpectationFailed(
                f"{ref} was never {SCHEDULE_FAILED} after it had been ready in the recorded "
                "timeline, so there is no period to check; pass during=(t0, t1) to check "
                "another window.\n" + _context(timeline, [ref], 0.0, timeline.end)
            )
    else:
        t0, t1 = _window(during)
        windows = [(float(t0 or 0.0), float(t1 if t1 is not None else timeline.end))]
    for t0, t1 in windows:
        seconds = timeline.traffic_for(name, t0, t1)
        if not any(s.sent for s in seconds):
            raise ExpectationFailed(
                f"no traffic to {name} between t={t0:.0f}s and t={t1:.0f}s: nothing shows it "
                "was serving (start load on the model before this window).\n"
                + _context(timeline, [ref], t0, t1)
            )
        gaps = serving_gaps(seconds, allow)
        if gaps:
            first, why = gaps[0]
            raise ExpectationFailed(
                f"{name} stopped serving between t={t0:.0f}s and t={t1:.0f}s: first at "
                f"t={first.t}s ({why}); {len(gaps)} bad second(s) of "
                f"{sum(1 for s in seconds if s.sent)} with traffic.\n"
                + _context(timeline, [ref], first.t, first.t)
            )


# -- zero downtime ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Downtime:
    """The verdict on a window of traffic: failures and slow seconds."""

    seconds: int
    sent: int
    failed: dict[str, int]
    first_failure: TrafficSecond | None
    first_slow: TrafficSecond | None


def downtime(seconds: Sequence[TrafficSecond], max_p99_ms: float | None = None) -> Downtime:
    """Totals of failed requests and the first failing (or too slow) second."""
    failed: dict[str, int] = {}
    first_failure = first_slow = None
    for second in sorted(seconds, key=lambda s: s.t):
        for code, count in second.failed.items():
            if count:
                failed[code] = failed.get(code, 0) + count
        if first_failure is None and second.failed_total:
            first_failure = second
        if (
            first_slow is None
            and max_p99_ms is not None
            and second.p99_ms is not None
            and second.p99_ms > max_p99_ms
        ):
            first_slow = second
    return Downtime(len(seconds), sum(s.sent for s in seconds), failed, first_failure, first_slow)


def zero_downtime(
    run_or_timeline: Any,
    during: tuple[Duration | None, Duration | None] | None = None,
    *,
    model: str | None = None,
    max_p99_ms: float | None = None,
) -> None:
    """No request failed in ``during`` (and, with ``max_p99_ms``, no second's p99 above it).

    ``run_or_timeline``: a load run (its model unless ``model`` is given), a cluster or a
    Timeline (every model unless ``model`` is given).
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    timeline = _timeline_of(run_or_timeline)
    if model is None and isinstance(run_or_timeline, LoadRun):
        model = run_or_timeline.model
    name = _model_ref(model)[1] if model else None
    t0, t1 = _window(during)
    seconds = timeline.traffic_for(name, t0, t1)
    span = _span(t0, t1)
    who = name or "any model"
    refs = [f"model/{name}"] if name else [f"model/{m}" for m in timeline.models_with_traffic()]
    verdict = downtime(seconds, max_p99_ms)
    if not verdict.sent:
        raise ExpectationFailed(
            f"no requests to {who} {span}: zero downtime cannot be shown without traffic."
        )
    if verdict.first_failure is not None:
        first = verdict.first_failure
        raise ExpectationFailed(
            f"{sum(verdict.failed.values())} of {verdict.sent} requests to {who} failed {span} "
            f"({_codes(verdict.failed)}); first failure at t={first.t}s: "
            f"{_codes(first.failed)} of {first.sent} sent ({first.model}).\n"
            + _context(timeline, refs, first.t, first.t)
        )
    if verdict.first_slow is not None:
        slow = verdict.first_slow
        raise ExpectationFailed(
            f"requests to {who} were too slow {span}: p99 {slow.p99_ms:.0f} ms at t={slow.t}s "
            f"({slow.model}), above the bound of {max_p99_ms:g} ms.\n"
            + _context(timeline, refs, slow.t, slow.t)
        )


# -- packing ---------------------------------------------------------------------------------

PlacementSpec = Mapping[int, Iterable[str]] | Sequence[Iterable[str]]


def placement_matches(actual: Mapping[int, Iterable[str]], expected: PlacementSpec) -> bool:
    """Compare placements, ignoring model order and empty replicas.

    A mapping compares replica by replica; a sequence of sets compares regardless of which
    replica index holds which set.
    """
    have = {i: frozenset(models) for i, models in actual.items() if models}
    if isinstance(expected, Mapping):
        want = {int(i): frozenset(models) for i, models in expected.items() if models}
        return have == want
    want_sets = sorted(sorted(s) for s in (frozenset(m) for m in expected) if s)
    return sorted(sorted(s) for s in have.values()) == want_sets


def _show_placement(placement: PlacementSpec) -> str:
    if isinstance(placement, Mapping):
        items = sorted((int(i), sorted(m)) for i, m in placement.items())
        return "{" + ", ".join(f"{i}: {m}" for i, m in items) + "}"
    return "[" + ", ".join(str(sorted(m)) for m in placement) + "]"


def packed(
    cluster: SeldonCluster,
    server: str,
    replicas: int,
    placement: PlacementSpec | None = None,
    *,
    within: Duration = 0,
) -> None:
    """The Server has ``replicas`` replicas (spec and status) and, if given, that placement.

    With ``within`` > 0, waits up to that long for it to hold.
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    ref, name = _server_ref(server)
    within_s = parse_duration(within)
    started = cluster.now()
    seen: dict[str, Any] = {}

    def holds() -> bool:
        obj = cluster.get(ref)
        seen["spec"], seen["status"] = replicas_of(obj, "spec"), replicas_of(obj, "status")
        seen["placement"] = cluster.placement(name)
        return (
            seen["spec"] == replicas
            and seen["status"] == replicas
            and (placement is None or placement_matches(seen["placement"], placement))
        )

    waited = ""
    if holds():
        return
    if within_s > 0:
        try:
            cluster.wait_until(holds, within_s, what=f"{ref} packed on {replicas} replicas")
            return
        except WaitTimeout as timeout:
            waited = _first_line(timeout)
    now = cluster.now()
    lines = [
        f"{ref} is not packed as expected"
        + (f" after waiting {within_s:g}s" if within_s else "")
        + ":",
        f"  replicas expected {replicas}, seen spec={seen['spec']} status={seen['status']}",
    ]
    if placement is not None:
        lines.append(f"  placement expected {_show_placement(placement)}")
        lines.append(f"  placement seen     {_show_placement(seen['placement'])}")
    if waited:
        lines.append(f"  wait: {waited}")
    raise ExpectationFailed(
        "\n".join(lines) + "\n" + _context(cluster.timeline, [ref], started, now), at=now
    )


# -- what the HPA should do ------------------------------------------------------------------

HPA_SYNC_PERIOD = 15.0


def metric_key(metric: dict) -> str:
    """The name an HPA metric entry is recorded under in :class:`HPASample.metrics`.

    Object, Pods and External metrics: the metric name (``infer_rps``); Resource and
    ContainerResource: the resource (``cpu``), as ``status.currentMetrics`` names them.
    """
    kind = metric.get("type", "")
    if kind == "Resource":
        return metric["resource"]["name"]
    if kind == "ContainerResource":
        return metric["containerResource"]["name"]
    source = metric.get(kind[:1].lower() + kind[1:], {}) if kind else {}
    try:
        return source["metric"]["name"]
    except (KeyError, TypeError):
        raise ValueError(
            f"HPA metric entry of type {kind!r} has no metric name: {metric}"
        ) from None


def _targets(hpa_manifest: dict, ref: str) -> bool:
    try:
        return target_ref(hpa_manifest) == ref
    except ValueError:
        return False


def target_ref(hpa_manifest: dict) -> str:
    """``model/irisa0`` for an HPA whose scaleTargetRef is that Model."""
    target = hpa_manifest.get("spec", {}).get("scaleTargetRef") or {}
    if not target.get("kind") or not target.get("name"):
        name = hpa_manifest.get("metadata", {}).get("name", "?")
        raise ValueError(f"HorizontalPodAutoscaler {name}: spec.scaleTargetRef needs kind and name")
    return f"{target['kind'].lower()}/{target['name']}"


@dataclass(frozen=True)
class PredictedSync:
    """One HPA sync: what it saw, what the exact algorithm says, and what was observed."""

    t: float
    current: int
    status: int
    metrics: dict[str, Any]
    predicted: int
    observed: int | None = None
    reason: str = ""

    @property
    def agrees(self) -> bool:
        return self.observed is None or self.observed == self.predicted


def _observations(hpa_manifest: dict, values: Mapping[str, Any]) -> list[Any]:
    """One observation per ``spec.metrics`` entry from values keyed by :func:`metric_key`."""
    from .hpa import MetricUnavailable

    out: list[Any] = []
    for metric in hpa_manifest.get("spec", {}).get("metrics") or []:
        key = metric_key(metric)
        out.append(values[key] if key in values else MetricUnavailable(f"{key} not recorded"))
    return out


def _target_type(metric: dict) -> str:
    kind = metric.get("type", "")
    source = metric.get(kind[:1].lower() + kind[1:]) or {}
    return (source.get("target") or {}).get("type", "")


def reported_to_observed(
    hpa_manifest: dict, reported: Mapping[str, float], status_replicas: int
) -> tuple[dict[str, Any], list[Any]]:
    """Turn what an HPA reports (``status.currentMetrics``, as :class:`HPASample.metrics`
    holds it) back into what its controller read: ``(values by metric key, pods)``.

    An AverageValue target of an Object or External metric reports the value per replica
    (``ceil(value / status.replicas)`` in milli-units): the metric is that times
    ``status.replicas`` (exact to within ``status.replicas`` milli-units). A Pods metric
    reports the average over pods: every pod is taken to report it. Resource metrics report
    utilization, from which the raw usage cannot be recovered: ``ValueError``.
    """
    from .hpa import Pod

    values: dict[str, Any] = {}
    pods = [Pod(f"replica-{i}") for i in range(status_replicas)]
    for metric in hpa_manifest.get("spec", {}).get("metrics") or []:
        key = metric_key(metric)
        if key not in reported:
            continue
        value = reported[key]
        kind = metric.get("type", "")
        if kind in ("Resource", "ContainerResource"):
            raise ValueError(
                f"{kind} metric {key}: the HPA reports utilization, from which the usage it "
                "read cannot be recovered; replay supports Object, External and Pods metrics"
            )
        if kind == "Pods":
            values[key] = {pod.name: value for pod in pods}
        elif _target_type(metric) == "AverageValue" and status_replicas > 0:
            values[key] = value * status_replicas
        else:
            values[key] = value
    return values, pods


def _controller(hpa_manifest: dict, options: Mapping[str, Any]) -> Any:
    from .hpa import HPAController

    return HPAController(hpa_manifest, **options)


def _scale(spec: int, status: int, selector: str) -> Any:
    from .hpa import Scale

    return Scale(spec, status, selector)


def replay_hpa(
    hpa_manifest: dict,
    samples: Sequence[HPASample],
    *,
    status_at: Callable[[float], int | None] = lambda t: None,
    selector: str = "",
    **controller_options: Any,
) -> list[PredictedSync]:
    """Run recorded HPA syncs through the exact algorithm: what each should have decided.

    Each sync is fed what that sync observed (its ``current`` replicas, its metrics as the HPA
    reported them, see :func:`reported_to_observed`, the target's ``status.replicas`` at that
    time from ``status_at``); the controller keeps its stabilization and rate-limit memory
    across syncs as the real one does.
    """
    controller = _controller(hpa_manifest, controller_options)
    out = []
    for sample in sorted(samples, key=lambda s: s.t):
        status = status_at(sample.t)
        status = sample.current if status is None else status
        values, pods = reported_to_observed(hpa_manifest, sample.metrics, status)
        result = controller.sync(
            sample.t,
            _scale(sample.current, status, selector),
            _observations(hpa_manifest, values),
            pods,
        )
        out.append(
            PredictedSync(
                sample.t,
                sample.current,
                status,
                dict(sample.metrics),
                result.desired_replicas,
                sample.desired,
                result.reason,
            )
        )
    return out


def predict_hpa(
    hpa_manifest: dict,
    observations: Sequence[tuple[float, Any]],
    *,
    replicas: int,
    until: float | None = None,
    start: float = 0.0,
    sync_period: float = HPA_SYNC_PERIOD,
    selector: str = "server=",
    **controller_options: Any,
) -> list[PredictedSync]:
    """What the HPA will do for a metric series, sync by sync, starting at ``replicas``.

    ``observations`` are ``(t, value)`` pairs (the value in force from ``t`` on; a value per
    ``spec.metrics`` entry may be given as a dict keyed by :func:`metric_key`, or a tuple in
    order). Each sync the target is assumed to reach the replicas asked for before the next.
    ``selector`` is the target's ``status.selector`` (a Model's is ``server=<name>``); it must
    not be empty, as an HPA refuses to act on an empty one.
    """
    points = sorted(observations, key=lambda p: p[0])
    if not points:
        raise ValueError("predict_hpa needs at least one (t, value) observation")
    keys = [metric_key(m) for m in hpa_manifest.get("spec", {}).get("metrics") or []]
    end = points[-1][0] if until is None else until
    controller = _controller(hpa_manifest, controller_options)
    out = []
    t, current = start, replicas
    while t <= end + 1e-9:
        in_force = [v for at, v in points if at <= t]
        if not in_force:
            t += sync_period
            continue
        value = in_force[-1]
        if isinstance(value, Mapping) and not set(value) - set(keys):
            values = dict(value)
        elif isinstance(value, tuple | list):
            values = dict(zip(keys, value, strict=True))
        else:
            values = {key: value for key in keys[:1]}
        result = controller.sync(
            t, _scale(current, current, selector), _observations(hpa_manifest, values)
        )
        out.append(
            PredictedSync(t, current, current, values, result.desired_replicas, None, result.reason)
        )
        current = result.desired_replicas
        t += sync_period
    return out


hpa_prediction = predict_hpa


def follows_hpa(
    cluster: SeldonCluster,
    hpa_ref: str,
    *,
    during: tuple[Duration | None, Duration | None] | None = None,
    timing_tolerance: Duration = "15s",
    **controller_options: Any,
) -> list[PredictedSync]:
    """The HPA decided as the exact algorithm predicts, and the target followed, sync by sync.

    For each recorded sync of ``hpa_ref`` the prediction from what it observed must equal what
    it decided, and when it rescaled, the target's ``spec.replicas`` must show the new count
    within ``timing_tolerance``. Returns the replayed syncs (evidence for reports).
    """
    __tracebackhide__ = True  # a failure starts with what was expected
    hpa_ref = object_ref(hpa_ref)
    kind, _ = parse_ref(hpa_ref)
    if kind != "hpa":
        raise ValueError(f"{hpa_ref!r} is not an HPA reference (hpa/<name>)")
    manifest = cluster.get(hpa_ref)
    target = target_ref(manifest)
    tolerance = parse_duration(timing_tolerance)
    t0, t1 = _window(during)
    timeline = cluster.timeline
    samples = timeline.hpa_for(hpa_ref)

    def judged(t: float) -> bool:
        return (t0 is None or t >= t0) and (t1 is None or t < t1)

    if not any(judged(s.t) for s in samples):
        raise ExpectationFailed(
            f"no sync of {hpa_ref} was recorded {_span(t0, t1)}: the HPA never evaluated its "
            "metrics (check its ScalingActive condition and the metrics adapter).\n"
            + _context(timeline, [target], t0 or 0.0, t1 or timeline.end)
        )

    series = timeline.replica_series(target)

    desired_at = {sample.t: sample.desired for sample in samples}

    def status_at(t: float) -> int | None:
        # What the sync read: changes recorded at its own instant are its consequences. On a
        # cluster the HPA writes /scale before its status and the two reach us on separate
        # watches, so the sync's own rescale (and what followed it) can be recorded up to
        # WATCH_SKEW_SECONDS before the sync: the sync happened before its rescale.
        cut = t
        previous = None
        for sample in series:
            if sample.t >= t:
                break
            rescaled = previous is not None and sample.spec != previous.spec
            if rescaled and t - WATCH_SKEW_SECONDS <= sample.t and sample.spec == desired_at[t]:
                cut = sample.t
                break
            previous = sample
        before = [s for s in series if s.t < cut]
        return before[-1].status if before else None

    selector = ((cluster.get(target).get("status") or {}).get("selector")) or ""
    replayed = replay_hpa(
        manifest, samples, status_at=status_at, selector=selector, **controller_options
    )
    # every sync is replayed (the controller's memory starts at the first one); only those
    # in the window are judged
    for sync in (s for s in replayed if judged(s.t)):
        if not sync.agrees:
            raise ExpectationFailed(
                f"{hpa_ref} diverged from the HPA algorithm at t={sync.t:.0f}s: with "
                f"spec.replicas={sync.current}, status.replicas={sync.status} and metrics "
                f"{sync.metrics} it should want {sync.predicted} replicas ({sync.reason}), "
                f"but it wanted {sync.observed}.\n"
                + _sync_table(replayed, sync.t)
                + _context(timeline, [target], sync.t, sync.t)
            )
        if sync.predicted != sync.current:
            lag = _reached(timeline.replica_series(target), sync.predicted, sync.t, tolerance)
            if lag is None:
                raise ExpectationFailed(
                    f"{target} did not follow {hpa_ref}: the sync at t={sync.t:.0f}s rescaled "
                    f"{sync.current} -> {sync.predicted}, but spec.replicas did not show "
                    f"{sync.predicted} within {tolerance:g}s.\n"
                    + _sync_table(replayed, sync.t)
                    + _context(timeline, [target], sync.t, sync.t + tolerance)
                )
    return [s for s in replayed if judged(s.t)]


# On a cluster the HPA controller writes the target's /scale before its own status, and the two
# reach the test through separate watches: the rescale may be recorded just before the sync.
WATCH_SKEW_SECONDS = 1.0


def _reached(
    samples: Sequence[ReplicaSample], replicas: int, t: float, tolerance: float
) -> float | None:
    for sample in samples:
        if t - WATCH_SKEW_SECONDS <= sample.t <= t + tolerance and sample.spec == replicas:
            return max(0.0, sample.t - t)
    return None


def _sync_table(replayed: Sequence[PredictedSync], around: float) -> str:
    near = [s for s in replayed if abs(s.t - around) <= 4 * HPA_SYNC_PERIOD][-9:]
    rows = [
        f"  t={s.t:6.0f}s current={s.current} status={s.status} "
        f"metrics={ {k: _short(v) for k, v in s.metrics.items()} } "
        f"predicted={s.predicted} observed={s.observed}" + ("" if s.agrees else "   <-- differs")
        for s in near
    ]
    return "HPA syncs (replayed):\n" + "\n".join(rows) + "\n"


def _short(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 3)
    return value


__all__ = [
    "NOT_ENOUGH_REPLICAS",
    "NO_MATCHING_SERVERS",
    "SCHEDULE_FAILED",
    "Downtime",
    "ExpectationFailed",
    "PredictedSync",
    "converges",
    "downtime",
    "follows_hpa",
    "hpa_prediction",
    "metric_key",
    "packed",
    "placement_matches",
    "predict_hpa",
    "replay_hpa",
    "replicas_of",
    "reported_to_observed",
    "run_start",
    "schedule_failed",
    "schedule_failed_intervals",
    "serving_gaps",
    "still_serving",
    "zero_downtime",
]
