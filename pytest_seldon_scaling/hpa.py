"""The Kubernetes HorizontalPodAutoscaler (``autoscaling/v2``) controller, exact and pure.

This follows ``kube-controller-manager``'s ``pkg/controller/podautoscaler`` decision for decision
(``horizontal.go``, ``replica_calculator.go``, ``apis/autoscaling/v2/defaults.go``), as digested in
``shared/spec/k8s-hpa.md``. The twin runs :class:`HPAController` every sync period; assertions use
it to predict what a real HPA must do for an observed metric.

The stage functions keep the names of their Go originals in snake case, so each can be checked
against the Kubernetes source and its unit tests:

* per metric: :func:`get_object_metric_replicas`, :func:`get_object_per_pod_metric_replicas`,
  :func:`get_external_metric_replicas`, :func:`get_external_per_pod_metric_replicas`,
  :func:`get_metric_replicas` (Pods), :func:`get_resource_replicas` (Utilization),
  :func:`get_raw_resource_replicas` (AverageValue), dispatched by
  :func:`compute_replicas_for_metric` and combined by :func:`compute_replicas_for_metrics`;
* stabilization: :func:`stabilize_recommendation` (no ``spec.behavior``) and
  :func:`stabilize_recommendation_with_behaviors`;
* rate limits: :func:`convert_desired_replicas_with_rules` (no behavior) and
  :func:`convert_desired_replicas_with_behavior_rate`, with
  :func:`calculate_scale_up_limit_with_scaling_rules`,
  :func:`calculate_scale_down_limit_with_behaviors` and :func:`store_scale_event`;
* defaulting: :func:`set_defaults`, :func:`default_behavior`.

Units: metric values and targets are milli-integers inside (``Quantity.MilliValue()``); callers
pass natural values (``150``, ``"1500m"``, ``0.25``) and they are converted exactly. Times are
seconds (floats) on any monotonic clock. Ratios are computed with the same expression shapes as
the Go code, so float64 results match bit for bit.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .quantity import QuantityError, milli_value, parse_quantity

MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)
MAX_INT64 = 2**63 - 1

DEFAULT_CPU_UTILIZATION = 80
CPU_INITIALIZATION_PERIOD = 300.0
DELAY_OF_INITIAL_READINESS_STATUS = 30.0
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0

ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


class HPAError(ValueError):
    """An HPA manifest the controller cannot work with."""


class MetricUnavailable(Exception):
    """A metric could not be read (no adapter rule, API error, ...): the HPA's metric error."""


class MetricFailure(Exception):
    """A metric yielded no proposal; ``reason`` is the ScalingActive reason it sets."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --------------------------------------------------------------------------------------------
# plain data


@dataclass(frozen=True)
class Scale:
    """The target's ``/scale`` subresource as the HPA reads it."""

    spec_replicas: int
    status_replicas: int = 0
    selector: str = ""

    @classmethod
    def of(cls, value: Scale | Mapping) -> Scale:
        """Accept a Scale, ``{"spec_replicas":..}`` or an ``autoscaling/v1`` Scale object."""
        if isinstance(value, Scale):
            return value
        if "spec_replicas" in value:
            return cls(
                int(value["spec_replicas"]),
                int(value.get("status_replicas") or 0),
                value.get("selector") or "",
            )
        spec, status = value.get("spec") or {}, value.get("status") or {}
        return cls(
            int(spec.get("replicas") or 0),
            int(status.get("replicas") or 0),
            status.get("selector") or "",
        )


@dataclass(frozen=True)
class Pod:
    """A pod as the HPA's pod lister sees it.

    ``ready`` is the Ready condition (``None``: no Ready condition), ``ready_transition`` its
    lastTransitionTime and ``start_time`` the pod's start (``None``: not started), all in the
    same seconds as ``now``. ``labels=None`` means "selected by the HPA's selector".
    ``containers`` maps container name to its resource requests; ``requests`` is a shorthand
    for a single container named ``main``.
    """

    name: str
    phase: str = "Running"
    ready: bool | None = True
    ready_transition: float | None = None
    start_time: float | None = None
    deleted: bool = False
    labels: Mapping[str, str] | None = None
    containers: Mapping[str, Mapping[str, object]] | None = None
    requests: Mapping[str, object] | None = None
    sidecars: frozenset[str] = frozenset()

    def container_requests(self) -> Mapping[str, Mapping[str, object]]:
        if self.containers is not None:
            return self.containers
        return {"main": self.requests or {}}


@dataclass(frozen=True)
class PodMetric:
    """One pod's sample: value, when it was taken and over which window (CPU readiness)."""

    value: object
    timestamp: float | None = None
    window: float = 60.0


