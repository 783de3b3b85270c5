"""Static rules that catch broken Seldon Core 2 autoscaling before it reaches a cluster.

:func:`lint` is pure: manifests (Models, Servers, ServerConfigs, HPAs, the Prometheus Adapter
ConfigMap, helm values of the Core 2 charts) in, :class:`Finding` s out. Each rule is a function
registered in :data:`RULES` under a stable ID; its docstring says what breaks at run time, as
read from Core 2's code (``../shared/spec/seldon-core2.md``, "Docs vs code") and the Kubernetes
HPA controller. What is not among the inputs falls back to the helm charts' defaults: the
setup chart's ``autoscaling.*`` and ServerConfigs ``mlserver``/``triton``, and, when no Server
is given at all, the servers chart's ``mlserver``/``triton`` (replicas 1, min 1, max 1).

The ``seldon-scaling lint`` command (:func:`add_parser`, :func:`run`) is the thin shell around it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from . import versions
from .cluster import SELDON_API_VERSION
from .manifests import (
    HELM_VALUES,
    SERVERS_CHART,
    SETUP_CHART,
    Manifest,
    ManifestError,
    digest,
    helm_chart,
    load_manifests,
)
from .quantity import QuantityError, integer_value, parse_quantity
from .twin.operator import MAX_UINT32, ScalingSpec, ScalingSpecError, validated_scaling_spec

SEVERITIES = ("error", "warning", "info")
SELDON_GROUP = SELDON_API_VERSION.split("/")[0]

# Helm chart defaults (v2.10) the rules fall back to when the inputs do not say otherwise.
SETUP_DEFAULTS: dict[str, Any] = {
    "autoscaling": {
        "autoscalingModelEnabled": False,
        "autoscalingServerEnabled": True,
        "serverPackingEnabled": False,
        "serverPackingPercentage": 0.0,
    },
    "serverConfig": {
        "agent": {"overcommitPercentage": "10"},
        "mlserver": {
            "serverCapabilities": "mlserver,alibi-detect,alibi-explain,huggingface,lightgbm,"
            "mlflow,python,sklearn,spark-mlib,xgboost",
            "resources": {"memory": "1Gi"},
        },
        "triton": {
            "serverCapabilities": "triton,dali,fil,onnx,openvino,python,pytorch,tensorflow,"
            "tensorrt",
            "resources": {"memory": "1Gi"},
        },
    },
}
SERVERS_DEFAULTS: dict[str, Any] = {
    name: {"replicas": 1, "minReplicas": 1, "maxReplicas": 1} for name in ("mlserver", "triton")
}


@dataclass(frozen=True)
class Finding:
    """One problem: where, which object, what goes wrong at run time, and the fix."""

    rule_id: str
    severity: str
    source: str
    line: int
    object_ref: str
    message: str
    fix: str

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def format(self) -> str:
        """Compiler-style line: ``file:line: SCL003 error Model/irisa0: what. Fix: how``."""
        head = f"{self.where}: {self.rule_id} {self.severity} {self.object_ref}"
        return f"{head}: {self.message.rstrip('.')}. Fix: {self.fix}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    check: Callable[[Setup], Iterable[Finding]] = field(repr=False)

    @property
    def summary(self) -> str:
        """The docstring's first line, as plain text."""
        return (self.check.__doc__ or "").strip().splitlines()[0].replace("``", "")

    @property
    def description(self) -> str:
        return " ".join((self.check.__doc__ or "").replace("``", "").split())


RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str, severity: str) -> Callable:
    def register(check: Callable[[Setup], Iterable[Finding]]) -> Callable:
        RULES[rule_id] = Rule(rule_id, name, severity, check)
        return check

    return register


# -- the world the rules look at ---------------------------------------------------------------


@dataclass(frozen=True)
class Runtime:
    """What a Server replica advertises to the scheduler (agent env after podSpec merging)."""

    capabilities: tuple[str, ...] | None  # None: ServerConfig not among the inputs
    memory_bytes: int | None  # MEMORY_REQUEST
    overcommit_percent: int

    @property
    def replica_memory(self) -> int | None:
        """Memory a fresh replica offers models: MEMORY_REQUEST plus the overcommit share."""
        if self.memory_bytes is None:
            return None
        return self.memory_bytes + self.memory_bytes * self.overcommit_percent // 100


@dataclass(frozen=True)
class ServerView:
    """A Server from the inputs, or one the servers chart would install."""

    name: str
    spec: dict
    manifest: Manifest | None  # the Server object, or the servers-chart values it came from
    from_chart: bool
    runtime: Runtime

    def where(self, path: str = "spec") -> tuple[str, int]:
        """``(source, line)`` of a spec field, in the Server object or the chart values."""
        if self.manifest is None:
            return (f"<{SERVERS_CHART} defaults>", 0)
        if self.from_chart:
            path = path.replace("spec", self.name, 1)
        return (self.manifest.source, self.manifest.line_of(path))

    @property
    def display(self) -> str:
        return f"Server/{self.name}"


