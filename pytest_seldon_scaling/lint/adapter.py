"""Rules on the Prometheus Adapter: does any rule serve the metric an HPA asks for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..adapter_rules import AdapterRule
from ..setup import SELDON_GROUP, Setup
from .findings import Finding, finding, metrics_of


def check_adapter_rules(setup: Setup) -> Iterator[Finding]:
    """An HPA custom/external metric that no Prometheus Adapter rule serves.

    The adapter answers 404 for a metric name no rule produces (``name.as``), or for an object
    kind its ``resources.overrides`` do not map (the Model or Server group resource): the HPA
    shows FailedGetObjectMetric and never scales. Checked against the adapter ConfigMaps
    (``data["config.yaml"]``) among the inputs; without one, an info finding says it was not.
    """
    rules: list[AdapterRule] = []
    for adapter in setup.adapters:
        if adapter.error:
            yield finding(
                "SCL006",
                adapter.manifest,
                ("data", "config.yaml"),
                "the adapter cannot start: config.yaml is not valid YAML",
                "fix the YAML in data.config.yaml",
            )
        rules.extend(adapter.rules)
    if setup.adapters and all(a.error for a in setup.adapters):
        return  # the broken config is the finding; metrics cannot be judged against it
    for hpa in setup.hpas:
        for index, metric in metrics_of(hpa):
            kind = metric.get("type")
            member = {"Object": "object", "Pods": "pods", "External": "external"}.get(kind)
            if member is None or not isinstance(metric.get(member), dict):
                continue
            name = (metric[member].get("metric") or {}).get("name")
            path = f"spec.metrics[{index}].{member}.metric.name"
            if not setup.adapters:
                yield finding(
                    "SCL006",
                    hpa,
                    path,
                    f"metric {name} not checked: no Prometheus Adapter ConfigMap among the inputs",
                    "add the adapter ConfigMap (data.config.yaml) to the linted paths",
                    severity="info",
                )
                continue
            needs = _needed_resource(kind, metric[member])
            problem = _adapter_problem(rules, name, needs, external=kind == "External")
            if problem:
                yield finding(
                    "SCL006",
                    hpa,
                    path,
                    f"{problem}: the HPA gets FailedGet{kind}Metric and never scales",
                    f"add an adapter rule with name.as: {name} whose resources.overrides map a "
                    f"label to {_resource_label(needs)}"
                    if needs
                    else f"add an adapter externalRules entry with name.as: {name}",
                )


def _needed_resource(kind: str, member: dict) -> str | None:
    if kind == "Pods":
        return "pods"
    if kind == "Object":
        return (member.get("describedObject") or {}).get("kind")
    return None


def _resource_label(needs: str | None) -> str:
    return {
        "Model": f"{{group: {SELDON_GROUP}, resource: model}}",
        "Server": f"{{group: {SELDON_GROUP}, resource: server}}",
        "pods": "{resource: pod}",
    }.get(needs or "", str(needs))


def _adapter_problem(
    rules: Sequence[AdapterRule], name: str | None, needs: str | None, *, external: bool
) -> str | None:
    candidates = [r for r in rules if r.external == external]
    named = [r for r in candidates if (names := r.metric_names()) is None or name in names]
    if not named:
        exposed = sorted({n for r in candidates for n in (r.metric_names() or ())})
        kind = "external" if external else "custom"
        return (
            f"no adapter rule exposes {kind} metric {name} "
            f"(rules expose: {', '.join(exposed) or 'nothing'})"
        )
    if needs is None:
        return None
    if any(r.serves(needs) is not False for r in named):
        return None
    return f"the adapter rule for {name} does not map any label to {_resource_label(needs)}"
