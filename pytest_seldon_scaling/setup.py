"""One model of the user's setup: the objects lint, the suites, ``plan`` and the twin read.

:func:`build_setup` turns loaded manifests (Models, Servers, ServerConfigs, HPAs, the Prometheus
Adapter ConfigMap, helm values of the Core 2 charts) into a :class:`Setup`: objects indexed by
name, each Server's runtime (capabilities and memory after podSpec merging, as the agent sees
them), the adapter rules parsed once (:mod:`.adapter_rules`), and helm values with the charts'
defaults behind them. What is not among the inputs falls back to the helm charts' defaults: the
setup chart's ``autoscaling.*`` and ServerConfigs ``mlserver``/``triton``, and, when no Server is
given at all, the servers chart's ``mlserver``/``triton`` (replicas 1, min 1, max 1).

:func:`group_setups` splits a tree of manifests into the setups a user laid out: one per
directory holding Models, Servers or HPAs (and per namespace inside it), each with the shared
objects (Servers, ServerConfigs, adapter ConfigMaps, helm values) of the directories above it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from . import versions
from .adapter_rules import AdapterConfigError, AdapterRule, configmap_name, load_config, parse_rules
from .cluster import SELDON_API_VERSION
from .manifests import HELM_VALUES, SERVERS_CHART, SETUP_CHART, Manifest, helm_chart
from .quantity import QuantityError, integer_value
from .twin.operator import MAX_UINT32, ScalingSpec, ScalingSpecError, validated_scaling_spec

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

    def field(self, path: str = "spec") -> str:
        """Where a spec field is written in :attr:`manifest` (chart values: ``mlserver.x``)."""
        return path.replace("spec", self.name, 1) if self.from_chart else path

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
    adapters: list[AdapterConfig]
    server_configs: dict[str, Manifest] = field(default_factory=dict)
    manifests: list[Manifest] = field(default_factory=list)

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
            found, value = dig(values.obj, path)
            if found:
                return value, values
        return dig(SETUP_DEFAULTS, path)[1], None

    @property
    def native_server_autoscaling(self) -> bool:
        enabled, _ = self.setup_value("autoscaling", "autoscalingServerEnabled")
        return self.core >= (2, 9) and enabled is not False

    def scaling_spec(self, spec: dict) -> ScalingSpec | None:
        try:
            return validated_scaling_spec(
                int_or_none(spec.get("replicas")),
                int_or_none(spec.get("minReplicas")),
                int_or_none(spec.get("maxReplicas")),
                core_version=self.operator_version,
            )
        except ScalingSpecError:
            return None

    def hpas_targeting(self, kind: str, name: str) -> list[Manifest]:
        return [
            hpa
            for hpa in self.hpas
            if scale_target(hpa).get("kind") == kind and scale_target(hpa).get("name") == name
        ]

    def model_hpas(self) -> Iterator[tuple[Manifest, Manifest]]:
        """``(hpa, model)`` for each HPA whose scaleTargetRef is a Model of the setup."""
        for hpa in self.hpas:
            target = scale_target(hpa)
            if target.get("kind") == "Model" and target.get("name") in self.models:
                yield hpa, self.models[target["name"]]

    def server_hpas(self) -> Iterator[tuple[Manifest, ServerView]]:
        """``(hpa, server)`` for each HPA whose scaleTargetRef is a Server of the setup."""
        for hpa in self.hpas:
            target = scale_target(hpa)
            if target.get("kind") == "Server" and target.get("name") in self.servers:
                yield hpa, self.servers[target["name"]]

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
        models={m.name: m for m in manifests if is_seldon(m, "Model")},
        servers={},
        hpas=[m for m in manifests if m.kind == "HorizontalPodAutoscaler"],
        adapters=[c for m in manifests if (c := adapter_config(m)) is not None],
        server_configs={m.name: m for m in manifests if is_seldon(m, "ServerConfig")},
        manifests=list(manifests),
    )
    configs = {
        m.name: m.spec.get("podSpec") or {} for m in manifests if is_seldon(m, "ServerConfig")
    }
    for name in ("mlserver", "triton"):
        configs.setdefault(name, _default_server_config(setup, name))
    server_objects = [m for m in manifests if is_seldon(m, "Server")]
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
        _, field_ref = dig(entry, ("valueFrom", "resourceFieldRef"))
        container = containers.get(dig(field_ref, ("containerName",))[1] or "", {})
        _, memory = dig(container, ("resources", "requests", "memory"))
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


@dataclass(frozen=True)
class AdapterConfig:
    """A Prometheus Adapter ConfigMap among the inputs: its rules, or why it cannot load."""

    manifest: Manifest
    rules: tuple[AdapterRule, ...]
    error: str | None = None


def adapter_config(manifest: Manifest) -> AdapterConfig | None:
    """The adapter config of a ConfigMap manifest; None when it is not one."""
    try:
        config = load_config(manifest.obj)
    except AdapterConfigError as error:
        return AdapterConfig(manifest, (), str(error))
    if config is None:
        return None
    return AdapterConfig(manifest, tuple(parse_rules(config, configmap_name(manifest.obj))))


def hosted_models(setup: Setup, server: ServerView) -> list[Manifest]:
    """Models that may land on a Server: pinned to it, or unpinned and capable."""
    return [m for m in setup.models.values() if server in setup.servers_for(m)]


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


# -- small helpers ---------------------------------------------------------------------------


def dig(obj: Any, path: Sequence[str]) -> tuple[bool, Any]:
    for step in path:
        if not isinstance(obj, dict) or step not in obj:
            return False, None
        obj = obj[step]
    return True, obj


def is_seldon(manifest: Manifest, kind: str) -> bool:
    return manifest.kind == kind and manifest.api_version == SELDON_API_VERSION


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _safe_int(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def scale_target(hpa: Manifest) -> dict:
    return hpa.spec.get("scaleTargetRef") or {}


# -- a tree of manifests, as a user lays it out ------------------------------------------------

# Objects of one scenario: they belong to the directory (and namespace) they are written in.
_SCOPED_KINDS = frozenset({"Model", "HorizontalPodAutoscaler"})


def group_setups(manifests: Sequence[Manifest]) -> list[list[Manifest]]:
    """The manifests of each setup in a tree, in the order of their directories.

    A setup is a directory holding Models, Servers or HPAs, split by ``metadata.namespace``
    when objects there name different ones (an HPA only resolves targets in its own
    namespace; objects without a namespace, and adapter ConfigMaps, which live in the
    monitoring namespace, join each). It also holds the Servers,
    ServerConfigs, adapter ConfigMaps and helm values of the directories above it, those in
    folders without any Model, Server or HPA (an ``adapter/`` folder beside the setups), and
    every manifest that did not come from a file (dicts, text). Without any such directory
    everything is one setup.
    """

    def directory(m: Manifest) -> PurePath | None:
        return None if m.source.startswith("<") else PurePath(m.source).parent

    homes = sorted(
        {
            d
            for m in manifests
            if m.kind in ("Model", "Server", "HorizontalPodAutoscaler")
            if (d := directory(m)) is not None
        },
        key=str,
    )
    if not homes:
        return [list(manifests)] if manifests else []
    groups = []
    for home in homes:
        here = [m for m in manifests if directory(m) == home]
        namespaces = sorted({m.namespace for m in here if m.kind != "ConfigMap" and m.namespace})
        namespaces = namespaces or [None]
        for namespace in namespaces:
            groups.append(
                [
                    m
                    for m in manifests
                    if _in_setup(m, directory(m), home)
                    # the adapter's ConfigMap lives in the monitoring namespace, not the setup's
                    and (
                        m.kind == "ConfigMap"
                        or m.namespace is None
                        or namespace is None
                        or m.namespace == namespace
                    )
                ]
            )
    # Objects no setup took (an adapter ConfigMap in a sibling folder) are shared by all.
    taken = {id(m) for group in groups for m in group}
    orphans = [m for m in manifests if id(m) not in taken and m.kind not in _SCOPED_KINDS]
    return [[*group, *orphans] for group in groups]


def _in_setup(manifest: Manifest, directory: PurePath | None, home: PurePath) -> bool:
    if directory is None or directory == home:
        return True
    return directory in home.parents and manifest.kind not in _SCOPED_KINDS
