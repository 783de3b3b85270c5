"""Per-metric proposals (§3 of the HPA spec), cases after Kubernetes' replica_calculator_test.go."""

from __future__ import annotations

import math

import pytest
from hpa_builders import NOW, running_pods

from pytest_seldon_scaling.hpa import (
    MetricUnavailable,
    Pod,
    PodMetric,
    Tolerances,
    format_milli,
    get_external_metric_replicas,
    get_external_per_pod_metric_replicas,
    get_metric_replicas,
    get_object_metric_replicas,
    get_object_per_pod_metric_replicas,
    get_raw_resource_replicas,
    get_resource_replicas,
    group_pods,
)

TOL = Tolerances()


def metrics(pods: list[Pod], levels: list[int]) -> dict[str, PodMetric]:
    return {p.name: PodMetric(f"{v}m", timestamp=NOW) for p, v in zip(pods, levels, strict=False)}


@pytest.mark.parametrize(
    ("current", "levels", "target", "expected", "utilization"),
    [
        (3, [300, 500, 700], 30, 5, 50),  # TestReplicaCalcScaleUp
        (5, [100, 300, 500, 250, 250], 50, 3, 28),  # TestReplicaCalcScaleDown
        (3, [1010, 1030, 1020], 100, 3, 102),  # TestReplicaCalcTolerance: within 10 %
        (3, [1100, 1100, 1100], 100, 3, 110),  # exactly 1 + tolerance is within
        (3, [1120, 1120, 1120], 100, 4, 112),
        (3, [20, 10, 30], 50, 1, 2),
    ],
)
def test_resource_utilization(current, levels, target, expected, utilization):
    pods = running_pods(len(levels))
    replicas, util, raw = get_resource_replicas(
        current, target, "cpu", metrics(pods, levels), TOL, pods, NOW
    )
    assert (replicas, util) == (expected, utilization)
    assert raw == sum(levels) // len(levels)


def test_unready_cpu_pods_count_as_zero_on_scale_up():
    # TestReplicaCalcScaleUpUnreadyLessScale: the unready pod is excluded, then counted at 0 %.
    pods = running_pods(3)
    pods[0] = Pod("test-pod-0", requests={"cpu": "1.0"}, ready=False, start_time=NOW - 60)
    replicas, util, _ = get_resource_replicas(
        3, 30, "cpu", metrics(pods, [300, 500, 700]), TOL, pods, NOW
    )
    assert (replicas, util) == (4, 60)


def test_unready_pods_are_ignored_on_scale_down():
    # TestReplicaCalcScaleDownIgnoresUnreadyPods: unready pods never pull a scale-down lower.
    pods = running_pods(5)
    pods[3] = Pod("test-pod-3", requests={"cpu": "1.0"}, ready=False, start_time=NOW - 60)
    pods[4] = Pod("test-pod-4", requests={"cpu": "1.0"}, ready=False, start_time=NOW - 60)
    replicas, util, _ = get_resource_replicas(
        5, 50, "cpu", metrics(pods, [100, 300, 500, 250, 250]), TOL, pods, NOW
    )
    assert (replicas, util) == (2, 30)


def test_missing_metrics_assumed_full_request_on_scale_down():
    # TestReplicaCalcMissingMetrics...: two of four pods report, ratio < 1.
    pods = running_pods(4)
    replicas, util, _ = get_resource_replicas(
        4, 100, "cpu", metrics(pods, [400, 95]), TOL, pods, NOW
    )
    assert (replicas, util) == (3, 24)


def test_missing_metrics_assumed_zero_on_scale_up():
    pods = running_pods(4)
    replicas, util, _ = get_resource_replicas(
        4, 100, "cpu", metrics(pods, [2000, 1900]), TOL, pods, NOW
    )
    # 195 % over two pods; with the two missing at 0 %: 97 % -> within tolerance -> no change.
    assert (replicas, util) == (4, 195)


def test_missing_metrics_that_flip_direction_keep_current():
    pods = running_pods(4)
    # 40 % of a 50 % target, but the missing pods assumed at 100 % give 70 %: a flip.
    replicas, util, _ = get_resource_replicas(
        4, 50, "cpu", metrics(pods, [400, 400]), TOL, pods, NOW
    )
    assert (replicas, util) == (4, 40)


def test_resource_without_requests_is_an_error():
    pods = [Pod("p0", requests={"memory": "1Gi"}, start_time=NOW - 3600, ready_transition=0)]
    with pytest.raises(
        MetricUnavailable, match="missing request for cpu in container main of Pod p0"
    ):
        get_resource_replicas(1, 50, "cpu", metrics(pods, [100]), TOL, pods, NOW)


def test_no_pods_is_an_error():
    with pytest.raises(MetricUnavailable, match="no pods returned by selector"):
        get_resource_replicas(1, 50, "cpu", {}, TOL, [], NOW)