@dataclass
class Setup:
    """Manifests indexed for the rules, with helm defaults filled in."""

    core: tuple[int, int]
    helm: list[Manifest]
    models: dict[str, Manifest]
    servers: dict[str, ServerView]
    hpas: list[Manifest]
    adapters: list[Manifest]

    @property
    def core_label(self) -> str:
        return f"{self.core[0]}.{self.core[1]}"

    @property
    def operator_version(self) -> str:
        return "2.10" if self.core >= (2, 10) else self.core_label

    def setup_value(self, *path: str) -> tuple[Any, Manifest | None]:
        """A setup-chart value: from the last helm values that set it, else the chart default."""
        for values in reversed(self.helm):
            if helm_chart(values.obj) != SETUP_CHART:
                continue
            found, value = _dig(values.obj, path)
            if found:
                return value, values
        return _dig(SETUP_DEFAULTS, path)[1], None

    @property
    def native_server_autoscaling(self) -> bool:
        enabled, _ = self.setup_value("autoscaling", "autoscalingServerEnabled")
        return self.core >= (2, 9) and enabled is not False

    def scaling_spec(self, spec: dict) -> ScalingSpec | None:
        try:
            return validated_scaling_spec(
                _int_or_none(spec.get("replicas")),
                _int_or_none(spec.get("minReplicas")),
                _int_or_none(spec.get("maxReplicas")),
                core_version=self.operator_version,
            )
        except ScalingSpecError:
            return None

    def hpas_targeting(self, kind: str, name: str) -> list[Manifest]:
        return [
            hpa
            for hpa in self.hpas
            if _target(hpa).get("kind") == kind and _target(hpa).get("name") == name
        ]

    def servers_for(self, model: Manifest) -> list[ServerView]:
        """Servers the scheduler may place the model on (pinned one, else capable ones)."""
        pinned = model.spec.get("server")
        if pinned:
            return [self.servers[pinned]] if pinned in self.servers else []
        needed = requirements(model)
        return [
            server
            for server in self.servers.values()
            if server.runtime.capabilities is None or needed <= set(server.runtime.capabilities)
        ]


def parse_core_version(version: str) -> tuple[int, int]:
    """``"2.10"`` / ``"v2.9.1"`` -> ``(2, 10)`` / ``(2, 9)``; Core 2 before 2.8 is not modelled."""
    try:
        parsed = versions.parse_core_version(version)
    except ValueError:
        parsed = None
    if parsed is None or parsed < (2, 8):
        raise ValueError(f"core version {version!r} is not supported; use 2.8, 2.9, 2.10 or later")
    return parsed


def build_setup(
    manifests: Sequence[Manifest], core_version: str = "2.10", helm_values: dict | None = None
) -> Setup:
    helm = [m for m in manifests if m.kind == HELM_VALUES]
    if helm_values:
        helm.append(Manifest(dict(helm_values), "<helm values>"))
    setup = Setup(
        core=parse_core_version(core_version),
        helm=helm,
        models={m.name: m for m in manifests if _is_seldon(m, "Model")},
        servers={},
        hpas=[m for m in manifests if m.kind == "HorizontalPodAutoscaler"],
        adapters=[m for m in manifests if _adapter_config(m) is not None],
    )
    configs = {
        m.name: m.spec.get("podSpec") or {} for m in manifests if _is_seldon(m, "ServerConfig")
    }
    for name in ("mlserver", "triton"):
        configs.setdefault(name, _default_server_config(setup, name))
    server_objects = [m for m in manifests if _is_seldon(m, "Server")]
    chart_values = [m for m in helm if helm_chart(m.obj) == SERVERS_CHART]
    if chart_values or not server_objects:
        for name, defaults in SERVERS_DEFAULTS.items():
            spec, source = {**defaults, "serverConfig": name}, None
            for values in chart_values:
                if isinstance(values.obj.get(name), dict):
                    spec.update(values.obj[name])
                    source = values
            setup.servers[name] = ServerView(
                name, spec, source, True, server_runtime(spec, configs.get(name))
            )
    for server in server_objects:
        spec = server.spec
        runtime = server_runtime(spec, configs.get(spec.get("serverConfig", "")))
        setup.servers[server.name] = ServerView(server.name, spec, server, False, runtime)
    return setup


