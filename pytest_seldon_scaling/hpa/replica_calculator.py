"""Per-metric replica counts: ``pkg/controller/podautoscaler/replica_calculator.go``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..quantity import milli_value
from .types import (
    CPU_INITIALIZATION_PERIOD,
    DELAY_OF_INITIAL_READINESS_STATUS,
    MAX_INT64,
    MetricUnavailable,
    Pod,
    PodMetric,
    Tolerances,
    _ceil32,
    _observed_milli,
    _to_int32,
)


def get_ready_pods_count(pods: Sequence[Pod]) -> int:
    """Pods Running and Ready (pods being deleted are not excluded, as in Kubernetes)."""
    if not pods:
        raise MetricUnavailable("no pods returned by selector while calculating replica count")
    return sum(1 for p in pods if p.phase == "Running" and p.ready is True)


def get_usage_ratio_replica_count(
    current_replicas: int, usage_ratio: float, tolerances: Tolerances, pods: Sequence[Pod]
) -> int:
    if current_replicas != 0:
        if tolerances.is_within(usage_ratio):
            return current_replicas
        try:
            ready = get_ready_pods_count(pods)
        except MetricUnavailable as error:
            raise MetricUnavailable(f"unable to calculate ready pods: {error}") from None
        return _ceil32(usage_ratio * float(ready))
    return _ceil32(usage_ratio)


def _ratio(numerator: float, denominator: float) -> float:
    """Go float64 division: x/0 is ±Inf, 0/0 is NaN."""
    if denominator == 0:
        if numerator == 0:
            return math.nan
        return math.copysign(math.inf, numerator)
    return numerator / denominator


def get_object_metric_replicas(
    current_replicas: int,
    target_usage: int,
    usage: int,
    tolerances: Tolerances,
    pods: Sequence[Pod],
) -> tuple[int, int]:
    """Object metric, Value target: ``ceil(usage/target × ready pods)`` outside tolerance."""
    usage_ratio = _ratio(float(usage), float(target_usage))
    return get_usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods), usage


def get_object_per_pod_metric_replicas(
    status_replicas: int, target_average_usage: int, usage: int, tolerances: Tolerances
) -> tuple[int, int]:
    """Object metric, AverageValue target: ratio against ``averageValue × status.replicas``."""
    replicas = status_replicas
    usage_ratio = _ratio(float(usage), float(target_average_usage) * float(replicas))
    if not tolerances.is_within(usage_ratio):
        replicas = _ceil32(_ratio(float(usage), float(target_average_usage)))
    average = _ratio(float(usage), float(status_replicas))
    reported = math.ceil(average) if math.isfinite(average) else 0
    return replicas, reported


def _wrap64(value: int) -> int:
    """Go int64 addition wraps around on overflow."""
    return (value + 2**63) % 2**64 - 2**63


def get_external_metric_replicas(
    current_replicas: int,
    target_usage: int,
    values: Sequence[int],
    tolerances: Tolerances,
    pods: Sequence[Pod],
) -> tuple[int, int]:
    """``GetExternalMetricReplicas``: as Object/Value over the sum of the series.

    The sum stops at MaxInt64 at the first positive value that would overflow it (Go's check
    ``val > 0 && usage > MaxInt64-val``), as in kubernetes/kubernetes master (v1.34+),
    pkg/controller/podautoscaler/replica_calculator.go.
    """
    usage = 0
    for value in values:
        if value > 0 and usage > MAX_INT64 - value:
            usage = MAX_INT64
            break
        usage = _wrap64(usage + value)
    usage_ratio = _ratio(float(usage), float(target_usage))
    return get_usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods), usage


def get_external_per_pod_metric_replicas(
    status_replicas: int, target_usage_per_pod: int, values: Sequence[int], tolerances: Tolerances
) -> tuple[int, int]:
    """``GetExternalPerPodMetricReplicas``: as Object/AverageValue over the sum of the series.

    Go (kubernetes/kubernetes master (v1.34+), pkg/controller/podautoscaler/
    replica_calculator.go) takes a negative running int64 sum for an overflow and makes it
    MaxInt64, and reports MaxInt64 rather than an average once ``float64(usage)`` reaches
    ``float64(MaxInt64)`` (= 2**63), so the status never shows 9223372036854775808m.
    """
    usage = 0
    for value in values:
        usage = _wrap64(usage + value)
        if usage < 0:
            usage = MAX_INT64
            break
    replicas = status_replicas
    usage_ratio = _ratio(float(usage), float(target_usage_per_pod) * float(replicas))
    if not tolerances.is_within(usage_ratio):
        replicas = _ceil32(_ratio(float(usage), float(target_usage_per_pod)))
    if float(usage) >= float(MAX_INT64):
        return replicas, MAX_INT64
    average = _ratio(float(usage), float(status_replicas))
    return replicas, math.ceil(average) if math.isfinite(average) else 0


@dataclass(frozen=True)
class PodGroups:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_pods(
    pods: Sequence[Pod],
    metrics: Mapping[str, PodMetric],
    resource: str | None,
    now: float,
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> PodGroups:
    """``groupPods``: deleted/Failed ignored, Pending unready, no metric missing, CPU readiness."""
    ready = 0
    unready, missing, ignored = set(), set(), set()
    for pod in pods:
        if pod.deleted or pod.phase == "Failed":
            ignored.add(pod.name)
            continue
        if pod.phase == "Pending":
            unready.add(pod.name)
            continue
        metric = metrics.get(pod.name)
        if metric is None:
            missing.add(pod.name)
            continue
        if resource == "cpu" and _cpu_unready(
            pod, metric, now, cpu_initialization_period, delay_of_initial_readiness_status
        ):
            unready.add(pod.name)
            continue
        ready += 1
    return PodGroups(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def _cpu_unready(
    pod: Pod, metric: PodMetric, now: float, initialization: float, initial_readiness_delay: float
) -> bool:
    if pod.ready is None or pod.start_time is None:
        return True
    # An unset lastTransitionTime is Go's zero time: long before any start.
    transition = pod.ready_transition if pod.ready_transition is not None else -math.inf
    if pod.start_time + initialization > now:
        sampled_at = metric.timestamp if metric.timestamp is not None else now
        return pod.ready is False or sampled_at < transition + metric.window
    return pod.ready is False and pod.start_time + initial_readiness_delay > transition


def get_metric_usage_ratio(metrics: Mapping[str, int], target_usage: int) -> tuple[float, int]:
    total = sum(metrics.values())
    usage = _go_div(total, len(metrics))
    return _ratio(float(usage), float(target_usage)), usage


def _go_div(a: int, b: int) -> int:
    """Go integer division truncates toward zero."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def _pod_metrics(observation: Mapping[str, object], what: str) -> dict[str, PodMetric]:
    if not isinstance(observation, Mapping):
        raise MetricUnavailable(f"{what}: expected a value per pod, got {observation!r}")
    return {
        name: value if isinstance(value, PodMetric) else PodMetric(value)
        for name, value in observation.items()
    }


