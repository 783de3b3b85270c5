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

The package is split by concern as ``pkg/controller/podautoscaler`` is: :mod:`.replica_calculator`,
:mod:`.metrics` (per-metric dispatch and combination), :mod:`.normalization` (stabilization and
rate limits), :mod:`.conditions`, :mod:`.defaults`, :mod:`.controller`; plain data in
:mod:`.types`. Every public name is importable from ``pytest_seldon_scaling.hpa``.

Units: metric values and targets are milli-integers inside (``Quantity.MilliValue()``); callers
pass natural values (``150``, ``"1500m"``, ``0.25``) and they are converted exactly. Times are
seconds (floats) on any monotonic clock. Ratios are computed with the same expression shapes as
the Go code, so float64 results match bit for bit.
"""

from .conditions import (
    ABLE_TO_SCALE,
    SCALING_ACTIVE,
    SCALING_LIMITED,
    Condition,
    set_condition,
)
from .controller import (
    HPAController,
)
from .defaults import (
    default_behavior,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    set_defaults,
    tolerances_for_hpa,
)
from .metrics import (
    MetricsProposal,
    compute_replicas_for_metric,
    compute_replicas_for_metrics,
)
from .normalization import (
    Stabilized,
    calculate_scale_down_limit_with_behaviors,
    calculate_scale_up_limit,
    calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_behavior_rate,
    convert_desired_replicas_with_rules,
    get_replicas_change_per_period,
    stabilize_recommendation,
    stabilize_recommendation_with_behaviors,
    store_scale_event,
)
from .replica_calculator import (
    PodGroups,
    calc_plain_metric_replicas,
    calculate_pod_requests,
    get_external_metric_replicas,
    get_external_per_pod_metric_replicas,
    get_metric_replicas,
    get_metric_usage_ratio,
    get_object_metric_replicas,
    get_object_per_pod_metric_replicas,
    get_raw_resource_replicas,
    get_ready_pods_count,
    get_resource_replicas,
    get_resource_utilization_ratio,
    get_usage_ratio_replica_count,
    group_pods,
)
from .selectors import (
    parse_selector,
    select_pods,
)
from .types import (
    CPU_INITIALIZATION_PERIOD,
    DEFAULT_CPU_UTILIZATION,
    DEFAULT_TOLERANCES,
    DELAY_OF_INITIAL_READINESS_STATUS,
    MAX_INT32,
    MAX_INT64,
    MIN_INT32,
    SCALE_UP_LIMIT_FACTOR,
    SCALE_UP_LIMIT_MINIMUM,
    HPAError,
    MetricFailure,
    MetricProposal,
    MetricUnavailable,
    Pod,
    PodMetric,
    Recommendation,
    Scale,
    ScaleEvent,
    SyncResult,
    Tolerances,
    format_milli,
)

__all__ = [
    "ABLE_TO_SCALE",
    "CPU_INITIALIZATION_PERIOD",
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_TOLERANCES",
    "DELAY_OF_INITIAL_READINESS_STATUS",
    "MAX_INT32",
    "MAX_INT64",
    "MIN_INT32",
    "SCALE_UP_LIMIT_FACTOR",
    "SCALE_UP_LIMIT_MINIMUM",
    "SCALING_ACTIVE",
    "SCALING_LIMITED",
    "Condition",
    "HPAController",
    "HPAError",
    "MetricFailure",
    "MetricProposal",
    "MetricUnavailable",
    "MetricsProposal",
    "Pod",
    "PodGroups",
    "PodMetric",
    "Recommendation",
    "Scale",
    "ScaleEvent",
    "Stabilized",
    "SyncResult",
    "Tolerances",
    "calc_plain_metric_replicas",
    "calculate_pod_requests",
    "calculate_scale_down_limit_with_behaviors",
    "calculate_scale_up_limit",
    "calculate_scale_up_limit_with_scaling_rules",
    "compute_replicas_for_metric",
    "compute_replicas_for_metrics",
    "convert_desired_replicas_with_behavior_rate",
    "convert_desired_replicas_with_rules",
    "default_behavior",
    "format_milli",
    "generate_hpa_scale_down_rules",
    "generate_hpa_scale_up_rules",
    "get_external_metric_replicas",
    "get_external_per_pod_metric_replicas",
    "get_metric_replicas",
    "get_metric_usage_ratio",
    "get_object_metric_replicas",
    "get_object_per_pod_metric_replicas",
    "get_raw_resource_replicas",
    "get_ready_pods_count",
    "get_replicas_change_per_period",
    "get_resource_replicas",
    "get_resource_utilization_ratio",
    "get_usage_ratio_replica_count",
    "group_pods",
    "parse_selector",
    "select_pods",
    "set_condition",
    "set_defaults",
    "stabilize_recommendation",
    "stabilize_recommendation_with_behaviors",
    "store_scale_event",
    "tolerances_for_hpa",
]
