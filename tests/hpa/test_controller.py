"""Whole reconciles (§2, §3.6, §4, §5), cases after Kubernetes' horizontal_test.go."""

from __future__ import annotations

import pytest
import yaml
from hpa_builders import (
    NOW,
    cpu_utilization,
    external_metric,
    hpa,
    object_metric,
    per_pod,
    pods_metric,
    running_pods,
)

from pytest_seldon_scaling.hpa import (
    HPAController,
    HPAError,
    MetricUnavailable,
    Pod,
    Scale,
    format_milli,
)

OK_RESCALED = {
    "AbleToScale": ("True", "SucceededRescale"),
    "ScalingActive": ("True", "ValidMetricFound"),
    "ScalingLimited": ("False", "DesiredWithinRange"),
}


def sync_cpu(controller, replicas, levels, *, status=None, now=NOW):
    pods = running_pods(len(levels))
    scale = Scale(replicas, replicas if status is None else status, "name=test-pod")
    return controller.sync(now, scale, [per_pod(pods, levels)], pods)


def test_scale_up_on_cpu():  # TestScaleUp
    result = sync_cpu(HPAController(hpa()), 3, [300, 500, 700])
    assert (result.desired_replicas, result.rescaled) == (5, True)
    assert result.conditions == OK_RESCALED
    assert result.reason == "cpu resource utilization (percentage of request) above target"
    assert result.current_metrics[0]["resource"]["current"]["averageUtilization"] == 50


def test_scale_up_on_pods_metric():  # TestScaleUpCM
    controller = HPAController(hpa(metrics=[pods_metric("qps", "15.0")]))
    pods = running_pods(3)
    result = controller.sync(NOW, Scale(3, 3, "a=b"), [per_pod(pods, [20000, 10000, 30000])], pods)
    assert result.desired_replicas == 4
    assert result.current_metrics == [
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "20"}}}
    ]


def test_scale_up_per_pod_object_metric():  # TestScaleUpPerPodCMObject (§5)
    controller = HPAController(hpa(metrics=[object_metric("qps", average="10.0")]))
    result = controller.sync(NOW, Scale(3, 3, "a=b"), ["40"])
    assert result.desired_replicas == 4
    assert result.reason == "external metric qps(nil) above target"


def test_tolerance_per_pod_object_metric():  # TestTolerancePerPodCMObject (§5)
    controller = HPAController(hpa(metrics=[object_metric("qps", average="2200m")]))
    result = controller.sync(NOW, Scale(4, 4, "a=b"), ["8600m"])
    assert (result.desired_replicas, result.rescaled) == (4, False)
    assert result.conditions["AbleToScale"] == ("True", "ReadyForNewScale")


def test_seldon_docs_example(seldon_model_hpa):
    """The Seldon docs' Model HPA with averageValue 50 and infer_rps 150 asks for 3."""
    seldon_model_hpa["spec"]["metrics"][0]["object"]["target"]["averageValue"] = 50
    result = HPAController(seldon_model_hpa).sync(NOW, Scale(1, 1, "server=mlserver"), [150])
    assert (result.desired_replicas, result.rescaled) == (3, True)


def test_value_target_on_a_model_fails_because_the_selector_matches_no_pods(seldon_model_hpa):
    target = seldon_model_hpa["spec"]["metrics"][0]["object"]["target"]
    target.clear()
    target.update({"type": "Value", "value": 3})
    result = HPAController(seldon_model_hpa).sync(NOW, Scale(1, 1, "server=mlserver"), [30])
    assert not result.rescaled
    assert result.conditions["ScalingActive"] == ("False", "FailedGetObjectMetric")
    assert "no pods returned by selector" in result.messages["ScalingActive"]


@pytest.fixture
def seldon_model_hpa() -> dict:
    return yaml.safe_load(
        """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: irisa0-model-hpa, namespace: seldon-mesh}
        spec:
          scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}
          minReplicas: 1
          maxReplicas: 3
          metrics:
          - type: Object
            object:
              metric: {name: infer_rps}
              describedObject: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}
              target: {type: AverageValue, averageValue: 3}
        """
    )


def test_scale_down_without_history():  # TestScaleDown
    controller = HPAController(hpa(metrics=[cpu_utilization(50)]), recommendations=[])
    result = sync_cpu(controller, 5, [100, 300, 500, 250, 250])
    assert (result.desired_replicas, result.rescaled) == (3, True)
    assert result.reason == "All metrics below target"


