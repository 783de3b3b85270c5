"""The metrics the twin's agents and Prometheus Adapter serve, over the served API.

* ``custom.metrics.k8s.io`` (v1beta1 and v1beta2): the resource list and object metrics as
  prometheus-adapter answers them, evaluated by the twin's own adapter model
  (:func:`..twin.adapter.query_metric` over the rules of the applied adapter ConfigMap).
  The real adapter lists a metric once Prometheus holds a series for it; the served twin
  lists every metric a rule defines from the start (documented difference).
* the pod proxy to an agent's ``/metrics`` (port 9006): the agent's samples in the Prometheus
  text exposition format.
"""

from __future__ import annotations

from ..hpa import MetricUnavailable
from ..twin.adapter import AdapterRule, query_metric
from ..twin.cluster import TwinCluster
from .objects import status_object
from .resources import BY_KIND

GROUP = "custom.metrics.k8s.io"
VERSIONS = ("v1beta1", "v1beta2")
_TYPES = {"seldon_model_infer_total": "counter", "seldon_loaded_model_gauge": "gauge"}


def quantity(value: float) -> str:
    """A metric value as the adapter writes it (milli-units unless whole)."""
    milli = round(value * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def rules_of(cluster: TwinCluster) -> tuple[list[AdapterRule], str | None]:
    rules, broken = cluster.hpas.rules()
    return list(rules), broken


def resource_list(cluster: TwinCluster, version: str) -> dict:
    rules, _ = rules_of(cluster)
    names: dict[str, bool] = {}
    for rule in rules:
        metric = rule.metric_name()
        if metric is None:
            continue
        for group, resource in rule.rule.resources.values():
            plural = resource if resource.endswith("s") else f"{resource}s"
            name = f"{plural}.{group}/{metric}" if group else f"{plural}/{metric}"
            names[name] = resource != "namespace"
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{GROUP}/{version}",
        "resources": [
            {
                "name": name,
                "singularName": "",
                "namespaced": namespaced,
                "kind": "MetricValueList",
                "verbs": ["get"],
            }
            for name, namespaced in sorted(names.items())
        ],
    }


def object_metric(
    cluster: TwinCluster,
    version: str,
    namespace: str,
    resource: str,
    name: str,
    metric: str,
    now_wall: str,
    selector: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """``GET .../namespaces/NS/<resource>/<name>/<metric>``: (status, MetricValueList|Status)."""
    plural, _, group = resource.partition(".")
    kind = next((r.kind for r in BY_KIND.values() if r.plural == plural and r.group == group), None)
    rules, broken = rules_of(cluster)
    if broken:
        return 503, status_object(503, "ServiceUnavailable", broken)
    names = [name]
    if name == "*" and kind is not None:
        twin_kind = BY_KIND[kind].twin_kind or ""
        names = [ref.partition("/")[2] for ref in cluster.store.refs(twin_kind)]
    items = []
    for target in names:
        try:
            value = query_metric(
                rules,
                cluster.metrics,
                cluster.now(),
                metric,
                group=group,
                resource=plural.removesuffix("s"),
                name=target,
                namespace=namespace,
                selector=selector,
            )
        except MetricUnavailable as error:
            if name != "*":
                return 404, status_object(404, "NotFound", str(error))
            continue
        described = {
            "kind": kind or plural,
            "namespace": namespace,
            "name": target,
            "apiVersion": f"{group}/v1alpha1" if group else "v1",
        }
        item: dict = {"describedObject": described, "timestamp": now_wall, "value": quantity(value)}
        if version == "v1beta1":
            item |= {"metricName": metric, "windowSeconds": 60}
        else:
            item |= {"metric": {"name": metric}, "windowSeconds": 60}
        items.append(item)
    return 200, {
        "kind": "MetricValueList",
        "apiVersion": f"{GROUP}/{version}",
        "metadata": {},
        "items": items,
    }


def prometheus_text(samples: list[tuple[dict[str, str], float]]) -> str:
    """Samples in the Prometheus text exposition format (``# TYPE`` once per family)."""
    lines = []
    typed = set()
    for labels, value in samples:
        name = labels["__name__"]
        if name not in typed:
            typed.add(name)
            lines.append(f"# TYPE {name} {_TYPES.get(name, 'untyped')}")
        pairs = ",".join(
            f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()) if k != "__name__"
        )
        lines.append(f"{name}{{{pairs}}} {value:g}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
