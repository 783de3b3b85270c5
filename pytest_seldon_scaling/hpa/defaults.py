"""Behavior defaulting (``apis/autoscaling/v2/defaults.go``) and tolerances."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from ..quantity import parse_quantity
from .types import DEFAULT_CPU_UTILIZATION, DEFAULT_TOLERANCES, Tolerances


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
        # the cluster's default (every sync of an HPA without a behavior): one object
        if tolerance == DEFAULT_TOLERANCES.scale_down == DEFAULT_TOLERANCES.scale_up:
            return DEFAULT_TOLERANCES
        return Tolerances(down, up)
    if (behavior.get("scaleDown") or {}).get("tolerance") is not None:
        down = float(parse_quantity(behavior["scaleDown"]["tolerance"]))
    if (behavior.get("scaleUp") or {}).get("tolerance") is not None:
        up = float(parse_quantity(behavior["scaleUp"]["tolerance"]))
    return Tolerances(down, up)