def test_scale_down_stabilized_after_creation():  # TestScaleDownStabilizeInitialSize
    controller = HPAController(hpa(metrics=[cpu_utilization(50)]))
    result = sync_cpu(controller, 5, [100, 300, 500, 250, 250])
    assert (result.desired_replicas, result.rescaled) == (5, False)
    assert result.conditions == {
        "AbleToScale": ("True", "ScaleDownStabilized"),
        "ScalingActive": ("True", "ValidMetricFound"),
        "ScalingLimited": ("False", "DesiredWithinRange"),
    }


def test_scale_down_after_window_passes():
    controller = HPAController(hpa(metrics=[cpu_utilization(50)]))
    assert sync_cpu(controller, 5, [100, 300, 500, 250, 250]).desired_replicas == 5
    assert sync_cpu(controller, 5, [100, 300, 500, 250, 250], now=NOW + 300).desired_replicas == 5
    assert sync_cpu(controller, 5, [100, 300, 500, 250, 250], now=NOW + 301).desired_replicas == 3


def test_min_replicas():  # TestMinReplicas
    controller = HPAController(
        hpa(metrics=[cpu_utilization(90)], max_replicas=5), recommendations=[]
    )
    result = sync_cpu(controller, 3, [10, 95, 10])
    assert result.desired_replicas == 2
    assert result.conditions["ScalingLimited"] == ("True", "TooFewReplicas")


def test_max_replicas():  # TestMaxReplicas
    controller = HPAController(hpa(max_replicas=5))
    result = sync_cpu(controller, 3, [8000, 9500, 1000])
    assert result.desired_replicas == 5
    assert result.conditions["ScalingLimited"] == ("True", "TooManyReplicas")


def test_legacy_scale_up_limit():
    controller = HPAController(hpa(max_replicas=20))
    result = sync_cpu(controller, 3, [3000, 3000, 3000])
    assert result.desired_replicas == 6  # max(2 × 3, 4)
    assert result.conditions["ScalingLimited"] == ("True", "ScaleUpLimit")


def test_scale_up_limit_factor_is_configurable():
    controller = HPAController(hpa(max_replicas=20), scale_up_limit_factor=8)
    assert sync_cpu(controller, 3, [3000, 3000, 3000]).desired_replicas == 20


def test_zero_replicas_disables_scaling():  # TestZeroReplicas
    result = HPAController(hpa(min_replicas=3, max_replicas=5)).sync(NOW, Scale(0, 0, "a=b"), [{}])
    assert (result.desired_replicas, result.rescaled) == (0, False)
    assert result.conditions == {
        "AbleToScale": ("True", "SucceededGetScale"),
        "ScalingActive": ("False", "ScalingDisabled"),
    }


def test_too_few_replicas_shortcut():  # TestTooFewReplicas
    result = HPAController(hpa(min_replicas=3, max_replicas=5)).sync(NOW, Scale(2, 2, "a=b"), [{}])
    assert (result.desired_replicas, result.rescaled) == (3, True)
    assert result.conditions == {"AbleToScale": ("True", "SucceededRescale")}
    assert result.reason == "Current number of replicas below Spec.MinReplicas"


def test_too_many_replicas_shortcut():  # TestTooManyReplicas
    result = HPAController(hpa(min_replicas=3, max_replicas=5)).sync(
        NOW, Scale(10, 10, "a=b"), [{}]
    )
    assert (result.desired_replicas, result.rescaled) == (5, True)
    assert result.conditions == {"AbleToScale": ("True", "SucceededRescale")}


def test_shortcuts_leave_earlier_conditions_alone():
    controller = HPAController(hpa(max_replicas=5))
    sync_cpu(controller, 3, [300, 300, 300])
    result = controller.sync(NOW + 15, Scale(7, 7, "a=b"), [{}])
    assert result.conditions["ScalingActive"] == ("True", "ValidMetricFound")
    assert result.desired_replicas == 5


def test_missing_selector():  # TestConditionInvalidSelectorMissing
    result = HPAController(hpa()).sync(NOW, Scale(3, 3, ""), [{}])
    assert not result.rescaled
    assert result.conditions["ScalingActive"] == ("False", "InvalidSelector")
    assert ("Warning", "SelectorRequired", "selector is required") in result.events


def test_unparsable_selector():  # TestConditionInvalidSelectorUnparsable
    result = HPAController(hpa()).sync(NOW, Scale(3, 3, "cheese!==c"), [{}])
    assert result.conditions["ScalingActive"] == ("False", "InvalidSelector")


