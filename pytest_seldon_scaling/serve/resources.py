"""What the served API knows about: resources, their discovery documents, CRDs and tables.

One :class:`Resource` per served kind. Discovery (``/api``, ``/apis``, resource lists) and the
CustomResourceDefinitions of the Seldon kinds are derived from this registry; the printer
columns of the Seldon kinds are those of the v2.10 CRDs
(SeldonIO/seldon-core v2.10.2, ``operator/config/crd/bases/mlops.seldon.io_*.yaml``), so
``kubectl get models`` shows the columns a Core 2 user sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..twin.cluster import SPEC_FIELDS

SELDON_GROUP = "mlops.seldon.io"
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Column:
    name: str
    json_path: str
    type: str = "string"


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    scale: bool = False
    status: bool = True
    twin_kind: str | None = None  # the twin store's ref kind, when the twin models it
    columns: tuple[Column, ...] = field(default=())
    verbs: tuple[str, ...] = tuple(VERBS)

    @property
    def writable(self) -> bool:
        """Clients write what the twin models, and Leases; the rest is derived from the twin."""
        return self.twin_kind is not None or self.kind == "Lease"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def singular(self) -> str:
        return self.kind.lower()


AGE = Column("Age", ".metadata.creationTimestamp", "date")
RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "pods", "Pod", ("po",)),
    Resource("", "v1", "services", "Service", ("svc",)),
    Resource("", "v1", "configmaps", "ConfigMap", ("cm",), status=False, twin_kind="configmap"),
    Resource("", "v1", "events", "Event", ("ev",), status=False),
    Resource("", "v1", "namespaces", "Namespace", ("ns",), namespaced=False),
    Resource("", "v1", "nodes", "Node", ("no",), namespaced=False),
    Resource("apps", "v1", "statefulsets", "StatefulSet", ("sts",), scale=False),
    Resource(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        ("hpa",),
        twin_kind="hpa",
    ),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", status=False),
    Resource(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        ("crd", "crds"),
        namespaced=False,
        verbs=("get", "list", "watch"),
    ),
    Resource(
        SELDON_GROUP,
        "v1alpha1",
        "models",
        "Model",
        ("mlm",),
        scale=True,
        twin_kind="model",
        columns=(
            Column("Ready", '.status.conditions[?(@.type=="ModelReady")].status'),
            Column("Desired Replicas", ".spec.replicas", "integer"),
            Column("Available Replicas", ".status.availableReplicas", "integer"),
            Column("ModelGw Ready", ".status.modelgwReady"),
            AGE,
        ),
    ),
    Resource(
        SELDON_GROUP,
        "v1alpha1",
        "servers",
        "Server",
        ("mls",),
        scale=True,
        twin_kind="server",
        columns=(
            Column("Ready", '.status.conditions[?(@.type=="Ready")].status'),
            Column("Replicas", ".status.replicas", "integer"),
            Column("Loaded Models", ".status.loadedModels", "integer"),
            AGE,
        ),
    ),
    Resource(
        SELDON_GROUP,
        "v1alpha1",
        "serverconfigs",
        "ServerConfig",
        ("mlc",),
        twin_kind="serverconfig",
        columns=(AGE,),
    ),
)
BY_KIND = {r.kind: r for r in RESOURCES}
# built-in kinds of ``kubectl get all`` (the Core 2 CRDs declare no categories)
ALL_CATEGORY = frozenset({"Pod", "Service", "StatefulSet", "HorizontalPodAutoscaler"})
BY_TWIN_KIND = {r.twin_kind: r for r in RESOURCES if r.twin_kind}


def find(prefix: str, plural: str) -> Resource | None:
    return next((r for r in RESOURCES if r.prefix == prefix and r.plural == plural), None)


# -- discovery ---------------------------------------------------------------------------------


def api_versions() -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def group_list(extra_groups: tuple[tuple[str, str], ...] = ()) -> dict:
    """``/apis``: every served group (plus aggregated ones such as custom metrics)."""
    versions: dict[str, str] = {}
    for resource in RESOURCES:
        if resource.group:
            versions.setdefault(resource.group, resource.version)
    for group, version in extra_groups:
        versions.setdefault(group, version)
    groups = []
    for group, version in versions.items():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict | None:
    for resource in RESOURCES:
        if resource.group == group:
            gv = {"groupVersion": resource.api_version, "version": resource.version}
            return {
                "kind": "APIGroup",
                "apiVersion": "v1",
                "name": group,
                "versions": [gv],
                "preferredVersion": gv,
            }
    return None


def resource_list(prefix: str) -> dict | None:
    """The APIResourceList of one group version (with ``/status`` and ``/scale``)."""
    served = [r for r in RESOURCES if r.prefix == prefix]
    if not served:
        return None
    resources = []
    for r in served:
        entry = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.kind in ALL_CATEGORY:
            entry["categories"] = ["all"]
        resources.append(entry)
        if r.status:
            resources.append(_subresource(r, "status", r.kind))
        if r.scale:
            resources.append(
                {**_subresource(r, "scale", "Scale"), "group": "autoscaling", "version": "v1"}
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": served[0].api_version,
        "resources": resources,
    }


def _subresource(r: Resource, name: str, kind: str) -> dict:
    return {
        "name": f"{r.plural}/{name}",
        "singularName": "",
        "namespaced": r.namespaced,
        "kind": kind,
        "verbs": ["get", "patch", "update"],
    }


def custom_resource_definitions() -> list[dict]:
    """The Seldon CRDs as the API server holds them (schema: the spec fields of v2.10)."""
    crds = []
    for r in RESOURCES:
        if r.group != SELDON_GROUP:
            continue
        properties = {
            name: {"x-kubernetes-preserve-unknown-fields": True}
            for name in sorted(SPEC_FIELDS[r.kind])
        }
        schema = {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "properties": properties},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
        subresources: dict = {"status": {}}
        if r.scale:
            subresources["scale"] = {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
                "labelSelectorPath": ".status.selector",
            }
        crds.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{r.plural}.{r.group}"},
                "spec": {
                    "group": r.group,
                    "names": {
                        "kind": r.kind,
                        "listKind": f"{r.kind}List",
                        "plural": r.plural,
                        "singular": r.singular,
                        "shortNames": list(r.short_names),
                    },
                    "scope": "Namespaced",
                    "versions": [
                        {
                            "name": r.version,
                            "served": True,
                            "storage": True,
                            "schema": {"openAPIV3Schema": schema},
                            "subresources": subresources,
                            "additionalPrinterColumns": [
                                {"name": c.name, "jsonPath": c.json_path, "type": c.type}
                                for c in r.columns
                            ],
                        }
                    ],
                },
                "status": {
                    "conditions": [
                        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}
                    ],
                    "acceptedNames": {"kind": r.kind, "plural": r.plural},
                    "storedVersions": [r.version],
                },
            }
        )
    return crds


# -- tables (kubectl get) ----------------------------------------------------------------------

_FILTER = re.compile(r'^\[\?\(@\.(\w+)==["\']([^"\']*)["\']\)\]')
_FIELD = re.compile(r"^\.(\w+)")


def json_path(obj: object, path: str) -> object:
    """The value at a printer-column JSONPath (``.a.b``, ``.a[?(@.k=="v")].b``); None if absent."""
    rest = path
    value = obj
    while rest:
        if match := _FIELD.match(rest):
            value = value.get(match.group(1)) if isinstance(value, dict) else None
        elif match := _FILTER.match(rest):
            key, wanted = match.groups()
            items = value if isinstance(value, list) else []
            value = next((i for i in items if isinstance(i, dict) and i.get(key) == wanted), None)
        else:
            raise ValueError(f"unsupported JSONPath {path!r} at {rest!r}")
        rest = rest[match.end() :]
        if value is None:
            return None
    return value


def human_duration(seconds: float) -> str:
    """Ages as kubectl prints them (``apimachinery/pkg/util/duration.HumanDuration``)."""
    s = int(max(0, seconds))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def age(timestamp: str | None, now: float) -> str:
    if not timestamp:
        return "<unknown>"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    return human_duration(now - then)


def _hpa_targets(hpa: dict) -> str:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    current = status.get("currentMetrics") or []
    parts = []
    for index, metric in enumerate(spec.get("metrics") or []):
        type_ = str(metric.get("type", ""))
        key = type_[:1].lower() + type_[1:]
        target = (metric.get(key) or {}).get("target") or {}
        now = {}
        if index < len(current):
            now = (current[index].get(key) or {}).get("current") or {}
        if target.get("type") == "AverageValue":
            parts.append(
                f"{now.get('averageValue', '<unknown>')}/{target.get('averageValue')} (avg)"
            )
        elif target.get("type") == "Utilization":
            parts.append(
                f"{now.get('averageUtilization', '<unknown>')}%/{target.get('averageUtilization')}%"
            )
        else:
            parts.append(f"{now.get('value', '<unknown>')}/{target.get('value')}")
    return ", ".join(parts) or "<none>"


def _builtin_columns(r: Resource) -> list[tuple[str, str, object]] | None:
    """Columns the API server prints for built-in kinds (``pkg/printers/internalversion``)."""

    def ready_pod(pod: dict) -> str:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        return f"{sum(1 for s in statuses if s.get('ready'))}/{len(statuses)}"

    def pod_status(pod: dict) -> str:
        if pod["metadata"].get("deletionTimestamp"):
            return "Terminating"
        return (pod.get("status") or {}).get("phase", "Unknown")

    def ports(svc: dict) -> str:
        return ",".join(f"{p['port']}/{p.get('protocol', 'TCP')}" for p in svc["spec"]["ports"])

    def external(svc: dict) -> str:
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or "<none>"

    def node_status(node: dict) -> str:
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        return "Ready" if ready and ready[0]["status"] == "True" else "NotReady"

    def roles(node: dict) -> str:
        prefix = "node-role.kubernetes.io/"
        labels = node["metadata"].get("labels") or {}
        names = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix))
        return ",".join(names) or "<none>"

    def reference(hpa: dict) -> str:
        ref = hpa["spec"]["scaleTargetRef"]
        return f"{ref['kind']}/{ref['name']}"

    table: dict[str, list[tuple[str, str, object]]] = {
        "Pod": [
            ("Ready", "string", ready_pod),
            ("Status", "string", pod_status),
            ("Restarts", "integer", lambda p: 0),
        ],
        "Service": [
            ("Type", "string", lambda s: s["spec"].get("type", "ClusterIP")),
            ("Cluster-IP", "string", lambda s: s["spec"].get("clusterIP", "<none>")),
            ("External-IP", "string", external),
            ("Port(s)", "string", ports),
        ],
        "StatefulSet": [
            (
                "Ready",
                "string",
                lambda s: (
                    f"{(s.get('status') or {}).get('readyReplicas', 0)}/"
                    f"{s['spec'].get('replicas', 0)}"
                ),
            ),
        ],
        "HorizontalPodAutoscaler": [
            ("Reference", "string", reference),
            ("Targets", "string", _hpa_targets),
            ("MinPods", "integer", lambda h: h["spec"].get("minReplicas", 1)),
            ("MaxPods", "integer", lambda h: h["spec"].get("maxReplicas")),
            ("Replicas", "integer", lambda h: (h.get("status") or {}).get("currentReplicas", 0)),
        ],
        "Event": [
            ("Type", "string", lambda e: e.get("type", "")),
            ("Reason", "string", lambda e: e.get("reason", "")),
            (
                "Object",
                "string",
                lambda e: f"{e['involvedObject']['kind'].lower()}/{e['involvedObject']['name']}",
            ),
            ("Message", "string", lambda e: e.get("message", "")),
        ],
        "ConfigMap": [("Data", "integer", lambda c: len(c.get("data") or {}))],
        "Node": [
            ("Status", "string", node_status),
            ("Roles", "string", roles),
            ("Version", "string", lambda n: n["status"]["nodeInfo"]["kubeletVersion"]),
        ],
    }
    return table.get(r.kind)


def table(r: Resource, items: list[dict], resource_version: str, now: float) -> dict:
    """A ``meta.k8s.io/v1`` Table of ``items``: what ``kubectl get`` prints."""
    columns: list[tuple[str, str, object]] = []
    if r.columns:
        for column in r.columns:
            if column.type == "date":
                continue
            columns.append(
                (column.name, column.type, lambda o, p=column.json_path: json_path(o, p))
            )
    else:
        columns = _builtin_columns(r) or []
    definitions = [{"name": "Name", "type": "string", "format": "name", "priority": 0}]
    definitions += [
        {"name": name, "type": type_, "format": "", "priority": 0} for name, type_, _ in columns
    ]
    definitions.append({"name": "Age", "type": "string", "format": "", "priority": 0})
    rows = []
    for obj in items:
        cells: list[object] = [obj["metadata"]["name"]]
        for _, _, cell in columns:
            value = cell(obj)  # type: ignore[operator]
            cells.append("<none>" if value is None else value)
        cells.append(age(obj["metadata"].get("creationTimestamp"), now))
        rows.append(
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj["metadata"],
                },
            }
        )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }


# -- OpenAPI v3 (only what kubectl reads: PATCH supports fieldValidation) --------------------


def openapi_root() -> dict:
    """``/openapi/v3``: one document per served group version."""
    prefixes = sorted({r.prefix for r in RESOURCES})
    return {
        "paths": {
            p.lstrip("/"): {"serverRelativeURL": f"/openapi/v3{p}?hash=seldon-twin"}
            for p in prefixes
        }
    }


def openapi_document(prefix: str) -> dict | None:
    """The OpenAPI v3 document of one group version: its PATCH operations declare the
    ``fieldValidation`` query parameter, so ``kubectl apply`` leaves validation to the server
    (``k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go``)."""
    served = [r for r in RESOURCES if r.prefix == prefix]
    if not served:
        return None
    paths = {}
    for r in served:
        where = (
            f"{prefix}/namespaces/{{namespace}}/{r.plural}/{{name}}"
            if r.namespaced
            else (f"{prefix}/{r.plural}/{{name}}")
        )
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        parameter = {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
        paths[where] = {
            "patch": {
                "operationId": f"patch{r.kind}",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [parameter],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "seldon twin", "version": "v1"},
        "paths": paths,
    }