def test_all_pods_unready_is_an_error():
    pods = [Pod("p0", phase="Pending", requests={"cpu": "1"})]
    with pytest.raises(MetricUnavailable, match="did not receive metrics for targeted pods"):
        get_resource_replicas(1, 50, "cpu", metrics(pods, [100]), TOL, pods, NOW)


def test_container_resource_uses_only_that_container():
    pods = [
        Pod(
            f"p{i}",
            containers={"app": {"cpu": "1"}, "sidecar": {"cpu": "3"}},
            start_time=NOW - 3600,
            ready_transition=0,
        )
        for i in range(2)
    ]
    replicas, util, _ = get_resource_replicas(
        2, 50, "cpu", metrics(pods, [1000, 1000]), TOL, pods, NOW, container="app"
    )
    assert (replicas, util) == (4, 100)


@pytest.mark.parametrize(
    ("current", "levels", "target", "expected", "usage"),
    [
        (3, [20000, 10000, 30000], 15000, 4, 20000),  # TestReplicaCalcScaleUpCM
        (5, [12000, 12000, 12000, 12000, 12000], 20000, 3, 12000),  # TestReplicaCalcScaleDownCM
        (3, [20000, 21000, 21000], 20000, 3, 20666),  # TestReplicaCalcToleranceCM
    ],
)
def test_pods_metric(current, levels, target, expected, usage):
    pods = running_pods(len(levels))
    replicas, got_usage = get_metric_replicas(
        current, target, metrics(pods, levels), TOL, pods, NOW
    )
    assert (replicas, got_usage) == (expected, usage)


def test_pods_metric_ignores_readiness_for_non_cpu():
    # TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: readiness is a CPU-only rule.
    pods = running_pods(3)
    pods[0] = Pod("test-pod-0", ready=False, start_time=NOW - 60)
    replicas, usage = get_metric_replicas(
        3, 15000, metrics(pods, [50000, 10000, 30000]), TOL, pods, NOW
    )
    assert (replicas, usage) == (6, 30000)


def test_pods_metric_pending_pod_counts_zero_on_scale_up():
    pods = running_pods(3)
    pods[2] = Pod("test-pod-2", phase="Pending")
    replicas, usage = get_metric_replicas(
        3, 15000, metrics(pods, [20000, 10000, 30000]), TOL, pods, NOW
    )
    # Pending pod excluded: 15000 average -> ratio 1.0 -> no scale-up with unready -> within.
    assert (replicas, usage) == (3, 15000)


def test_pods_metric_missing_pods_at_target_on_scale_down():
    pods = running_pods(4)
    replicas, usage = get_metric_replicas(4, 10000, metrics(pods, [4000, 4000]), TOL, pods, NOW)
    # missing two at target: (4+4+10+10)/4 = 7 -> ceil(0.7*4) = 3
    assert (replicas, usage) == (3, 4000)


def test_deleted_and_failed_pods_are_ignored():
    pods = running_pods(3)
    pods[1] = Pod("test-pod-1", deleted=True)
    pods[2] = Pod("test-pod-2", phase="Failed")
    groups = group_pods(pods, metrics(pods, [1, 2, 3]), None, NOW)
    assert groups.ignored == {"test-pod-1", "test-pod-2"}
    assert groups.ready_count == 1


@pytest.mark.parametrize(
    ("current", "usage", "target", "ready", "expected"),
    [
        (3, 20000, 15000, 3, 4),  # TestReplicaCalcScaleUpCMObject
        (5, 5000, 20000, 5, 2),  # TestReplicaCalcScaleDownCMObject
        (3, 20666, 20000, 3, 3),  # TestReplicaCalcToleranceCMObject
        (3, 8600, 4400, 1, 2),  # ExternalIgnoresUnreadyPods: scales with ready pods only
    ],
)
def test_object_value(current, usage, target, ready, expected):
    pods = [Pod(f"p{i}", ready=i < ready) for i in range(current)]
    replicas, got = get_object_metric_replicas(current, target, usage, TOL, pods)
    assert (replicas, got) == (expected, usage)


def test_object_value_needs_pods_only_outside_tolerance():
    assert get_object_metric_replicas(3, 1000, 1050, TOL, []) == (3, 1050)
    with pytest.raises(MetricUnavailable, match="no pods returned by selector"):
        get_object_metric_replicas(3, 1000, 3000, TOL, [])


def test_object_value_from_zero_ignores_tolerance():
    assert get_object_metric_replicas(0, 1000, 1050, TOL, [])[0] == 2


@pytest.mark.parametrize(
    ("status", "usage", "average", "expected", "reported"),
    [
        (3, 40000, 10000, 4, 13334),  # TestScaleUpPerPodCMObject (spec §5)
        (4, 8600, 2200, 4, 2150),  # TestTolerancePerPodCMObject: ratio 0.977, within
        (1, 150000, 50000, 3, 150000),  # Seldon docs: infer_rps 150, averageValue 50
        (5, 1000, 3000, 1, 200),
        (0, 7000, 3000, 3, 0),  # status.replicas 0: ratio +Inf
        (0, 0, 3000, 0, 0),  # 0/0 is NaN, never within
    ],
)
def test_object_average_value(status, usage, average, expected, reported):
    assert get_object_per_pod_metric_replicas(status, average, usage, TOL) == (expected, reported)