def test_ambiguous_selector():
    pods = [Pod("p", labels={"app": "x"})]
    result = HPAController(hpa(min_replicas=1)).sync(
        NOW, Scale(1, 1, "app=x"), [{"p": "1"}], pods, other_hpa_selectors=["app in (x, y)"]
    )
    assert result.conditions["ScalingActive"] == ("False", "AmbiguousSelector")


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (object_metric("qps", average="10"), "FailedGetObjectMetric"),
        (object_metric("qps", value="10"), "FailedGetObjectMetric"),
        (pods_metric("qps", "10"), "FailedGetPodsMetric"),
        (cpu_utilization(50), "FailedGetResourceMetric"),
        (external_metric("qps", value="10"), "FailedGetExternalMetric"),
        (external_metric("qps", average="10"), "FailedGetExternalMetric"),
        ({"type": "Unknown"}, "InvalidMetricSourceType"),
    ],
)
def test_failed_metric(metric, reason):  # TestConditionFailedGet*Metric
    controller = HPAController(hpa(metrics=[metric]))
    result = controller.sync(NOW, Scale(3, 3, "a=b"), [MetricUnavailable("boom")], running_pods(3))
    assert (result.desired_replicas, result.rescaled) == (3, False)
    assert result.conditions["ScalingActive"] == ("False", reason)
    assert result.error.startswith("invalid metrics (1 invalid out of 1), first error is: ")
    assert result.events[-1][1] == "FailedComputeMetricsReplicas"


def test_failed_get_scale():
    result = HPAController(hpa()).sync(NOW, RuntimeError("no scale subresource"), [])
    assert result.conditions == {"AbleToScale": ("False", "FailedGetScale")}


def test_failed_update_scale():
    pods = running_pods(3)
    result = HPAController(hpa()).sync(
        NOW,
        Scale(3, 3, "a=b"),
        [per_pod(pods, [300, 500, 700])],
        pods,
        update_error=RuntimeError("conflict"),
    )
    assert not result.rescaled
    assert result.conditions["AbleToScale"] == ("False", "FailedUpdateScale")


def test_one_invalid_metric_still_scales_up():  # TestScaleUpOneMetricInvalid
    controller = HPAController(hpa(metrics=[pods_metric("qps", "15"), {"type": "Unknown"}]))
    pods = running_pods(3)
    result = controller.sync(
        NOW, Scale(3, 3, "a=b"), [per_pod(pods, [20000, 10000, 30000]), None], pods
    )
    assert result.desired_replicas == 4
    assert result.conditions["ScalingActive"] == ("True", "ValidMetricFound")
    assert result.error.startswith("invalid metrics (1 invalid out of 2)")


def test_one_invalid_metric_blocks_scale_down():  # TestScaleDownOneMetricInvalid
    controller = HPAController(
        hpa(metrics=[cpu_utilization(50), {"type": "Unknown"}]), recommendations=[]
    )
    pods = running_pods(5)
    result = controller.sync(
        NOW, Scale(5, 5, "a=b"), [per_pod(pods, [100, 300, 500, 250, 250]), None], pods
    )
    assert (result.desired_replicas, result.rescaled) == (5, False)
    assert result.conditions["ScalingActive"] == ("False", "InvalidMetricSourceType")


def test_several_metrics_take_the_max():
    controller = HPAController(
        hpa(
            metrics=[object_metric("a", average="10"), object_metric("b", average="10")],
            max_replicas=10,
        )
    )
    result = controller.sync(NOW, Scale(3, 3, "a=b"), [30, 50])
    assert result.desired_replicas == 5
    assert result.metric_values == {"a": 10.0, "b": 16.667}  # milli, rounded up


def test_behavior_default_scale_up_policies():
    controller = HPAController(
        hpa(
            metrics=[object_metric("qps", average="1")],
            min_replicas=1,
            max_replicas=100,
            behavior={},
        )
    )
    # default: max(start + 4, 2 × start) per 15 s
    assert controller.sync(0, Scale(1, 1, "a=b"), [50]).desired_replicas == 5
    assert controller.sync(15, Scale(5, 5, "a=b"), [50]).desired_replicas == 10
    assert controller.sync(30, Scale(10, 10, "a=b"), [50]).desired_replicas == 20


def test_behavior_scale_up_limited_within_the_period():
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]}}
    controller = HPAController(
        hpa(metrics=[object_metric("qps", average="1")], max_replicas=100, behavior=behavior)
    )
    assert controller.sync(0, Scale(2, 2, "a=b"), [50]).desired_replicas == 4
    result = controller.sync(15, Scale(4, 4, "a=b"), [50])
    assert (result.desired_replicas, result.rescaled) == (4, False)
    assert result.conditions["ScalingLimited"] == ("True", "ScaleUpLimit")
    assert controller.sync(61, Scale(4, 4, "a=b"), [50]).desired_replicas == 6