@dataclass(frozen=True)
class Tolerances:
    """Per-direction tolerance; ``is_within`` is inclusive on both ends, in float64."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@dataclass
class Recommendation:
    replicas: int
    timestamp: float


@dataclass
class ScaleEvent:
    change: int
    timestamp: float
    outdated: bool = False


@dataclass(frozen=True)
class Condition:
    status: str
    reason: str
    message: str
    last_transition: float


@dataclass(frozen=True)
class MetricProposal:
    replicas: int
    metric_name: str
    status: dict


@dataclass
class SyncResult:
    """What one reconcile decided, and the HPA status it would write."""

    current_replicas: int
    desired_replicas: int
    rescaled: bool
    conditions: dict[str, tuple[str, str]]
    current_metrics: list[dict]
    reason: str = ""
    proposal: int | None = None
    error: str | None = None
    events: list[tuple[str, str, str]] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def metric_values(self) -> dict[str, float]:
        """Current value per metric name (value, average value or utilization %)."""
        return {
            name: value for name, value in map(_metric_status_value, self.current_metrics) if name
        }


# --------------------------------------------------------------------------------------------
# quantities


def _to_int32(value: float) -> int:
    if math.isnan(value):
        return MIN_INT32
    if value >= MAX_INT32:
        return MAX_INT32
    if value <= MIN_INT32:
        return MIN_INT32
    return int(value)


def _ceil32(value: float) -> int:
    return _to_int32(math.ceil(value)) if math.isfinite(value) else _to_int32(value)


def format_milli(milli: int) -> str:
    """``resource.NewMilliQuantity(v, DecimalSI).String()``: canonical decimal SI text."""
    if milli == 0:
        return "0"
    sign = "-" if milli < 0 else ""
    value = Fraction(abs(milli), 1000)
    for exponent, suffix in (
        (18, "E"),
        (15, "P"),
        (12, "T"),
        (9, "G"),
        (6, "M"),
        (3, "k"),
        (0, ""),
    ):
        scaled = value / (10**exponent)
        if scaled.denominator == 1 and scaled >= 1:
            return f"{sign}{scaled.numerator}{suffix}"
    return f"{sign}{abs(milli)}m"


def _observed_milli(value: object, what: str) -> int:
    try:
        return milli_value(value if not isinstance(value, PodMetric) else value.value)  # type: ignore[arg-type]
    except (QuantityError, TypeError) as error:
        raise MetricUnavailable(f"{what}: {value!r} is not a metric value") from error


# --------------------------------------------------------------------------------------------
# label selectors (labels.Parse)

_SELECTOR_TERM = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<absent>[\w./-]+)"
    r"|(?P<key>[\w./-]+)\s*(?:(?P<op>==|!=|=)\s*(?P<value>[\w.-]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*$"
)


def parse_selector(selector: str) -> Callable[[Mapping[str, str]], bool]:
    """A matcher for a Kubernetes label selector string; ``ValueError`` when unparsable."""
    terms: list[Callable[[Mapping[str, str]], bool]] = []
    for raw in _split_selector(selector):
        match = _SELECTOR_TERM.match(raw)
        if match is None:
            raise ValueError(f"unable to parse requirement: {raw.strip()!r}")
        if match["absent"]:
            key = match["absent"]
            terms.append(lambda labels, k=key: k not in labels)
        elif match["op"]:
            key, value, negate = match["key"], match["value"], match["op"] == "!="
            terms.append(lambda labels, k=key, v=value, n=negate: (labels.get(k) == v) != n)
        elif match["setop"]:
            key = match["key"]
            values = {v.strip() for v in match["values"].split(",") if v.strip()}
            if match["setop"] == "in":
                terms.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                terms.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        else:
            key = match["key"]
            terms.append(lambda labels, k=key: k in labels)
    return lambda labels: all(term(labels) for term in terms)


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def select_pods(pods: Iterable[Pod], selector: str) -> list[Pod]:
    """Pods the selector matches; pods without labels are taken as already selected."""
    matches = parse_selector(selector)
    return [p for p in pods if p.labels is None or matches(p.labels)]


# --------------------------------------------------------------------------------------------
# behavior defaulting (apis/autoscaling/v2/defaults.go)


def _default_scale_up_rules() -> dict:
    return {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }


def _default_scale_down_rules() -> dict:
    # The window stays unset: the controller fills in --horizontal-pod-autoscaler-downscale-
    # stabilization when it normalizes (maybeInitScaleDownStabilizationWindow).
    return {
        "stabilizationWindowSeconds": None,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    }


def _copy_scaling_rules(given: Mapping | None, defaults: dict) -> dict:
    if given is None:
        return defaults
    for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
        if given.get(key) is not None:
            defaults[key] = copy.deepcopy(given[key])
    return defaults


def generate_hpa_scale_up_rules(rules: Mapping | None) -> dict:
    """``GenerateHPAScaleUpRules``: unset fields take the scale-up defaults."""
    return _copy_scaling_rules(rules, _default_scale_up_rules())


def generate_hpa_scale_down_rules(rules: Mapping | None) -> dict:
    """``GenerateHPAScaleDownRules``: unset fields take the scale-down defaults."""
    return _copy_scaling_rules(rules, _default_scale_down_rules())


def default_behavior(behavior: Mapping | None) -> dict | None:
    """An absent behavior stays absent (legacy path); a given one is completed per direction.

    A user's ``policies`` list replaces the default list (even an empty one).
    """
    if behavior is None:
        return None
    return {
        "scaleUp": generate_hpa_scale_up_rules(behavior.get("scaleUp")),
        "scaleDown": generate_hpa_scale_down_rules(behavior.get("scaleDown")),
    }


def set_defaults(hpa_manifest: Mapping) -> dict:
    """``SetDefaults_HorizontalPodAutoscaler``: minReplicas 1, CPU 80 % metric, behavior."""
    hpa = copy.deepcopy(dict(hpa_manifest))
    spec = hpa.setdefault("spec", {})
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": DEFAULT_CPU_UTILIZATION,
                    },
                },
            }
        ]
    spec["behavior"] = default_behavior(spec.get("behavior"))
    return hpa


def tolerances_for_hpa(
    behavior: Mapping | None, tolerance: float = 0.1, configurable_tolerance: bool = True
) -> Tolerances:
    """Cluster tolerance per direction, overridden by ``behavior.*.tolerance`` behind the gate."""
    down = up = tolerance
    if behavior is None or not configurable_tolerance:
        return Tolerances(down, up)
    if (behavior.get("scaleDown") or {}).get("tolerance") is not None:
        down = float(parse_quantity(behavior["scaleDown"]["tolerance"]))
    if (behavior.get("scaleUp") or {}).get("tolerance") is not None:
        up = float(parse_quantity(behavior["scaleUp"]["tolerance"]))
    return Tolerances(down, up)


# --------------------------------------------------------------------------------------------
# replica calculator (replica_calculator.go)


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


# --------------------------------------------------------------------------------------------
# one metric, several metrics (horizontal.go computeReplicasForMetric[s])


def _unable(reason: str, error: object) -> MetricFailure:
    return MetricFailure(reason, f"the HPA was unable to compute the replica count: {error}")


def _selector_text(metric: Mapping) -> str:
    selector = metric.get("selector")
    return "nil" if selector is None else str(selector)


def compute_replicas_for_metric(
    metric_spec: Mapping,
    observation: object,
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod] = (),
    tolerances: Tolerances = Tolerances(),
    now: float = 0.0,
    namespace: str = "",
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> MetricProposal:
    """The replica proposal of one ``spec.metrics`` entry for its observation.

    ``observation`` is the metric's value (Object; External: a value or a list of series), a
    ``{pod: value}`` mapping (Pods, Resource, ContainerResource), or an exception when the metric
    could not be read. Raises :class:`MetricFailure` with the ScalingActive reason.
    """
    kind = metric_spec.get("type")
    readiness = (cpu_initialization_period, delay_of_initial_readiness_status)
    if kind == "Object":
        return _object_proposal(
            metric_spec["object"],
            observation,
            spec_replicas,
            status_replicas,
            pods,
            tolerances,
            namespace,
        )
    if kind == "Pods":
        return _pods_proposal(
            metric_spec["pods"], observation, spec_replicas, pods, tolerances, now
        )
    if kind in ("Resource", "ContainerResource"):
        source = metric_spec["resource" if kind == "Resource" else "containerResource"]
        reason = (
            "FailedGetResourceMetric" if kind == "Resource" else "FailedGetContainerResourceMetric"
        )
        container = source.get("container") if kind == "ContainerResource" else None
        try:
            return _resource_proposal(
                kind,
                source,
                observation,
                spec_replicas,
                pods,
                tolerances,
                now,
                container,
                readiness,
            )
        except MetricUnavailable as error:
            raise _unable(
                reason, f"failed to get {source.get('name')} resource metric value: {error}"
            ) from None
    if kind == "External":
        return _external_proposal(
            metric_spec["external"],
            observation,
            spec_replicas,
            status_replicas,
            pods,
            tolerances,
            namespace,
        )
    error = f'unknown metric source type "{kind}"'
    raise _unable("InvalidMetricSourceType", error)


def _raise_if_error(observation: object) -> None:
    if isinstance(observation, BaseException):
        raise MetricUnavailable(str(observation) or type(observation).__name__)


def _object_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    namespace: str,
) -> MetricProposal:
    metric = source.get("metric") or {}
    described = source.get("describedObject") or {}
    target = source.get("target") or {}
    name = metric.get("name", "")
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    try:
        if target.get("type") == "Value" and target.get("value") is not None:
            try:
                _raise_if_error(observation)
                usage = _observed_milli(observation, f"metric {name}")
            except MetricUnavailable as error:
                raise MetricUnavailable(
                    f"unable to get metric {name}: {described.get('kind')} on {namespace} "
                    f"{described.get('name')}/{error}"
                ) from None
            replicas, usage = get_object_metric_replicas(
                spec_replicas, milli_value(target["value"]), usage, tolerances, pods
            )
            status = {
                "type": "Object",
                "object": {
                    "describedObject": dict(described),
                    "metric": identity,
                    "current": {"value": format_milli(usage)},
                },
            }
            return MetricProposal(replicas, f"{described.get('kind')} metric {name}", status)
        if target.get("type") == "AverageValue" and target.get("averageValue") is not None:
            try:
                _raise_if_error(observation)
                usage = _observed_milli(observation, f"metric {name}")
            except MetricUnavailable as error:
                raise MetricUnavailable(f"failed to get {name} object metric: {error}") from None
            replicas, average = get_object_per_pod_metric_replicas(
                status_replicas, milli_value(target["averageValue"]), usage, tolerances
            )
            status = {
                "type": "Object",
                "object": {
                    "describedObject": dict(described),
                    "metric": identity,
                    "current": {"averageValue": format_milli(average)},
                },
            }
            return MetricProposal(
                replicas, f"external metric {name}({_selector_text(metric)})", status
            )
        raise MetricUnavailable(
            "invalid object metric source: neither a value target nor an average value target "
            "was set"
        )
    except MetricUnavailable as error:
        raise _unable(
            "FailedGetObjectMetric", f"failed to get object metric value: {error}"
        ) from None


def _pods_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    now: float,
) -> MetricProposal:
    metric = source.get("metric") or {}
    name = metric.get("name", "")
    target = source.get("target") or {}
    try:
        if target.get("averageValue") is None:
            raise MetricUnavailable("invalid pods metric source: no average value target was set")
        try:
            _raise_if_error(observation)
            values = _pod_metrics(observation, f"metric {name}")  # type: ignore[arg-type]
        except MetricUnavailable as error:
            raise MetricUnavailable(f"unable to get metric {name}: {error}") from None
        replicas, usage = get_metric_replicas(
            spec_replicas, milli_value(target["averageValue"]), values, tolerances, pods, now
        )
    except MetricUnavailable as error:
        raise _unable("FailedGetPodsMetric", f"failed to get pods metric value: {error}") from None
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    status = {
        "type": "Pods",
        "pods": {"metric": identity, "current": {"averageValue": format_milli(usage)}},
    }
    return MetricProposal(replicas, f"pods metric {name}", status)


def _resource_proposal(
    kind: str,
    source: Mapping,
    observation: object,
    spec_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    now: float,
    container: str | None,
    readiness: tuple[float, float],
) -> MetricProposal:
    resource = source.get("name", "")
    target = source.get("target") or {}
    key = "resource" if kind == "Resource" else "containerResource"
    identity = {"name": resource, **({"container": container} if container else {})}
    if target.get("averageValue") is not None:
        _raise_if_error(observation)
        values = _pod_metrics(observation, f"resource {resource}")  # type: ignore[arg-type]
        replicas, raw = get_raw_resource_replicas(
            spec_replicas,
            milli_value(target["averageValue"]),
            resource,
            values,
            tolerances,
            pods,
            now,
            *readiness,
        )
        status = {"type": kind, key: {**identity, "current": {"averageValue": format_milli(raw)}}}
        return MetricProposal(replicas, f"{resource} resource", status)
    if target.get("averageUtilization") is None:
        raise MetricUnavailable(
            "invalid resource metric source: neither an average utilization target nor an "
            "average value (usage) target was set"
        )
    _raise_if_error(observation)
    values = _pod_metrics(observation, f"resource {resource}")  # type: ignore[arg-type]
    replicas, utilization, raw = get_resource_replicas(
        spec_replicas,
        int(target["averageUtilization"]),
        resource,
        values,
        tolerances,
        pods,
        now,
        container,
        *readiness,
    )
    label = "container resource" if kind == "ContainerResource" else "resource"
    status = {
        "type": kind,
        key: {
            **identity,
            "current": {"averageUtilization": utilization, "averageValue": format_milli(raw)},
        },
    }
    return MetricProposal(
        replicas, f"{resource} {label} utilization (percentage of request)", status
    )


def _external_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    namespace: str,
) -> MetricProposal:
    metric = source.get("metric") or {}
    name = metric.get("name", "")
    target = source.get("target") or {}
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    described = f"external metric {name}({_selector_text(metric)})"
    try:
        if target.get("averageValue") is None and target.get("value") is None:
            raise MetricUnavailable(
                "invalid external metric source: neither a value target nor an average value "
                "target was set"
            )
        try:
            _raise_if_error(observation)
            series = observation if isinstance(observation, list | tuple) else [observation]
            values = [_observed_milli(v, f"external metric {name}") for v in series]
        except MetricUnavailable as error:
            raise MetricUnavailable(
                f"unable to get external metric {namespace}/{name}/{_selector_text(metric)}: "
                f"{error}"
            ) from None
        if target.get("averageValue") is not None:
            replicas, usage = get_external_per_pod_metric_replicas(
                status_replicas, milli_value(target["averageValue"]), values, tolerances
            )
            current = {"averageValue": format_milli(usage)}
        else:
            replicas, usage = get_external_metric_replicas(
                spec_replicas, milli_value(target["value"]), values, tolerances, pods
            )
            current = {"value": format_milli(usage)}
    except MetricUnavailable as error:
        raise _unable(
            "FailedGetExternalMetric", f"failed to get {name} external metric value: {error}"
        ) from None
    return MetricProposal(
        replicas,
        described,
        {"type": "External", "external": {"metric": identity, "current": current}},
    )


@dataclass
class MetricsProposal:
    """The combined proposal; ``replicas`` is -1 when the metrics forbid scaling."""

    replicas: int
    metric_name: str
    statuses: list[dict]
    failure: MetricFailure | None
    invalid_count: int
    error: str | None


def compute_replicas_for_metrics(
    metric_specs: Sequence[Mapping],
    observations: Sequence[object],
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod] = (),
    tolerances: Tolerances = Tolerances(),
    now: float = 0.0,
    namespace: str = "",
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> MetricsProposal:
    """Max over valid proposals; invalid metrics block scale-down (and everything if all fail)."""
    if len(observations) != len(metric_specs):
        raise HPAError(
            f"{len(metric_specs)} metrics in spec.metrics but {len(observations)} observations"
        )
    replicas, metric_name = 0, ""
    statuses: list[dict] = []
    first_failure: MetricFailure | None = None
    invalid = 0
    for metric_spec, observation in zip(metric_specs, observations, strict=True):
        try:
            proposal = compute_replicas_for_metric(
                metric_spec,
                observation,
                spec_replicas=spec_replicas,
                status_replicas=status_replicas,
                pods=pods,
                tolerances=tolerances,
                now=now,
                namespace=namespace,
                cpu_initialization_period=cpu_initialization_period,
                delay_of_initial_readiness_status=delay_of_initial_readiness_status,
            )
        except MetricFailure as failure:
            if first_failure is None:
                first_failure = failure
            invalid += 1
            statuses.append({})
            continue
        statuses.append(proposal.status)
        if replicas == 0 or proposal.replicas > replicas:
            replicas, metric_name = proposal.replicas, proposal.metric_name
    error = None
    if first_failure is not None:
        cause = first_failure.message.removeprefix(
            "the HPA was unable to compute the replica count: "
        )
        error = (
            f"invalid metrics ({invalid} invalid out of {len(metric_specs)}), "
            f"first error is: {cause}"
        )
    if invalid >= len(metric_specs) or (invalid > 0 and replicas < spec_replicas):
        return MetricsProposal(-1, "", statuses, first_failure, invalid, error)
    return MetricsProposal(replicas, metric_name, statuses, None, invalid, error)


# --------------------------------------------------------------------------------------------
# normalization: stabilization and rate limits


_UP_STABILIZED = (
    "recent recommendations were lower than current one, applying the lowest recent recommendation"
)
_DOWN_STABILIZED = (
    "recent recommendations were higher than current one, "
    "applying the highest recent recommendation"
)
_WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
_TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
_TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
_UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)
_DOWN_LIMIT = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
)


def _recommendations(items: Iterable) -> list[Recommendation]:
    return [
        r if isinstance(r, Recommendation) else Recommendation(int(r[0]), float(r[1]))
        for r in items
    ]


def _events(items: Iterable) -> list[ScaleEvent]:
    return [e if isinstance(e, ScaleEvent) else ScaleEvent(int(e[0]), float(e[1])) for e in items]


def stabilize_recommendation(
    recommendations: Iterable[Recommendation | tuple[int, float]],
    proposal: int,
    now: float,
    window: float = 300.0,
) -> tuple[int, list[Recommendation]]:
    """No behavior: the max of the proposal and every recommendation not older than ``window``.

    Returns the stabilized count and the new history (the proposal overwrites the last entry
    older than the window, else is appended).
    """
    history = _recommendations(recommendations)
    highest = proposal
    cutoff = now - window
    old_index = None
    for index, rec in enumerate(history):
        if rec.timestamp < cutoff:
            old_index = index
        elif rec.replicas > highest:
            highest = rec.replicas
    entry = Recommendation(proposal, now)
    if old_index is not None:
        history[old_index] = entry
    else:
        history.append(entry)
    return highest, history


@dataclass(frozen=True)
class Stabilized:
    replicas: int
    reason: str
    message: str
    recommendations: list[Recommendation]


def stabilize_recommendation_with_behaviors(
    recommendations: Iterable[Recommendation | tuple[int, float]],
    current_replicas: int,
    proposal: int,
    now: float,
    scale_up_window: float,
    scale_down_window: float,
) -> Stabilized:
    """With behavior: clamp current into [min of up-window recs, max of down-window recs]."""
    history = _recommendations(recommendations)
    up_cutoff, down_cutoff = now - scale_up_window, now - scale_down_window
    up, down = proposal, proposal
    old_index = None
    for index, rec in enumerate(history):
        if rec.timestamp > up_cutoff:
            up = min(rec.replicas, up)
        if rec.timestamp > down_cutoff:
            down = max(rec.replicas, down)
        if rec.timestamp < up_cutoff and rec.timestamp < down_cutoff:
            old_index = index
    recommendation = current_replicas
    if recommendation < up:
        recommendation = up
    if recommendation > down:
        recommendation = down
    entry = Recommendation(proposal, now)
    if old_index is not None:
        history[old_index] = entry
    else:
        history.append(entry)
    if proposal >= current_replicas:
        return Stabilized(recommendation, "ScaleUpStabilized", _UP_STABILIZED, history)
    return Stabilized(recommendation, "ScaleDownStabilized", _DOWN_STABILIZED, history)


def calculate_scale_up_limit(
    current_replicas: int,
    factor: float = SCALE_UP_LIMIT_FACTOR,
    minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> int:
    """Legacy scale-up cap ``max(factor × current, minimum)``."""
    return _to_int32(max(factor * float(current_replicas), minimum))


def convert_desired_replicas_with_rules(
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    *,
    scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
    scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
) -> tuple[int, str, str]:
    """No behavior: clamp into [min, min(max, max(2 × current, 4))]; ``(replicas, reason, msg)``."""
    scale_up_limit = calculate_scale_up_limit(
        current_replicas, scale_up_limit_factor, scale_up_limit_minimum
    )
    if max_replicas > scale_up_limit:
        maximum, limiting = scale_up_limit, _UP_LIMIT
    else:
        maximum, limiting = max_replicas, _TOO_MANY
    if desired_replicas < min_replicas:
        return (min_replicas, *_TOO_FEW)
    if desired_replicas > maximum:
        return (maximum, *limiting)
    return (desired_replicas, *_WITHIN_RANGE)


def get_replicas_change_per_period(
    period_seconds: float, events: Iterable[ScaleEvent | tuple[int, float]], now: float
) -> int:
    """Sum of changes of events strictly younger than the period."""
    cutoff = now - period_seconds
    return sum(e.change for e in _events(events) if e.timestamp > cutoff)


def _period_start(
    current: int,
    policy: Mapping,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    now: float,
) -> int:
    period = float(policy["periodSeconds"])
    added = get_replicas_change_per_period(period, up_events, now)
    removed = get_replicas_change_per_period(period, down_events, now)
    return current - added + removed


def calculate_scale_up_limit_with_scaling_rules(
    current_replicas: int,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    rules: Mapping,
    now: float,
) -> int:
    """Highest count the scale-up policies allow now (Max: largest, Min: smallest, Disabled)."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current_replicas
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    pick, result = (min, MAX_INT32) if select == "Min" else (max, MIN_INT32)
    for policy in rules.get("policies") or []:
        start = _period_start(current_replicas, policy, up_events, down_events, now)
        if policy["type"] == "Pods":
            proposed = start + int(policy["value"])
        else:
            proposed = _ceil32(float(start) * (1 + float(policy["value"]) / 100))
        result = pick(result, proposed)
    return result