def _default_server_config(setup: Setup, name: str) -> dict:
    """The podSpec parts of the setup chart's ServerConfig the agent reads."""
    capabilities, _ = setup.setup_value("serverConfig", name, "serverCapabilities")
    memory, _ = setup.setup_value("serverConfig", name, "resources", "memory")
    overcommit, _ = setup.setup_value("serverConfig", "agent", "overcommitPercentage")
    request = {"resourceFieldRef": {"containerName": name, "resource": "requests.memory"}}
    return {
        "containers": [
            {
                "name": "agent",
                "env": [
                    {"name": "SELDON_SERVER_CAPABILITIES", "value": str(capabilities)},
                    {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": str(overcommit)},
                    {"name": "MEMORY_REQUEST", "valueFrom": request},
                ],
            },
            {"name": name, "resources": {"requests": {"memory": memory}}},
        ]
    }


def server_runtime(server_spec: dict, config_pod_spec: dict | None) -> Runtime:
    """Capabilities and memory of a Server's replicas (Server podSpec merged over its config's).

    ``capabilities`` replaces the ServerConfig's ``SELDON_SERVER_CAPABILITIES``,
    ``extraCapabilities`` is appended; ``MEMORY_REQUEST`` is a literal or the referenced
    container's ``requests.memory``.
    """
    if config_pod_spec is None:
        return Runtime(None, None, 0)
    containers = _containers(config_pod_spec)
    for name, container in _containers(server_spec.get("podSpec") or {}).items():
        merged = dict(containers.get(name, {}))
        env = {e.get("name"): e for e in merged.get("env") or [] if isinstance(e, dict)}
        env.update({e.get("name"): e for e in container.get("env") or [] if isinstance(e, dict)})
        merged["env"] = list(env.values())
        if container.get("resources"):
            merged["resources"] = container["resources"]
        containers[name] = merged
    agent_env = {
        e.get("name"): e
        for e in containers.get("agent", {}).get("env") or []
        if isinstance(e, dict)
    }
    listed = str(agent_env.get("SELDON_SERVER_CAPABILITIES", {}).get("value", "sklearn,xgboost"))
    capabilities = [c.strip() for c in listed.split(",") if c.strip()]
    if server_spec.get("capabilities"):
        capabilities = [str(c).strip() for c in server_spec["capabilities"]]
    capabilities += [str(c).strip() for c in server_spec.get("extraCapabilities") or []]
    overcommit = _safe_int(agent_env.get("SELDON_OVERCOMMIT_PERCENTAGE", {}).get("value", "0"))
    return Runtime(tuple(capabilities), _memory_request(agent_env, containers), overcommit or 0)


def _containers(pod_spec: dict) -> dict[str, dict]:
    return {
        c["name"]: c
        for c in pod_spec.get("containers") or []
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    }


def _memory_request(agent_env: dict, containers: dict[str, dict]) -> int | None:
    entry = agent_env.get("MEMORY_REQUEST")
    if entry is None:
        return None
    try:
        if "value" in entry:
            return integer_value(entry["value"])
        _, field_ref = _dig(entry, ("valueFrom", "resourceFieldRef"))
        container = containers.get(_dig(field_ref, ("containerName",))[1] or "", {})
        _, memory = _dig(container, ("resources", "requests", "memory"))
        return None if memory is None else integer_value(memory)
    except QuantityError:
        return None


def requirements(model: Manifest) -> set[str]:
    """Capabilities a Model needs: ``requirements`` + ``modelType`` (+ explainer support)."""
    spec = model.spec
    needed = {str(r).strip() for r in spec.get("requirements") or []}
    if spec.get("modelType"):
        needed.add(str(spec["modelType"]).strip())
    if spec.get("explainer"):
        needed.add("alibi-explain")
    return needed


# -- small helpers ---------------------------------------------------------------------------


def _dig(obj: Any, path: Sequence[str]) -> tuple[bool, Any]:
    for step in path:
        if not isinstance(obj, dict) or step not in obj:
            return False, None
        obj = obj[step]
    return True, obj


def _is_seldon(manifest: Manifest, kind: str) -> bool:
    return manifest.kind == kind and manifest.api_version == SELDON_API_VERSION


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _safe_int(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _bytes(amount: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if amount >= size and amount % size == 0:
            return f"{amount // size}{suffix}"
    return f"{amount} bytes"


def _target(hpa: Manifest) -> dict:
    return hpa.spec.get("scaleTargetRef") or {}


def _metrics(hpa: Manifest) -> list[tuple[int, dict]]:
    return [(i, m) for i, m in enumerate(hpa.spec.get("metrics") or []) if isinstance(m, dict)]


def _hpa_min(hpa: Manifest) -> int:
    return hpa.spec.get("minReplicas", 1)


def _finding(
    rule_id: str,
    manifest: Manifest | None,
    path: str | tuple[str, ...],
    message: str,
    fix: str,
    *,
    severity: str | None = None,
    object_ref: str | None = None,
    where: tuple[str, int] | None = None,
) -> Finding:
    if where is None:
        where = (manifest.source, manifest.line_of(path)) if manifest else ("<defaults>", 0)
    ref = object_ref or (manifest.display if manifest else "")
    return Finding(rule_id, severity or RULES[rule_id].severity, *where, ref, message, fix)


def _model_hpas(setup: Setup) -> Iterator[tuple[Manifest, Manifest]]:
    for hpa in setup.hpas:
        target = _target(hpa)
        if target.get("kind") == "Model" and target.get("name") in setup.models:
            yield hpa, setup.models[target["name"]]


def _server_hpas(setup: Setup) -> Iterator[tuple[Manifest, ServerView]]:
    for hpa in setup.hpas:
        target = _target(hpa)
        if target.get("kind") == "Server" and target.get("name") in setup.servers:
            yield hpa, setup.servers[target["name"]]


# -- rules -----------------------------------------------------------------------------------


@rule("SCL001", "scale-target-without-replicas", "error")
def check_scale_target_replicas(setup: Setup) -> Iterator[Finding]:
    """An HPA targets a Model or Server that has no ``spec.replicas``.

    The scale subresource maps ``.spec.replicas``; without it the HPA's GET /scale fails and the
    HPA never scales (AbleToScale False, FailedGetScale).
    """
    for hpa, model in _model_hpas(setup):
        if "replicas" not in model.spec:
            yield _finding(
                "SCL001",
                model,
                "spec",
                f"HPA {hpa.name} cannot read /scale of this Model (no spec.replicas): "
                "AbleToScale False, FailedGetScale, the Model never scales",
                "set spec.replicas explicitly (e.g. replicas: 1)",
            )
    for hpa, server in _server_hpas(setup):
        if "replicas" not in server.spec:
            yield _finding(
                "SCL001",
                server.manifest,
                "spec",
                f"HPA {hpa.name} cannot read /scale of this Server (no spec.replicas): "
                "AbleToScale False, FailedGetScale, the Server never scales",
                "set spec.replicas explicitly on the Server",
                object_ref=server.display,
                where=server.where(),
            )


@rule("SCL002", "value-target-on-model", "error")
def check_value_target(setup: Setup) -> Iterator[Finding]:
    """A Model HPA uses an Object/External metric with a ``Value`` target.

    A Value target divides by the ready pods of the scale target's selector; a Model's selector
    (``server=<name>``) matches no pod on purpose, so the HPA reports FailedGetObjectMetric
    (ScalingActive False). Only ``AverageValue`` works for Models.
    """
    for hpa, model in _model_hpas(setup):
        for index, metric in _metrics(hpa):
            kind = metric.get("type")
            member = {"Object": "object", "External": "external"}.get(kind)
            target = ((metric.get(member) or {}) if member else {}).get("target") or {}
            if target.get("type") != "Value":
                continue
            name = ((metric.get(member) or {}).get("metric") or {}).get("name", "?")
            yield _finding(
                "SCL002",
                hpa,
                f"spec.metrics[{index}].{member}.target.type",
                f"{kind} metric {name} has a Value target, which needs pods behind Model "
                f"{model.name}'s selector and it matches none: ScalingActive False, "
                f"FailedGet{kind}Metric, no scaling",
                "use target type AverageValue with averageValue: "
                f"{target.get('value', '<per-replica value>')}",
            )


@rule("SCL003", "pod-metric-on-model", "error")
def check_pod_metrics_on_model(setup: Setup) -> Iterator[Finding]:
    """A Model HPA uses a Pods, Resource or ContainerResource metric.

    These average per-pod values over the pods of the Model's selector, which matches no pod:
    the metric can never be read (FailedGetPodsMetric / FailedGetResourceMetric).
    """
    for hpa, model in _model_hpas(setup):
        for index, metric in _metrics(hpa):
            kind = metric.get("type")
            if kind in ("Pods", "Resource", "ContainerResource"):
                yield _finding(
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


@rule("SCL004", "missing-reference", "error")
def check_missing_reference(setup: Setup) -> Iterator[Finding]:
    """``scaleTargetRef`` or ``describedObject`` names a Model/Server that does not exist.

    The HPA gets FailedGetScale (missing target) or FailedGetObjectMetric (missing described
    object) and never scales.
    """
    yield from _reference_findings(setup, "SCL004")


@rule("SCL005", "wrong-reference-kind", "error")
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
        refs = [("spec.scaleTargetRef", "scaleTargetRef", _target(hpa))]
        for index, metric in _metrics(hpa):
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
            yield _finding(rule_id, hpa, field_path, f"{message}: {consequence[role]}", fix)


# -- Prometheus Adapter ----------------------------------------------------------------------


@dataclass(frozen=True)
class AdapterRule:
    """One prometheus-adapter discovery rule, reduced to what the HPA needs."""

    metric_names: frozenset[str] | None  # None: cannot tell statically (regex series query)
    resources: frozenset[str] | None  # "Model", "Server", "pods", "namespace"; None: template
    external: bool


def _adapter_config(manifest: Manifest) -> dict | None:
    if manifest.kind != "ConfigMap":
        return None
    text = (manifest.obj.get("data") or {}).get("config.yaml")
    if not isinstance(text, str):
        return None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return {"error": "config.yaml is not valid YAML"}
    if not isinstance(config, dict) or not {"rules", "externalRules", "resourceRules"} & set(
        config
    ):
        return None
    return config


def adapter_rules(config: dict) -> list[AdapterRule]:
    """Custom (``rules``) and external (``externalRules``) rules of an adapter config."""
    parsed = []
    for key, external in (("rules", False), ("externalRules", True)):
        for entry in config.get(key) or []:
            if isinstance(entry, dict):
                parsed.append(
                    AdapterRule(_rule_metric_names(entry), _rule_resources(entry), external)
                )
    return parsed


def _rule_metric_names(entry: dict) -> frozenset[str] | None:
    query = str(entry.get("seriesQuery", ""))
    exact = re.search(r'__name__\s*=\s*"([^"]+)"', query)
    leading = re.match(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{|$)", query)
    series = exact[1] if exact else (leading[1] if leading else None)
    naming = entry.get("name") if isinstance(entry.get("name"), dict) else {}
    try:
        pattern = re.compile(str(naming.get("matches") or "^(.*)$"))
    except re.error:
        return None  # the adapter refuses it too; the metric cannot be predicted
    as_ = naming.get("as")
    if as_ is None or as_ == "":
        as_ = "$1" if pattern.groups == 1 else "$0"
    if "$" not in str(as_):
        return frozenset({str(as_)})
    if series is None:
        return None
    found = pattern.search(series)
    if found is None:
        return frozenset()
    groups = [found[0], *found.groups()]

    def expand(m: re.Match) -> str:
        index = int(m[1] or m[2])
        return groups[index] or "" if index < len(groups) else ""

    return frozenset({re.sub(r"\$\{(\d+)\}|\$(\d+)", expand, str(as_))})


def _rule_resources(entry: dict) -> frozenset[str] | None:
    resources = entry.get("resources") if isinstance(entry.get("resources"), dict) else {}
    if resources.get("template"):
        return None
    covered = set()
    overrides = resources.get("overrides")
    for override in (overrides if isinstance(overrides, dict) else {}).values():
        if not isinstance(override, dict):
            continue
        resource = str(override.get("resource", "")).lower()
        group = override.get("group", "")
        if resource in ("model", "models") and group == SELDON_GROUP:
            covered.add("Model")
        elif resource in ("server", "servers") and group == SELDON_GROUP:
            covered.add("Server")
        elif resource in ("pod", "pods") and not group:
            covered.add("pods")
        elif resource in ("namespace", "namespaces") and not group:
            covered.add("namespace")
    return frozenset(covered)


@rule("SCL006", "no-adapter-rule", "error")
def check_adapter_rules(setup: Setup) -> Iterator[Finding]:
    """An HPA custom/external metric that no Prometheus Adapter rule serves.

    The adapter answers 404 for a metric name no rule produces (``name.as``), or for an object
    kind its ``resources.overrides`` do not map (the Model or Server group resource): the HPA
    shows FailedGetObjectMetric and never scales. Checked against the adapter ConfigMaps
    (``data["config.yaml"]``) among the inputs; without one, an info finding says it was not.
    """
    rules: list[AdapterRule] = []
    usable = False
    for adapter in setup.adapters:
        config = _adapter_config(adapter) or {}
        if "error" in config:
            yield _finding(
                "SCL006",
                adapter,
                ("data", "config.yaml"),
                "the adapter cannot start: config.yaml is not valid YAML",
                "fix the YAML in data.config.yaml",
            )
            continue
        usable = True
        rules.extend(adapter_rules(config))
    if setup.adapters and not usable:
        return  # the broken config is the finding; metrics cannot be judged against it
    for hpa in setup.hpas:
        for index, metric in _metrics(hpa):
            kind = metric.get("type")
            member = {"Object": "object", "Pods": "pods", "External": "external"}.get(kind)
            if member is None or not isinstance(metric.get(member), dict):
                continue
            name = (metric[member].get("metric") or {}).get("name")
            path = f"spec.metrics[{index}].{member}.metric.name"
            if not setup.adapters:
                yield _finding(
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
                yield _finding(
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
    rules: list[AdapterRule], name: str | None, needs: str | None, *, external: bool
) -> str | None:
    candidates = [r for r in rules if r.external == external]
    named = [r for r in candidates if r.metric_names is None or name in r.metric_names]
    if not named:
        exposed = sorted({n for r in candidates for n in (r.metric_names or ())})
        kind = "external" if external else "custom"
        return (
            f"no adapter rule exposes {kind} metric {name} "
            f"(rules expose: {', '.join(exposed) or 'nothing'})"
        )
    if needs is None:
        return None
    if any(r.resources is None or needs in r.resources for r in named):
        return None
    return f"the adapter rule for {name} does not map any label to {_resource_label(needs)}"


# -- capacity and pairing --------------------------------------------------------------------


def server_capacity(setup: Setup, server: ServerView) -> tuple[int, str] | None:
    """The most replicas a Server can reach, and why; ``None`` if its scaling spec is invalid."""
    spec = setup.scaling_spec(server.spec)
    if spec is None:
        return None
    bounded = 0 < spec.max_replicas < MAX_UINT32
    hpas = setup.hpas_targeting("Server", server.name)
    if hpas:
        hpa_max = max(h.spec.get("maxReplicas", 1) for h in hpas)
        if bounded and spec.max_replicas < hpa_max:
            origin = "servers helm chart default " if server.from_chart else ""
            return (
                spec.max_replicas,
                f"Server {server.name} {origin}maxReplicas {spec.max_replicas}",
            )
        return hpa_max, f"Server HPA maxReplicas {hpa_max}"
    if setup.native_server_autoscaling and spec.max_replicas >= 1:
        if not bounded:
            return MAX_UINT32, "native server autoscaling with unbounded maxReplicas"
        top = max(spec.max_replicas, spec.replicas)
        origin = "servers helm chart default " if server.from_chart else ""
        return top, f"Server {server.name} {origin}maxReplicas {spec.max_replicas}"
    reason = "native server autoscaling off" if setup.core >= (2, 9) else "Core 2.8"
    return spec.replicas, f"Server {server.name} fixed at replicas {spec.replicas} ({reason})"


@rule("SCL007", "model-hpa-above-server-capacity", "error")
def check_server_capacity(setup: Setup) -> Iterator[Finding]:
    """A Model HPA's ``maxReplicas`` is above what any Server for the model can host.

    A Server replica holds at most one replica of a model and a model never spans Servers, so
    at peak the Model goes ScheduleFailed ("no matching server had enough suitable replicas")
    while its old replicas serve. A Server reaches its HPA's maxReplicas, its own maxReplicas
    with native server autoscaling, else stays at replicas (servers chart default: max 1).
    """
    for hpa, model in _model_hpas(setup):
        want = hpa.spec.get("maxReplicas")
        if not isinstance(want, int):
            continue
        capacities = [
            capacity
            for server in setup.servers_for(model)
            if (capacity := server_capacity(setup, server)) is not None
        ]
        if not capacities:
            continue
        best, why = max(capacities)
        if want > best:
            yield _finding(
                "SCL007",
                hpa,
                "spec.maxReplicas",
                f"the HPA may ask Model {model.name} for {want} replicas but its Server hosts at "
                f"most {best} ({why}): ScheduleFailed at peak, only the replicas already loaded "
                "serve",
                f"lower maxReplicas to {best} or let the Server grow to {want} (Server HPA / "
                "Server maxReplicas)",
            )


@rule("SCL008", "hpa-bounds-outside-target-spec", "error")
def check_hpa_bounds(setup: Setup) -> Iterator[Finding]:
    """HPA min/max outside the target's own ``minReplicas``/``maxReplicas``.

    Core 2 still validates HPA-written ``spec.replicas`` against the object's own bounds: a
    Model goes ModelFailed, a Server stops reconciling, with
    ``scaling spec is invalid: number of replicas N must be <= max replicas M``.
    """
    targets = [(hpa, f"Model {model.name}", model.spec) for hpa, model in _model_hpas(setup)]
    targets += [(hpa, f"Server {server.name}", server.spec) for hpa, server in _server_hpas(setup)]
    for hpa, target, spec in targets:
        if setup.scaling_spec(spec) is None:
            continue  # SCL016 reports the object itself
        for key, written in (
            ("maxReplicas", hpa.spec.get("maxReplicas")),
            ("minReplicas", _hpa_min(hpa)),
        ):
            if not isinstance(written, int):
                continue
            try:
                validated_scaling_spec(
                    written,
                    _int_or_none(spec.get("minReplicas")),
                    _int_or_none(spec.get("maxReplicas")),
                    core_version=setup.operator_version,
                )
            except ScalingSpecError as error:
                yield _finding(
                    "SCL008",
                    hpa,
                    f"spec.{key}",
                    f"when the HPA writes {written} replicas to {target} Core 2 rejects them: "
                    f"{error}",
                    f"keep the HPA's {key} within {target}'s minReplicas..maxReplicas "
                    f"({spec.get('minReplicas', 'unset')}..{spec.get('maxReplicas', 'unset')})",
                )


def hosted_models(setup: Setup, server: ServerView) -> list[Manifest]:
    """Models that may land on a Server: pinned to it, or unpinned and capable."""
    return [m for m in setup.models.values() if server in setup.servers_for(m)]


@rule("SCL009", "server-hpa-multi-model", "warning")
def check_server_hpa_multi_model(setup: Setup) -> Iterator[Finding]:
    """A Server HPA on a Server that hosts several models (multi-model serving).

    The Server HPA follows one metric while every model on the Server needs room: Server
    replicas and Model replicas drift apart, causing ScheduleFailed or idle replicas. Server
    HPAs are only supported for single-model serving.
    """
    for hpa, server in _server_hpas(setup):
        models = sorted(m.name for m in hosted_models(setup, server))
        if len(models) > 1:
            yield _finding(
                "SCL009",
                hpa,
                "spec.scaleTargetRef",
                f"Server {server.name} may host {len(models)} models ({', '.join(models)}) but "
                "its HPA scales it on one metric: replicas of the other models are not "
                "accounted for",
                f"dedicate Server {server.name} to one model (pin it with spec.server) or drop "
                "the Server HPA and use native server autoscaling",
            )


def _canonical(value: Any) -> str:
    def normal(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: normal(x) for k, x in v.items()}
        if isinstance(v, list):
            return [normal(x) for x in v]
        if isinstance(v, int | float | str) and not isinstance(v, bool):
            try:
                return str(parse_quantity(v))
            except QuantityError:
                return v
        return v

    return json.dumps(normal(value), sort_keys=True)


@rule("SCL010", "server-hpa-differs-from-model-hpa", "warning")
def check_server_hpa_pairing(setup: Setup) -> Iterator[Finding]:
    """A Server HPA not mirrored by a Model HPA (bounds, metric, behaviour).

    Single-model serving needs the Model and Server HPAs identical: if the Model scales before
    its Server the new replicas are ScheduleFailed; if the Server scales first, replicas idle.
    """
    for hpa, server in _server_hpas(setup):
        described = {
            ((m.get("object") or {}).get("describedObject") or {}).get("name")
            for _, m in _metrics(hpa)
            if m.get("type") == "Object"
        }
        hosted = {m.name for m in hosted_models(setup, server)}
        models = sorted(
            name
            for name in (described | hosted)
            if name in setup.models and setup.hpas_targeting("Model", name)
        )
        if not models:
            yield _finding(
                "SCL010",
                hpa,
                "spec.scaleTargetRef",
                f"no Model HPA pairs with this Server HPA: Server {server.name} scales but no "
                "model gets more replicas to use the new Server replicas",
                "add a Model HPA with the same min/max, metric and behaviour",
            )
            continue
        for name in models:
            for model_hpa in setup.hpas_targeting("Model", name):
                diffs = [
                    label
                    for label, ours, theirs in (
                        ("minReplicas", _hpa_min(hpa), _hpa_min(model_hpa)),
                        (
                            "maxReplicas",
                            hpa.spec.get("maxReplicas"),
                            model_hpa.spec.get("maxReplicas"),
                        ),
                        (
                            "metrics",
                            _canonical(hpa.spec.get("metrics")),
                            _canonical(model_hpa.spec.get("metrics")),
                        ),
                        (
                            "behavior",
                            _canonical(hpa.spec.get("behavior")),
                            _canonical(model_hpa.spec.get("behavior")),
                        ),
                    )
                    if ours != theirs
                ]
                if diffs:
                    yield _finding(
                        "SCL010",
                        hpa,
                        f"spec.{diffs[0]}",
                        f"differs from Model HPA {model_hpa.name} in {', '.join(diffs)}: Model "
                        f"and Server replicas drift apart (ScheduleFailed or idle replicas)",
                        f"copy {', '.join(diffs)} from HPA {model_hpa.name}",
                    )


@rule("SCL011", "server-hpa-and-native-autoscaling", "warning")
def check_server_hpa_vs_native(setup: Setup) -> Iterator[Finding]:
    """A Server HPA while Core 2 native server autoscaling is on (helm default).

    Both write ``Server.spec.replicas``: the scheduler's scale-up/scale-down requests fight the
    HPA's recommendations, so replica counts flap.
    """
    if not setup.native_server_autoscaling:
        return
    _, source = setup.setup_value("autoscaling", "autoscalingServerEnabled")
    origin = f"from {source.source}" if source else "helm default"
    for hpa, server in _server_hpas(setup):
        yield _finding(
            "SCL011",
            hpa,
            "spec.scaleTargetRef",
            f"native server autoscaling ({origin}) also scales Server {server.name}: the "
            "scheduler's scale requests and the HPA overwrite each other",
            f"set autoscaling.autoscalingServerEnabled: false in the {SETUP_CHART} values, "
            "or drop the Server HPA",
        )


@rule("SCL012", "model-lag-autoscaling-disabled", "warning")
def check_lag_autoscaling(setup: Setup) -> Iterator[Finding]:
    """Lag-based model autoscaling enabled in helm values for Core 2 >= 2.10.

    Core 2.10 force-disables it in agent and scheduler (PR #6814) whatever the value says, so
    models never scale on inference lag.
    """
    enabled, source = setup.setup_value("autoscaling", "autoscalingModelEnabled")
    if enabled is True and setup.core >= (2, 10) and source is not None:
        yield _finding(
            "SCL012",
            source,
            "autoscaling.autoscalingModelEnabled",
            f"Core {setup.core_label} ignores autoscalingModelEnabled (force-disabled since "
            "2.10): no model will scale on inference lag",
            "scale Models with an HPA on infer_rps (and remove autoscalingModelEnabled)",
        )


@rule("SCL013", "model-min-max-myth", "info")
def check_model_min_max_myth(setup: Setup) -> Iterator[Finding]:
    """A Model with an HPA leaves minReplicas/maxReplicas unset to "disable" lag autoscaling.

    Since 2.10 an unset maxReplicas becomes 4294967295, so the Model counts as
    autoscaling-enabled; it is harmless only because 2.10 force-disables lag autoscaling.
    """
    if setup.core < (2, 10):
        return
    for _, model in _model_hpas(setup):
        spec = model.spec
        if "minReplicas" not in spec and "maxReplicas" not in spec:
            yield _finding(
                "SCL013",
                model,
                "spec",
                "unset maxReplicas does not disable lag autoscaling (it becomes 4294967295); "
                "it stays off only because Core 2.10 force-disables it",
                "nothing to do today; keep autoscaling.autoscalingModelEnabled false",
            )


@rule("SCL014", "server-min-max-myth", "warning")
def check_server_min_max_myth(setup: Setup) -> Iterator[Finding]:
    """A Server leaves maxReplicas unset believing that disables native server autoscaling.

    Since 2.10 unset or 0 maxReplicas becomes 4294967295, so the scheduler scales the Server up
    to the largest model replica count (docs say unset disables it; true in 2.9 only).
    """
    if setup.core < (2, 10) or not setup.native_server_autoscaling:
        return
    for server in setup.servers.values():
        if server.from_chart or server.spec.get("maxReplicas"):
            continue
        if setup.hpas_targeting("Server", server.name):
            continue  # SCL011 covers HPA-managed Servers
        yield _finding(
            "SCL014",
            server.manifest,
            "spec",
            "maxReplicas unset: native server autoscaling is active and unbounded "
            "(max 4294967295), the Server grows to the largest model replica count",
            "set spec.maxReplicas (and minReplicas) to the bounds you want",
        )


@rule("SCL015", "packing-percentage-as-percent", "warning")
def check_packing_percentage(setup: Setup) -> Iterator[Finding]:
    """``serverPackingPercentage`` written as 0-100 although Core 2 reads a probability (0-1).

    Any value >= 1 makes every server scale-down try packing, so a value above 1 is a
    percentage misread (1 itself is the valid "always"); when packing is disabled the value is
    ignored (forced to 0).
    """
    value, source = setup.setup_value("autoscaling", "serverPackingPercentage")
    if source is None or not isinstance(value, int | float) or isinstance(value, bool):
        return
    enabled, _ = setup.setup_value("autoscaling", "serverPackingEnabled")
    path = "autoscaling.serverPackingPercentage"
    if value > 1:
        yield _finding(
            "SCL015",
            source,
            path,
            f"serverPackingPercentage {value} is read as a probability: >= 1 means every "
            "scale-down event tries packing",
            f"write a probability (e.g. {min(value, 100) / 100:g} for {value:g} %)",
        )
    elif value > 0 and enabled is not True:
        yield _finding(
            "SCL015",
            source,
            path,
            f"serverPackingPercentage {value} has no effect: serverPackingEnabled is not true "
            "(the scheduler forces it to 0)",
            "set autoscaling.serverPackingEnabled: true",
            severity="info",
        )


@rule("SCL016", "invalid-scaling-spec", "error")
def check_scaling_spec(setup: Setup) -> Iterator[Finding]:
    """A Model or Server whose replicas/minReplicas/maxReplicas Core 2 rejects.

    Models go ModelReady False (ModelFailed) and are never scheduled; a Server stops
    reconciling (Ready False). The message is Core 2's exact error text.
    """
    objects = [(m, m.display, m.spec, (m.source, m.line_of("spec"))) for m in setup.models.values()]
    objects += [(s.manifest, s.display, s.spec, s.where()) for s in setup.servers.values()]
    consequence = {
        "Model": "the controller marks it ModelFailed and never schedules it",
        "Server": "the controller stops reconciling it (Ready False)",
    }
    for manifest, ref, spec, where in objects:
        try:
            validated_scaling_spec(
                _int_or_none(spec.get("replicas")),
                _int_or_none(spec.get("minReplicas")),
                _int_or_none(spec.get("maxReplicas")),
                core_version=setup.operator_version,
            )
        except ScalingSpecError as error:
            yield _finding(
                "SCL016",
                manifest,
                "",
                f"{error}: {consequence[ref.split('/')[0]]}",
                "make minReplicas <= replicas <= maxReplicas",
                object_ref=ref,
                where=where,
            )


@rule("SCL017", "unsatisfiable-requirements", "error")
def check_requirements(setup: Setup) -> Iterator[Finding]:
    """A Model whose requirements no Server's capabilities satisfy (or pinned to no Server).

    Requirements (plus ``modelType``) must all be in a Server's capabilities, exact string
    match; otherwise the Model stays ScheduleFailed ("no matching servers are available").
    """
    for model in setup.models.values():
        pinned = model.spec.get("server")
        if pinned and pinned not in setup.servers:
            yield _finding(
                "SCL017",
                model,
                "spec.server",
                f"pinned to Server {pinned}, which is not among the linted manifests: "
                "ScheduleFailed (no matching servers are available)",
                f"create Server {pinned} or fix spec.server "
                f"(known: {', '.join(sorted(setup.servers))})",
            )
            continue
        if setup.servers_for(model):
            continue
        needed = requirements(model)
        candidates = [setup.servers[pinned]] if pinned else list(setup.servers.values())
        lacking = "; ".join(
            f"{s.name} lacks {', '.join(sorted(needed - set(s.runtime.capabilities or ())))}"
            for s in candidates
        )
        path = "spec.requirements" if "requirements" in model.spec else "spec.modelType"
        yield _finding(
            "SCL017",
            model,
            path,
            f"no Server offers all of {', '.join(sorted(needed))} ({lacking}): ScheduleFailed "
            "(no matching servers are available)",
            "add the missing capabilities to a Server (spec.capabilities / extraCapabilities) "
            "or fix the requirements",
        )


@rule("SCL018", "model-memory-too-large", "error")
def check_memory(setup: Setup) -> Iterator[Finding]:
    """A Model needs more memory than any capable Server replica can offer.

    A replica offers MEMORY_REQUEST (the inference container's ``requests.memory``, helm
    default 1Gi) plus the overcommit share (``SELDON_OVERCOMMIT_PERCENTAGE``, default 10): a
    bigger model never fits and stays ScheduleFailed.
    """
    for model in setup.models.values():
        try:
            needed = integer_value(model.spec["memory"]) if "memory" in model.spec else 0
        except QuantityError:
            continue
        offers = [
            (s.runtime.replica_memory, s)
            for s in setup.servers_for(model)
            if s.runtime.replica_memory is not None
        ]
        if not needed or not offers or len(offers) < len(setup.servers_for(model)):
            continue
        best, server = max(offers, key=lambda offer: offer[0])
        if needed > best:
            runtime = server.runtime
            yield _finding(
                "SCL018",
                model,
                "spec.memory",
                f"needs {_bytes(needed)} per replica but the largest capable Server replica "
                f"({server.name}) offers {_bytes(best)} (MEMORY_REQUEST "
                f"{_bytes(runtime.memory_bytes or 0)} + {runtime.overcommit_percent} % "
                "overcommit): ScheduleFailed, the model never loads",
                "raise the Server's inference container requests.memory or lower spec.memory",
            )


# -- entry points ----------------------------------------------------------------------------


def lint(
    manifests: Sequence[Manifest],
    *,
    core_version: str = "2.10",
    helm_values: dict | None = None,
    rules: Iterable[str] | None = None,
) -> list[Finding]:
    """Every finding of the (selected) rules, sorted by file, line and rule."""
    setup = build_setup(manifests, core_version, helm_values)
    selected = [RULES[r] for r in rules] if rules is not None else list(RULES.values())
    findings = [finding for r in selected for finding in r.check(setup)]
    return sorted(findings, key=lambda f: (f.source, f.line, f.rule_id, f.object_ref, f.message))


def exit_code(findings: Iterable[Finding]) -> int:
    return 1 if any(f.severity == "error" for f in findings) else 0


def format_text(findings: Sequence[Finding]) -> str:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    return "\n".join([*(f.format() for f in findings), summary]) + "\n"


def format_json(
    findings: Sequence[Finding], manifests: Sequence[Manifest], core_version: str
) -> str:
    report = {
        "core_version": core_version,
        "manifests": len(manifests),
        "digest": digest(manifests),
        "summary": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
        "findings": [f.to_dict() for f in findings],
    }
    return json.dumps(report, indent=2) + "\n"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """``seldon-scaling lint PATH... [--core-version] [--format] [--helm-values FILE]``."""
    parser = subparsers.add_parser(
        "lint",
        help="check manifests for autoscaling that breaks at run time",
        description="Report Seldon Core 2 autoscaling problems in manifests. Exit 1 on errors.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--core-version", default="2.10", help="Core 2 version (default 2.10)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--helm-values",
        action="append",
        default=[],
        metavar="FILE",
        help=f"values for the {SETUP_CHART} / {SERVERS_CHART} charts (repeatable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        parse_core_version(args.core_version)
        manifests = load_manifests(*args.paths)
        for values in load_manifests(*args.helm_values):
            if values.kind != HELM_VALUES:
                raise ManifestError(
                    [f"{values.where()}: --helm-values: {values.display} is not helm values"]
                )
            manifests.append(values)
    except ManifestError as error:
        print(
            "seldon-scaling lint: cannot use these manifests:",
            *error.errors,
            sep="\n",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:
        print(f"seldon-scaling lint: {error}", file=sys.stderr)
        return 2
    findings = lint(manifests, core_version=args.core_version)
    if args.format == "json":
        sys.stdout.write(format_json(findings, manifests, args.core_version))
    else:
        sys.stdout.write(format_text(findings))
    return exit_code(findings)