def test_behavior_disabled_scale_down():
    behavior = {"scaleDown": {"selectPolicy": "Disabled", "stabilizationWindowSeconds": 0}}
    controller = HPAController(hpa(metrics=[object_metric("qps", average="1")], behavior=behavior))
    result = controller.sync(0, Scale(5, 5, "a=b"), [1])
    assert (result.desired_replicas, result.rescaled) == (5, False)
    assert result.conditions["ScalingLimited"] == ("True", "ScaleDownLimit")


def test_behavior_scale_up_stabilization_window():
    behavior = {"scaleUp": {"stabilizationWindowSeconds": 60}}
    controller = HPAController(
        hpa(metrics=[object_metric("qps", average="1")], max_replicas=10, behavior=behavior)
    )
    result = controller.sync(0, Scale(2, 2, "a=b"), [5])
    assert (result.desired_replicas, result.conditions["AbleToScale"]) == (
        2,
        ("True", "ScaleUpStabilized"),
    )
    assert controller.sync(61, Scale(2, 2, "a=b"), [5]).desired_replicas == 5


def test_per_direction_tolerance_behind_the_feature_gate():
    behavior = {"scaleUp": {"tolerance": "0.5"}}
    manifest = hpa(metrics=[object_metric("qps", average="1")], behavior=behavior)
    assert HPAController(manifest).sync(0, Scale(2, 2, "a=b"), [2.8]).desired_replicas == 2
    gate_off = HPAController(manifest, configurable_tolerance=False)
    assert gate_off.sync(0, Scale(2, 2, "a=b"), [2.8]).desired_replicas == 3


def test_status_reflects_the_sync():
    controller = HPAController(hpa(metrics=[object_metric("qps", average="10")]))
    result = controller.sync(NOW, Scale(3, 3, "a=b"), [40])
    status = controller.status(result)
    assert (status["currentReplicas"], status["desiredReplicas"]) == (3, 4)
    assert status["lastScaleTime"] == NOW
    assert {c["type"] for c in status["conditions"]} == {
        "AbleToScale",
        "ScalingActive",
        "ScalingLimited",
    }


def test_condition_transition_time_moves_only_when_status_changes():
    controller = HPAController(hpa(metrics=[object_metric("qps", average="10")]))
    controller.sync(0, Scale(3, 3, "a=b"), [40])
    controller.sync(15, Scale(4, 4, "a=b"), [40])
    assert controller.conditions["ScalingActive"].last_transition == 0
    controller.sync(30, Scale(4, 4, "a=b"), [MetricUnavailable("gone")])
    assert controller.conditions["ScalingActive"].last_transition == 30


def test_observation_count_must_match_metrics():
    with pytest.raises(HPAError, match=r"1 metrics in spec\.metrics but 2 observations"):
        HPAController(hpa()).sync(NOW, Scale(3, 3, "a=b"), [{}, {}])


def test_manifest_errors_name_the_field():
    manifest = hpa()
    del manifest["spec"]["maxReplicas"]
    with pytest.raises(HPAError, match=r"HorizontalPodAutoscaler/test-hpa: spec\.maxReplicas"):
        HPAController(manifest)


def test_default_metric_is_cpu_80_percent():
    manifest = hpa()
    manifest["spec"]["metrics"] = []
    controller = HPAController(manifest)
    assert controller.spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 80


def test_pods_metric_at_target_with_missing_pods_holds():
    # calcPlainMetricReplicas (kubernetes/kubernetes master, pkg/controller/podautoscaler/
    # replica_calculator.go): at a usage ratio of exactly 1.0 the two pods without a sample are
    # not re-counted, so the whole reconcile keeps 5 replicas instead of scaling to 3.
    no_window = {"scaleDown": {"stabilizationWindowSeconds": 0}}
    controller = HPAController(
        hpa(metrics=[pods_metric("qps", "15")], min_replicas=1, behavior=no_window)
    )
    pods = running_pods(5)
    result = controller.sync(NOW, Scale(5, 5, "a=b"), [per_pod(pods, [15000] * 3)], pods)
    assert (result.desired_replicas, result.rescaled) == (5, False)


def test_external_average_value_status_never_exceeds_max_int64():
    controller = HPAController(hpa(metrics=[external_metric("queue", average="1")], min_replicas=1))
    result = controller.sync(NOW, Scale(2, 2, "a=b"), [[2**63 - 1, 1000]])
    assert result.current_metrics[0]["external"]["current"]["averageValue"] == format_milli(
        2**63 - 1
    )
    assert result.desired_replicas == 4  # the legacy scale-up limit: 2 × 2
