"""Rules on what an HPA points at: the scale target and the objects its metrics describe."""

from __future__ import annotations

from collections.abc import Iterator

from ..setup import SELDON_API_VERSION, SELDON_GROUP, Setup, scale_target
from .findings import Finding, finding, metrics_of


def check_scale_target_replicas(setup: Setup) -> Iterator[Finding]:
    """An HPA targets a Model or Server that has no ``spec.replicas``.

    The scale subresource maps ``.spec.replicas``; without it the HPA's GET /scale fails and the
    HPA never scales (AbleToScale False, FailedGetScale).
    """
    for hpa, model in setup.model_hpas():
        if "replicas" not in model.spec:
            yield finding(
                "SCL001",
                model,
                "spec",
                f"HPA {hpa.name} cannot read /scale of this Model (no spec.replicas): "
                "AbleToScale False, FailedGetScale, the Model never scales",
                "set spec.replicas explicitly (e.g. replicas: 1)",
            )
    for hpa, server in setup.server_hpas():
        if "replicas" not in server.spec:
            yield finding(
                "SCL001",
                server.manifest,
                server.field("spec"),
                f"HPA {hpa.name} cannot read /scale of this Server (no spec.replicas): "
                "AbleToScale False, FailedGetScale, the Server never scales",
                "set spec.replicas explicitly on the Server",
                object_ref=server.display,
            )


def check_value_target(setup: Setup) -> Iterator[Finding]:
    """A Model HPA uses an Object/External metric with a ``Value`` target.

    A Value target divides by the ready pods of the scale target's selector; a Model's selector
    (``server=<name>``) matches no pod on purpose, so the HPA reports FailedGetObjectMetric
    (ScalingActive False). Only ``AverageValue`` works for Models.
    """
    for hpa, model in setup.model_hpas():
        for index, metric in metrics_of(hpa):
            kind = metric.get("type")
            member = {"Object": "object", "External": "external"}.get(kind)
            target = ((metric.get(member) or {}) if member else {}).get("target") or {}
            if target.get("type") != "Value":
                continue
            name = ((metric.get(member) or {}).get("metric") or {}).get("name", "?")
            yield finding(
                "SCL002",
                hpa,
                f"spec.metrics[{index}].{member}.target.type",
                f"{kind} metric {name} has a Value target, which needs pods behind Model "
                f"{model.name}'s selector and it matches none: ScalingActive False, "
                f"FailedGet{kind}Metric, no scaling",
                "use target type AverageValue with averageValue: "
                f"{target.get('value', '<per-replica value>')}",
            )


def check_pod_metrics_on_model(setup: Setup) -> Iterator[Finding]:
    """A Model HPA uses a Pods, Resource or ContainerResource metric.

    These average per-pod values over the pods of the Model's selector, which matches no pod:
    the metric can never be read (FailedGetPodsMetric / FailedGetResourceMetric).
    """
    for hpa, model in setup.model_hpas():
        for index, metric in metrics_of(hpa):
            kind = metric.get("type")
            if kind in ("Pods", "Resource", "ContainerResource"):
                yield finding(
                    "SCL003",
                    hpa,
                    f"spec.metrics[{index}].type",
                    f"{kind} metric on Model {model.name}: its selector matches no pods, so the "
                    f"metric is never available (ScalingActive False, FailedGet{kind}Metric)",
                    "use an Object metric on the Model (infer_rps) with an AverageValue target",
                )


def _reference_problem(ref: dict, setup: Setup, role: str) -> tuple[str, str, str] | None:
    """(rule, message, fix) for a scaleTargetRef/describedObject that cannot resolve."""
    kind, name, api_version = ref.get("kind", ""), ref.get("name", ""), ref.get("apiVersion")
    canonical = {"model": "Model", "models": "Model", "server": "Server", "servers": "Server"}
    if kind not in ("Model", "Server") and kind.lower() in canonical:
        right = canonical[kind.lower()]
        return (
            "SCL005",
            f"{role} kind {kind!r} is not a kind (kinds are case-sensitive)",
            f"kind: {right}",
        )
    group = (api_version or "").split("/")[0] if "/" in (api_version or "") else ""
    seldon = kind in ("Model", "Server") or group == SELDON_GROUP
    if not seldon:
        return None
    if kind not in ("Model", "Server"):
        return (
            "SCL005",
            f"{role} {kind}/{name}: only Model and Server have a scale subresource and "
            "adapter mapping in Core 2",
            "point it at a Model or a Server",
        )
    if api_version != SELDON_API_VERSION:
        got = "missing" if api_version is None else repr(api_version)
        return (
            "SCL005",
            f"{role} apiVersion {got} does not resolve {kind} (group {SELDON_GROUP})",
            f"apiVersion: {SELDON_API_VERSION}",
        )
    known = setup.models if kind == "Model" else setup.servers
    if name not in known:
        return (
            "SCL004",
            f"{role} {kind}/{name} is not among the linted manifests",
            f"create {kind} {name} or fix the name (known: {', '.join(sorted(known)) or 'none'})",
        )
    return None


def check_missing_reference(setup: Setup) -> Iterator[Finding]:
    """``scaleTargetRef`` or ``describedObject`` names a Model/Server that does not exist.

    The HPA gets FailedGetScale (missing target) or FailedGetObjectMetric (missing described
    object) and never scales.
    """
    yield from _reference_findings(setup, "SCL004")


def check_reference_kind(setup: Setup) -> Iterator[Finding]:
    """``scaleTargetRef``/``describedObject`` with a wrong apiVersion or kind for Core 2 objects.

    A missing or wrong apiVersion resolves the kind in the wrong API group, a lower-case or
    plural kind resolves nothing, and kinds without a scale subresource (Pipeline,
    ServerConfig) cannot be scaled: FailedGetScale / FailedGetObjectMetric.
    """
    yield from _reference_findings(setup, "SCL005")


def _reference_findings(setup: Setup, wanted: str) -> Iterator[Finding]:
    consequence = {
        "scaleTargetRef": "the HPA cannot GET /scale (FailedGetScale)",
        "describedObject": "the HPA cannot read the metric (FailedGetObjectMetric)",
    }
    for hpa in setup.hpas:
        refs = [("spec.scaleTargetRef", "scaleTargetRef", scale_target(hpa))]
        for index, metric in metrics_of(hpa):
            obj = metric.get("object") if metric.get("type") == "Object" else None
            if isinstance(obj, dict) and isinstance(obj.get("describedObject"), dict):
                path = f"spec.metrics[{index}].object.describedObject"
                refs.append((path, "describedObject", obj["describedObject"]))
        for path, role, ref in refs:
            problem = _reference_problem(ref, setup, role)
            if problem is None or problem[0] != wanted:
                continue
            rule_id, message, fix = problem
            field_path = path + (".name" if rule_id == "SCL004" else "")
            yield finding(rule_id, hpa, field_path, f"{message}: {consequence[role]}", fix)