def calculate_scale_down_limit_with_behaviors(
    current_replicas: int,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    rules: Mapping,
    now: float,
) -> int:
    """Lowest count the scale-down policies allow now (Max: largest change, Min, Disabled)."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current_replicas
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    pick, result = (max, MIN_INT32) if select == "Min" else (min, MAX_INT32)
    for policy in rules.get("policies") or []:
        start = _period_start(current_replicas, policy, up_events, down_events, now)
        if policy["type"] == "Pods":
            proposed = start - int(policy["value"])
        else:
            proposed = _to_int32(float(start) * (1 - float(policy["value"]) / 100))
        result = pick(result, proposed)
    return result


def convert_desired_replicas_with_behavior_rate(
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    behavior: Mapping,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    now: float,
) -> tuple[int, str, str]:
    """With behavior: policy limits from the scale-event history, then [min, max]."""
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    if desired_replicas > current_replicas:
        limit = calculate_scale_up_limit_with_scaling_rules(
            current_replicas, up_events, down_events, behavior["scaleUp"], now
        )
        limit = max(limit, current_replicas)
        if max_replicas > limit:
            maximum, limiting = limit, _UP_LIMIT
        else:
            maximum, limiting = max_replicas, _TOO_MANY
        if desired_replicas > maximum:
            return (maximum, *limiting)
    elif desired_replicas < current_replicas:
        limit = calculate_scale_down_limit_with_behaviors(
            current_replicas, up_events, down_events, behavior["scaleDown"], now
        )
        limit = min(limit, current_replicas)
        if min_replicas < limit:
            minimum, limiting = limit, _DOWN_LIMIT
        else:
            minimum, limiting = min_replicas, _TOO_FEW
        if desired_replicas < minimum:
            return (minimum, *limiting)
    return (desired_replicas, *_WITHIN_RANGE)


def _longest_policy_period(rules: Mapping) -> float:
    return float(max((int(p["periodSeconds"]) for p in rules.get("policies") or []), default=0))


def store_scale_event(
    behavior: Mapping | None,
    scale_up_events: Iterable[ScaleEvent | tuple[int, float]],
    scale_down_events: Iterable[ScaleEvent | tuple[int, float]],
    previous_replicas: int,
    new_replicas: int,
    now: float,
) -> tuple[list[ScaleEvent], list[ScaleEvent]]:
    """Record a rescale in the direction's history (behavior only), reusing an outdated slot."""
    up_events, down_events = _events(scale_up_events), _events(scale_down_events)
    if behavior is None:
        return up_events, down_events
    if new_replicas > previous_replicas:
        events, rules, change = up_events, behavior["scaleUp"], new_replicas - previous_replicas
    else:
        events, rules, change = down_events, behavior["scaleDown"], previous_replicas - new_replicas
    cutoff = now - _longest_policy_period(rules)
    for event in events:
        if event.timestamp < cutoff:
            event.outdated = True
    outdated = [i for i, e in enumerate(events) if e.outdated]
    entry = ScaleEvent(change, now)
    if outdated:
        events[outdated[-1]] = entry
    else:
        events.append(entry)
    return up_events, down_events


