"""Builders for HPA manifests and pods, shaped like the Kubernetes unit-test fixtures."""

from __future__ import annotations

from pytest_seldon_scaling.hpa import Pod


def hpa(
    *,
    metrics: list[dict] | None = None,
    min_replicas: int | None = 2,
    max_replicas: int = 6,
    behavior: dict | None = None,
    kind: str = "Deployment",
) -> dict:
    spec: dict = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": "test-target"},
        "maxReplicas": max_replicas,
        "metrics": metrics if metrics is not None else [cpu_utilization(30)],
    }
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    if behavior is not None:
        spec["behavior"] = behavior
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "test-hpa", "namespace": "test-namespace"},
        "spec": spec,
    }


def cpu_utilization(percent: int) -> dict:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": percent},
        },
    }


def pods_metric(name: str, average: str) -> dict:
    return {
        "type": "Pods",
        "pods": {
            "metric": {"name": name},
            "target": {"type": "AverageValue", "averageValue": average},
        },
    }


def object_metric(name: str, *, value: str | None = None, average: str | None = None) -> dict:
    target = (
        {"type": "Value", "value": value}
        if value is not None
        else {
            "type": "AverageValue",
            "averageValue": average,
        }
    )
    return {
        "type": "Object",
        "object": {
            "metric": {"name": name},
            "describedObject": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "some-deploy",
            },
            "target": target,
        },
    }


def external_metric(name: str, *, value: str | None = None, average: str | None = None) -> dict:
    target = (
        {"type": "Value", "value": value}
        if value is not None
        else {
            "type": "AverageValue",
            "averageValue": average,
        }
    )
    return {
        "type": "External",
        "external": {
            "metric": {"name": name, "selector": {"matchLabels": {"label": "value"}}},
            "target": target,
        },
    }


NOW = 10_000.0


def running_pods(count: int, cpu_request: str = "1.0", **overrides) -> list[Pod]:
    """Ready, running pods started long ago (outside the CPU initialization period)."""
    return [
        Pod(
            f"test-pod-{i}",
            requests={"cpu": cpu_request},
            start_time=NOW - 3600,
            ready_transition=NOW - 3500,
            **overrides,
        )
        for i in range(count)
    ]


def per_pod(pods: list[Pod], milli_levels: list[int]) -> dict[str, str]:
    """``{pod: "NNNm"}`` for the first ``len(milli_levels)`` pods (the rest have no metric)."""
    return {pod.name: f"{level}m" for pod, level in zip(pods, milli_levels, strict=False)}