def test_external_sums_series():
    pods = [Pod(f"p{i}") for i in range(3)]
    assert get_external_metric_replicas(3, 4400, [4000, 4600], TOL, pods) == (6, 8600)
    assert get_external_per_pod_metric_replicas(3, 2000, [4000, 4600], TOL) == (5, 2867)


def test_raw_resource_average_value_uses_cpu_readiness():
    pods = running_pods(3)
    pods[0] = Pod("test-pod-0", requests={"cpu": "1"}, ready=False, start_time=NOW - 60)
    replicas, usage = get_raw_resource_replicas(
        3, 300, "cpu", metrics(pods, [900, 500, 700]), TOL, pods, NOW
    )
    # pod 0 excluded: 600 average -> ratio 2 -> unready at 0: 400 -> ceil(1.333*3) = 4
    assert (replicas, usage) == (4, 600)


def test_cpu_sample_taken_before_readiness_window_is_unready():
    pod = Pod(
        "p", requests={"cpu": "1"}, start_time=NOW - 100, ready=True, ready_transition=NOW - 30
    )
    fresh = group_pods([pod], {"p": PodMetric("500m", timestamp=NOW, window=60)}, "cpu", NOW)
    assert fresh.unready == {"p"}
    settled = group_pods([pod], {"p": PodMetric("500m", timestamp=NOW + 31, window=60)}, "cpu", NOW)
    assert settled.ready_count == 1


def test_tolerance_is_inclusive_in_float64():
    assert Tolerances().is_within(11 / 10)
    assert Tolerances().is_within(0.9)
    assert not Tolerances().is_within(math.nextafter(1.1, 2))
    assert Tolerances(scale_down=0.0, scale_up=0.5).is_within(1.5)
    assert not Tolerances(scale_down=0.0, scale_up=0.5).is_within(0.99)


@pytest.mark.parametrize(
    ("milli", "text"),
    [(0, "0"), (150000, "150"), (1500, "1500m"), (3000000, "3k"), (1500000, "1500"), (-2000, "-2")],
)
def test_metric_status_quantities_are_canonical(milli, text):
    assert format_milli(milli) == text


# kubernetes/kubernetes master (v1.34+), pkg/controller/podautoscaler/replica_calculator.go,
# calcPlainMetricReplicas: missing pods are re-counted at the target only when usageRatio < 1.0
# and at 0 only when usageRatio > 1.0; at exactly 1.0 they stay out and the HPA holds.
@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([15000, 15000, 15000], 5),  # ratio exactly 1.0: hold (counted as 0 it would be 3)
        ([20000, 20000, 20000], 5),  # ratio 4/3: missing at 0 -> 0.8 flips direction, hold
        ([6000, 6000, 6000], 4),  # ratio 0.4: missing at target -> 0.64 -> ceil(3.2) = 4
    ],
)
def test_pods_metric_missing_pods_at_ratio_one_stay_out_of_the_recount(levels, expected):
    pods = running_pods(5)
    replicas, _ = get_metric_replicas(5, 15000, metrics(pods, levels), TOL, pods, NOW)
    assert replicas == expected


def test_raw_resource_missing_pods_at_ratio_one_hold():
    pods = running_pods(5)
    replicas, usage = get_raw_resource_replicas(
        5, 500, "memory", metrics(pods, [500, 500, 500]), TOL, pods, NOW
    )
    assert (replicas, usage) == (5, 500)


MAX_INT64 = 2**63 - 1


# kubernetes/kubernetes master (v1.34+), pkg/controller/podautoscaler/replica_calculator.go,
# GetExternalPerPodMetricReplicas: a negative running int64 sum is taken for an overflow and
# becomes MaxInt64; once float64(usage) >= float64(MaxInt64) the reported usage is MaxInt64.
@pytest.mark.parametrize(
    ("status", "values", "expected"),
    [
        (2, [MAX_INT64, 1], (2**31 - 1, MAX_INT64)),  # wraps negative: capped
        (2, [MAX_INT64 - 10], (2**31 - 1, MAX_INT64)),  # float64 rounds up to 2**63
        (2, [-5], (2**31 - 1, MAX_INT64)),  # any negative running sum reads as overflow
        (3, [4000, 4600], (9, 2867)),
    ],
)
def test_external_per_pod_caps_at_max_int64(status, values, expected):
    assert get_external_per_pod_metric_replicas(status, 1000, values, TOL) == expected
    assert format_milli(expected[1]) != "9223372036854775808m"


# GetExternalMetricReplicas (same file): the sum stops at MaxInt64 on positive overflow.
def test_external_value_sum_caps_at_max_int64():
    pods = [Pod(f"p{i}") for i in range(3)]
    _, usage = get_external_metric_replicas(3, 1000, [MAX_INT64 - 1, 5, -7], TOL, pods)
    assert usage == MAX_INT64