# --------------------------------------------------------------------------------------------
# the controller (horizontal.go reconcileAutoscaler)


def _metric_status_value(status: Mapping) -> tuple[str, float]:
    if not status:
        return "", 0.0
    body = status.get(_STATUS_KEY.get(status.get("type", ""), ""), {})
    name = (body.get("metric") or {}).get("name") or body.get("name") or ""
    current = body.get("current") or {}
    if "averageUtilization" in current:
        return name, float(current["averageUtilization"])
    for key in ("value", "averageValue"):
        if key in current:
            return name, float(parse_quantity(current[key]))
    return name, 0.0


_STATUS_KEY = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "External": "external",
}


class HPAController:
    """One HPA as the controller-manager keeps it: spec, conditions and in-memory history.

    ``recommendations=None`` is a fresh controller: its first sync seeds the history with
    ``(spec.replicas, now)``. The event lists are ``(replica_change, timestamp)`` pairs.
    """

    def __init__(
        self,
        hpa_manifest: Mapping,
        *,
        tolerance: float = 0.1,
        downscale_stabilization_seconds: float = 300.0,
        configurable_tolerance: bool = True,
        recommendations: Iterable[tuple[int, float]] | None = None,
        scale_up_events: Iterable[tuple[int, float]] = (),
        scale_down_events: Iterable[tuple[int, float]] = (),
        cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
        delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
        scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
        scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
    ) -> None:
        self.tolerance = tolerance
        self.downscale_stabilization_seconds = downscale_stabilization_seconds
        self.configurable_tolerance = configurable_tolerance
        self.cpu_initialization_period = cpu_initialization_period
        self.delay_of_initial_readiness_status = delay_of_initial_readiness_status
        self.scale_up_limit_factor = scale_up_limit_factor
        self.scale_up_limit_minimum = scale_up_limit_minimum
        self.recommendations: list[Recommendation] | None = (
            None if recommendations is None else _recommendations(recommendations)
        )
        self.scale_up_events = _events(scale_up_events)
        self.scale_down_events = _events(scale_down_events)
        self.conditions: dict[str, Condition] = {}
        self.last_scale_time: float | None = None
        self.update(hpa_manifest)
        for condition in (hpa_manifest.get("status") or {}).get("conditions") or []:
            self.conditions[condition["type"]] = Condition(
                condition["status"], condition.get("reason", ""), condition.get("message", ""), 0.0
            )

    def update(self, hpa_manifest: Mapping) -> None:
        """Take a new version of the HPA object; history and conditions are kept."""
        spec = hpa_manifest.get("spec") or {}
        name = (hpa_manifest.get("metadata") or {}).get("name", "")
        if not isinstance(spec.get("maxReplicas"), int) or spec["maxReplicas"] < 1:
            raise HPAError(
                f"HorizontalPodAutoscaler/{name}: spec.maxReplicas: must be an integer >= 1"
            )
        if not (spec.get("scaleTargetRef") or {}).get("name"):
            raise HPAError(f"HorizontalPodAutoscaler/{name}: spec.scaleTargetRef.name: required")
        self.manifest = set_defaults(hpa_manifest)
        self.name = name
        self.namespace = (hpa_manifest.get("metadata") or {}).get("namespace", "")

    @property
    def spec(self) -> dict:
        return self.manifest["spec"]

    def _set_condition(
        self, now: float, type_: str, status: str, reason: str, message: str
    ) -> None:
        previous = self.conditions.get(type_)
        transition = previous.last_transition if previous and previous.status == status else now
        self.conditions[type_] = Condition(status, reason, message, transition)

    def _scale_down_window(self) -> float:
        window = self.spec["behavior"]["scaleDown"].get("stabilizationWindowSeconds")
        return float(self.downscale_stabilization_seconds if window is None else window)

    def sync(
        self,
        now: float,
        scale: Scale | Mapping | BaseException,
        metrics: Sequence[object] = (),
        pods: Sequence[Pod] = (),
        *,
        other_hpa_selectors: Sequence[str] = (),
        update_error: BaseException | None = None,
    ) -> SyncResult:
        """One reconcile at time ``now``.

        ``scale`` is the target's Scale (or the exception GET /scale raised); ``metrics`` holds
        one observation per ``spec.metrics`` entry; ``pods`` what the pod lister returns;
        ``other_hpa_selectors`` the selectors of other HPAs in the namespace (ambiguity check);
        ``update_error`` makes the write of the new scale fail.
        """
        events: list[tuple[str, str, str]] = []
        if isinstance(scale, BaseException):
            message = f"the HPA controller was unable to get the target's current scale: {scale}"
            self._set_condition(now, ABLE_TO_SCALE, "False", "FailedGetScale", message)
            events.append(("Warning", "FailedGetScale", str(scale)))
            return self._result(0, 0, False, [], events, error=str(scale))
        scale = Scale.of(scale)
        self._set_condition(
            now,
            ABLE_TO_SCALE,
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        current = scale.spec_replicas
        if self.recommendations is None:
            self.recommendations = [Recommendation(current, now)]
        min_replicas = self.spec.get("minReplicas")
        min_replicas = 1 if min_replicas is None else int(min_replicas)
        max_replicas = int(self.spec["maxReplicas"])
        statuses: list[dict] = []
        reason = ""
        proposal = None
        error = None
        rescale = True
        if current == 0 and min_replicas != 0:
            desired = 0
            rescale = False
            self._set_condition(
                now,
                SCALING_ACTIVE,
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        elif current > max_replicas:
            reason = "Current number of replicas above Spec.MaxReplicas"
            desired = max_replicas
        elif current < min_replicas:
            reason = "Current number of replicas below Spec.MinReplicas"
            desired = min_replicas
        else:
            computed = self._compute_metrics(now, scale, metrics, pods, other_hpa_selectors, events)
            statuses = computed.statuses
            if computed.replicas == -1:
                events.append(("Warning", "FailedComputeMetricsReplicas", computed.error or ""))
                return self._result(current, current, False, statuses, events, error=computed.error)
            error = computed.error
            proposal = computed.replicas
            desired, rescale_metric = 0, ""
            if computed.replicas > desired:
                desired, rescale_metric = computed.replicas, computed.metric_name
            if desired > current:
                reason = f"{rescale_metric} above target"
            if desired < current:
                reason = "All metrics below target"
            if self.spec.get("behavior") is None:
                desired = self._normalize(now, current, desired, min_replicas, max_replicas)
            else:
                desired = self._normalize_with_behaviors(
                    now, current, desired, min_replicas, max_replicas
                )
            rescale = desired != current
        if rescale:
            if update_error is not None:
                events.append(
                    (
                        "Warning",
                        "FailedRescale",
                        f"New size: {desired}; reason: {reason}; error: {update_error}",
                    )
                )
                self._set_condition(
                    now,
                    ABLE_TO_SCALE,
                    "False",
                    "FailedUpdateScale",
                    f"the HPA controller was unable to update the target scale: {update_error}",
                )
                return self._result(
                    current, desired, False, statuses, events, reason, proposal, str(update_error)
                )
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            events.append(("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}"))
            self.scale_up_events, self.scale_down_events = store_scale_event(
                self.spec.get("behavior"),
                self.scale_up_events,
                self.scale_down_events,
                current,
                desired,
                now,
            )
            self.last_scale_time = now
        else:
            desired = current
        return self._result(current, desired, rescale, statuses, events, reason, proposal, error)

    def _compute_metrics(
        self,
        now: float,
        scale: Scale,
        metrics: Sequence[object],
        pods: Sequence[Pod],
        other_hpa_selectors: Sequence[str],
        events: list[tuple[str, str, str]],
    ) -> MetricsProposal:
        specs = self.spec["metrics"]
        blocked = self._validate_selector(now, scale.selector, pods, other_hpa_selectors, events)
        if blocked is not None:
            return MetricsProposal(-1, "", [], None, len(specs), blocked)
        selected = select_pods(pods, scale.selector)
        computed = compute_replicas_for_metrics(
            specs,
            metrics,
            spec_replicas=scale.spec_replicas,
            status_replicas=scale.status_replicas,
            pods=selected,
            tolerances=tolerances_for_hpa(
                self.spec.get("behavior"), self.tolerance, self.configurable_tolerance
            ),
            now=now,
            namespace=self.namespace,
            cpu_initialization_period=self.cpu_initialization_period,
            delay_of_initial_readiness_status=self.delay_of_initial_readiness_status,
        )
        if computed.replicas == -1:
            failure = computed.failure
            if failure is not None:
                self._set_condition(now, SCALING_ACTIVE, "False", failure.reason, failure.message)
        else:
            message = (
                "the HPA was able to successfully calculate a replica count from "
                f"{computed.metric_name}"
            )
            self._set_condition(now, SCALING_ACTIVE, "True", "ValidMetricFound", message)
        return computed

    def _validate_selector(
        self,
        now: float,
        selector: str,
        pods: Sequence[Pod],
        other_hpa_selectors: Sequence[str],
        events: list[tuple[str, str, str]],
    ) -> str | None:
        if selector == "":
            events.append(("Warning", "SelectorRequired", "selector is required"))
            self._set_condition(
                now,
                SCALING_ACTIVE,
                "False",
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
            )
            return "selector is required"
        try:
            selected = select_pods(pods, selector)
        except ValueError as error:
            message = (
                f"couldn't convert selector into a corresponding internal selector object: {error}"
            )
            events.append(("Warning", "InvalidSelector", message))
            self._set_condition(now, SCALING_ACTIVE, "False", "InvalidSelector", message)
            return message
        labelled = [p for p in selected if p.labels is not None]
        for other in other_hpa_selectors:
            matches = parse_selector(other)
            if any(matches(p.labels) for p in labelled):  # type: ignore[arg-type]
                message = (
                    f"pods by selector {selector} are controlled by multiple HPAs: "
                    f"[{self.namespace}/{self.name} {other}]"
                )
                events.append(("Warning", "AmbiguousSelector", message))
                self._set_condition(now, SCALING_ACTIVE, "False", "AmbiguousSelector", message)
                return message
        return None

    def _normalize(
        self, now: float, current: int, proposal: int, min_replicas: int, max_replicas: int
    ) -> int:
        stabilized, self.recommendations = stabilize_recommendation(
            self.recommendations or [], proposal, now, self.downscale_stabilization_seconds
        )
        if stabilized != proposal:
            self._set_condition(now, ABLE_TO_SCALE, "True", "ScaleDownStabilized", _DOWN_STABILIZED)
        else:
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        desired, reason, message = convert_desired_replicas_with_rules(
            current,
            stabilized,
            min_replicas,
            max_replicas,
            scale_up_limit_factor=self.scale_up_limit_factor,
            scale_up_limit_minimum=self.scale_up_limit_minimum,
        )
        self._set_condition(
            now, SCALING_LIMITED, "False" if desired == stabilized else "True", reason, message
        )
        return desired

    def _normalize_with_behaviors(
        self, now: float, current: int, proposal: int, min_replicas: int, max_replicas: int
    ) -> int:
        behavior = copy.deepcopy(self.spec["behavior"])
        behavior["scaleDown"]["stabilizationWindowSeconds"] = self._scale_down_window()
        stabilized = stabilize_recommendation_with_behaviors(
            self.recommendations or [],
            current,
            proposal,
            now,
            float(behavior["scaleUp"]["stabilizationWindowSeconds"]),
            float(behavior["scaleDown"]["stabilizationWindowSeconds"]),
        )
        self.recommendations = stabilized.recommendations
        if stabilized.replicas != proposal:
            self._set_condition(now, ABLE_TO_SCALE, "True", stabilized.reason, stabilized.message)
        else:
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        desired, reason, message = convert_desired_replicas_with_behavior_rate(
            current,
            stabilized.replicas,
            min_replicas,
            max_replicas,
            behavior,
            self.scale_up_events,
            self.scale_down_events,
            now,
        )
        self._set_condition(
            now,
            SCALING_LIMITED,
            "False" if desired == stabilized.replicas else "True",
            reason,
            message,
        )
        return desired

    def _result(
        self,
        current: int,
        desired: int,
        rescaled: bool,
        statuses: list[dict],
        events: list[tuple[str, str, str]],
        reason: str = "",
        proposal: int | None = None,
        error: str | None = None,
    ) -> SyncResult:
        return SyncResult(
            current_replicas=current,
            desired_replicas=desired,
            rescaled=rescaled,
            conditions={t: (c.status, c.reason) for t, c in self.conditions.items()},
            current_metrics=[s for s in statuses if s],
            reason=reason,
            proposal=proposal,
            error=error,
            events=events,
            messages={t: c.message for t, c in self.conditions.items()},
        )

    def status(self, result: SyncResult) -> dict:
        """The HPA ``status`` a controller writes after ``result`` (times as given)."""
        status: dict = {
            "currentReplicas": result.current_replicas,
            "desiredReplicas": result.desired_replicas
            if result.rescaled
            else result.current_replicas,
            "currentMetrics": result.current_metrics,
            "conditions": [
                {
                    "type": type_,
                    "status": c.status,
                    "reason": c.reason,
                    "message": c.message,
                    "lastTransitionTime": c.last_transition,
                }
                for type_, c in self.conditions.items()
            ],
        }
        if self.last_scale_time is not None:
            status["lastScaleTime"] = self.last_scale_time
        return status