def calc_plain_metric_replicas(
    metrics: Mapping[str, PodMetric],
    current_replicas: int,
    target_usage: int,
    tolerances: Tolerances,
    pods: Sequence[Pod],
    resource: str | None,
    now: float,
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> tuple[int, int]:
    """Pods metrics and raw resource values: average per pod, with conservative re-balancing."""
    if not pods:
        raise MetricUnavailable("no pods returned by selector while calculating replica count")
    groups = group_pods(
        pods, metrics, resource, now, cpu_initialization_period, delay_of_initial_readiness_status
    )
    values = {
        name: _observed_milli(m, f"pod {name}")
        for name, m in metrics.items()
        if name not in groups.ignored and name not in groups.unready
    }
    if not values:
        raise MetricUnavailable("did not receive metrics for targeted pods (pods might be unready)")
    usage_ratio, usage = get_metric_usage_ratio(values, target_usage)
    scale_up_with_unready = bool(groups.unready) and usage_ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(usage_ratio):
            return current_replicas, usage
        return _ceil32(usage_ratio * float(groups.ready_count)), usage
    # At a ratio of exactly 1.0 Go assigns missing pods nothing: they stay out of the recount
    # (kubernetes/kubernetes master (v1.34+), pkg/controller/podautoscaler/
    # replica_calculator.go, calcPlainMetricReplicas: ``else if usageRatio > 1.0``).
    fallback = target_usage if usage_ratio < 1.0 else 0 if usage_ratio > 1.0 else None
    if fallback is not None:
        for name in groups.missing:
            values[name] = fallback
    if scale_up_with_unready:
        for name in groups.unready:
            values[name] = 0
    new_ratio, _ = get_metric_usage_ratio(values, target_usage)
    return _rebalanced(current_replicas, usage_ratio, new_ratio, len(values), tolerances), usage


def _rebalanced(
    current_replicas: int,
    usage_ratio: float,
    new_ratio: float,
    counted: int,
    tolerances: Tolerances,
) -> int:
    if (
        tolerances.is_within(new_ratio)
        or (usage_ratio < 1.0 and new_ratio > 1.0)
        or (usage_ratio > 1.0 and new_ratio < 1.0)
    ):
        return current_replicas
    new_replicas = _ceil32(new_ratio * float(counted))
    if (new_ratio < 1.0 and new_replicas > current_replicas) or (
        new_ratio > 1.0 and new_replicas < current_replicas
    ):
        return current_replicas
    return new_replicas


def get_metric_replicas(
    current_replicas: int,
    target_usage: int,
    metrics: Mapping[str, PodMetric],
    tolerances: Tolerances,
    pods: Sequence[Pod],
    now: float,
) -> tuple[int, int]:
    """Pods metric, AverageValue target (readiness never consulted for non-CPU metrics)."""
    return calc_plain_metric_replicas(
        metrics, current_replicas, target_usage, tolerances, pods, None, now
    )


def calculate_pod_requests(
    pods: Sequence[Pod], container: str | None, resource: str
) -> dict[str, int]:
    """Summed milli requests of ``resource`` per pod (one container when ``container`` is set)."""
    requests: dict[str, int] = {}
    for pod in pods:
        total = 0
        for name, container_requests in pod.container_requests().items():
            if container and name != container:
                continue
            if resource not in container_requests:
                raise MetricUnavailable(
                    f"missing request for {resource} in container {name} of Pod {pod.name}"
                )
            total += milli_value(container_requests[resource])  # type: ignore[arg-type]
        requests[pod.name] = total
    return requests


def get_resource_utilization_ratio(
    metrics: Mapping[str, int], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """``(ratio, utilization %, raw average)``; pods without a request entry are skipped."""
    metrics_total = requests_total = entries = 0
    for name, value in metrics.items():
        if name not in requests:
            continue
        metrics_total += value
        requests_total += requests[name]
        entries += 1
    if requests_total == 0:
        raise MetricUnavailable("no metrics returned matched known pods")
    utilization = _to_int32(_go_div(metrics_total * 100, requests_total))
    return (
        _ratio(float(utilization), float(target_utilization)),
        utilization,
        _go_div(metrics_total, entries),
    )


def get_resource_replicas(
    current_replicas: int,
    target_utilization: int,
    resource: str,
    metrics: Mapping[str, PodMetric],
    tolerances: Tolerances,
    pods: Sequence[Pod],
    now: float,
    container: str | None = None,
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> tuple[int, int, int]:
    """Resource/ContainerResource, Utilization target: ``(replicas, utilization %, raw avg)``."""
    if not pods:
        raise MetricUnavailable("no pods returned by selector while calculating replica count")
    groups = group_pods(
        pods, metrics, resource, now, cpu_initialization_period, delay_of_initial_readiness_status
    )
    values = {
        name: _observed_milli(m, f"pod {name}")
        for name, m in metrics.items()
        if name not in groups.ignored and name not in groups.unready
    }
    if not values:
        raise MetricUnavailable("did not receive metrics for targeted pods (pods might be unready)")
    requests = calculate_pod_requests(pods, container, resource)
    usage_ratio, utilization, raw = get_resource_utilization_ratio(
        values, requests, target_utilization
    )
    scale_up_with_unready = bool(groups.unready) and usage_ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(usage_ratio):
            return current_replicas, utilization, raw
        return _ceil32(usage_ratio * float(groups.ready_count)), utilization, raw
    if groups.missing:
        if usage_ratio < 1.0:
            fallback = max(100, target_utilization)
            for name in groups.missing:
                values[name] = _go_div(requests[name] * fallback, 100)
        elif usage_ratio > 1.0:
            for name in groups.missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in groups.unready:
            values[name] = 0
    new_ratio, _, _ = get_resource_utilization_ratio(values, requests, target_utilization)
    replicas = _rebalanced(current_replicas, usage_ratio, new_ratio, len(values), tolerances)
    return replicas, utilization, raw


def get_raw_resource_replicas(
    current_replicas: int,
    target_usage: int,
    resource: str,
    metrics: Mapping[str, PodMetric],
    tolerances: Tolerances,
    pods: Sequence[Pod],
    now: float,
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> tuple[int, int]:
    """Resource/ContainerResource, AverageValue target (CPU readiness rules apply to cpu)."""
    return calc_plain_metric_replicas(
        metrics,
        current_replicas,
        target_usage,
        tolerances,
        pods,
        resource,
        now,
        cpu_initialization_period,
        delay_of_initial_readiness_status,
    )
