"""Server pods: the StatefulSet of a Server, each pod's Core 2 agent and its metrics.

A StatefulSet (``podManagementPolicy: Parallel``) starts missing ordinals after the pod start
latency and terminates the highest ordinals first. A terminating pod runs its ``preStop``
(``/terminate`` on the agent, which asks the scheduler to drain the replica) bounded by the
termination grace period, then disappears: requests still in flight on it fail, and the
scheduler removes the replica. Each agent loads/unloads models with configurable latencies
(unloads wait ``SELDON_UNLOAD_GRACE_PERIOD_SECONDS`` first), reports available memory with
over-commit, keeps the Prometheus counters of ``scheduler/pkg/metrics/agent.go`` and, for lag
autoscaling, the in-flight lag and last-used time of each model.

Agent settings come from the ``agent`` container env of the ServerConfig merged with the
Server's ``podSpec`` (later entries win), with the agent binary's defaults when unset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import simpy

from ..quantity import QuantityError, integer_value
from .capacity import NO_REQUESTS, Nodes, Resources
from .scheduler import SCALE_UP, model_scaling_trigger
from .scheduler_service import Scheduler, Version
from .settings import TwinSettings

INFER_TOTAL = "seldon_model_infer_total"
LOADED_GAUGE = "seldon_loaded_model_gauge"
# ``method_type`` of the counters, and the ``code`` of a served request per protocol: the HTTP
# status for REST, the gRPC code name for gRPC (scheduler/pkg/metrics/agent.go, v2.10.2)
REST, GRPC = "rest", "grpc"
SERVED_CODE = {REST: "200", GRPC: "OK"}


@dataclass(frozen=True)
class AgentConfig:
    """What an agent is started with (env of the ``agent`` container, binary defaults)."""

    capabilities: tuple[str, ...] = ("sklearn", "xgboost")
    memory_bytes: int = 1_000_000
    overcommit_percentage: int = 0
    lag_threshold: int = 30
    inactive_seconds: float = 30.0
    stats_period: float = 5.0
    unload_grace_seconds: float = 2.0

    @property
    def memory_with_overcommit(self) -> int:
        return self.memory_bytes + self.memory_bytes * self.overcommit_percentage // 100


class AgentConfigError(ValueError):
    """A Server/ServerConfig whose agent settings cannot be read (names object and field)."""


def agent_config(server: Mapping, server_config: Mapping | None) -> AgentConfig:
    """Resolve the agent settings of a Server from its ServerConfig and its own podSpec."""
    where = f"Server/{server.get('metadata', {}).get('name', '')}"
    containers: dict[str, dict] = {}
    for pod_spec in (
        ((server_config or {}).get("spec") or {}).get("podSpec") or {},
        (server.get("spec") or {}).get("podSpec") or {},
    ):
        for container in pod_spec.get("containers") or []:
            merged = containers.setdefault(container.get("name", ""), {"env": [], "requests": {}})
            merged["env"] += list(container.get("env") or [])
            merged["requests"].update((container.get("resources") or {}).get("requests") or {})
    env: dict[str, str] = {}
    for item in containers.get("agent", {"env": []})["env"]:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        ref = (item.get("valueFrom") or {}).get("resourceFieldRef")
        if ref:
            source = containers.get(ref.get("containerName", "agent"), {"requests": {}})
            resource = str(ref.get("resource", "")).removeprefix("requests.")
            if resource in source["requests"]:
                env[item["name"]] = str(source["requests"][resource])
    spec = server.get("spec") or {}
    defaults = AgentConfig()
    if spec.get("capabilities"):
        capabilities = tuple(c.strip() for c in spec["capabilities"])
    elif "SELDON_SERVER_CAPABILITIES" in env:
        capabilities = tuple(c.strip() for c in env["SELDON_SERVER_CAPABILITIES"].split(","))
    else:
        capabilities = defaults.capabilities
    capabilities += tuple(c.strip() for c in spec.get("extraCapabilities") or [])

    def number(name: str, default: float, convert: Callable = float):
        if name not in env:
            return default
        try:
            return convert(env[name])
        except (ValueError, QuantityError):
            raise AgentConfigError(
                f"{where}: agent env {name}: {env[name]!r} is not a number"
            ) from None

    return AgentConfig(
        capabilities=capabilities,
        memory_bytes=number("MEMORY_REQUEST", defaults.memory_bytes, integer_value),
        overcommit_percentage=number("SELDON_OVERCOMMIT_PERCENTAGE", 0, int),
        lag_threshold=number("SELDON_MODEL_INFERENCE_LAG_THRESHOLD", 30, int),
        inactive_seconds=number("SELDON_MODEL_INACTIVE_SECONDS_THRESHOLD", 30.0),
        stats_period=number("SELDON_SCALING_STATS_PERIOD_SECONDS", 5.0),
        unload_grace_seconds=number("SELDON_UNLOAD_GRACE_PERIOD_SECONDS", 2.0),
    )


@dataclass
class Agent:
    """The agent of one pod: loaded models, memory, counters, lag statistics."""

    server: str
    index: int
    config: AgentConfig
    loaded: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # internal -> ...
    # (model, model_internal, method_type, code) -> requests
    counters: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)
    last_used: dict[str, float] = field(default_factory=dict)
    # per (namespace, pod, counter key): the series identity and labels a scrape reports
    _labelled: dict[tuple, tuple[tuple, dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def available_memory(self) -> int:
        used = sum(memory for _, _, memory in self.loaded.values())
        return max(0, self.config.memory_with_overcommit - used)

    def count(self, model: str, internal: str, code: str, n: int, method_type: str = REST) -> None:
        key = (model, internal, method_type, code)
        self.counters[key] = self.counters.get(key, 0) + n

    def samples(self, namespace: str, pod: str) -> list[tuple[dict[str, str], float]]:
        """The agent's ``/metrics``: (labels, value) per series."""
        return [(labels, value) for _, labels, value in self.series(namespace, pod)]

    def series(self, namespace: str, pod: str) -> list[tuple[tuple, dict[str, str], float]]:
        """(identity, labels, value) per series, the identity being the sorted label pairs
        Prometheus keys a series by (kept per counter: a scrape reads every one)."""
        base = {
            "namespace": namespace,
            "pod": pod,
            "container": "agent",
            "endpoint": "metrics",
            "job": f"{namespace}/agent",
            "server": self.server,
            "server_replica": str(self.index),
        }
        out: list[tuple[tuple, dict[str, str], float]] = []
        for counter, value in sorted(self.counters.items()):
            labelled = self._labelled.get((namespace, pod, counter))
            if labelled is None:
                model, internal, method_type, code = counter
                labels = {
                    **base,
                    "__name__": INFER_TOTAL,
                    "model": model,
                    "model_internal": internal,
                    "method_type": method_type,
                    "code": code,
                }
                labelled = self._labelled[(namespace, pod, counter)] = (
                    tuple(sorted(labels.items())),
                    labels,
                )
            out.append((*labelled, float(value)))
        for internal in sorted(self.loaded):
            labels = {**base, "__name__": LOADED_GAUGE, "model_internal": internal}
            out.append((tuple(sorted(labels.items())), labels, 1.0))
        return out


@dataclass
class Pod:
    server: str
    ordinal: int
    agent: Agent
    started_at: float
    ready: bool = False
    connected: bool = False
    terminating: bool = False

    @property
    def name(self) -> str:
        return f"{self.server}-{self.ordinal}"


class StatefulSet:
    """The pods of one Server."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        config: AgentConfig,
        settings: TwinSettings,
        scheduler: Scheduler,
        on_pods_changed: Callable[[str], None],
        drop_replica: Callable[[str, int, str | None], None],
        *,
        nodes: Nodes | None = None,
        requests: Resources = NO_REQUESTS,
    ) -> None:
        self.env = env
        self.name = name
        # with modelled nodes a pod starts only once bound; without, every pod fits
        self.nodes = nodes
        self.requests = requests
        self.config = config
        self.settings = settings
        self.scheduler = scheduler
        self.on_pods_changed = on_pods_changed
        self.drop_replica = drop_replica
        self.replicas = 0
        self.pods: dict[int, Pod] = {}
        self.deleted = False

    @property
    def ready_replicas(self) -> int:
        return sum(1 for p in self.pods.values() if p.ready and not p.terminating)

    def set_replicas(self, replicas: int) -> None:
        self.replicas = replicas
        self._reconcile()

    def delete(self) -> None:
        self.deleted = True
        self.replicas = 0
        self._reconcile()

    def _reconcile(self) -> None:
        for ordinal in range(self.replicas):
            if ordinal not in self.pods:
                self._create(ordinal)
        for ordinal, pod in sorted(self.pods.items(), reverse=True):
            if ordinal >= self.replicas and not pod.terminating:
                pod.terminating = True
                self.env.process(self._terminate(pod))
        self.on_pods_changed(self.name)

    def _create(self, ordinal: int) -> None:
        agent = Agent(self.name, ordinal, self.config)
        pod = Pod(self.name, ordinal, agent, self.env.now)
        self.pods[ordinal] = pod
        if self.nodes is None or self.nodes.request(
            pod.name, self.requests, lambda: self._bound(pod)
        ):
            self.env.process(self._start(pod))

    def _bound(self, pod: Pod) -> None:
        """A Pending pod got a node: it starts from now."""
        if self.pods.get(pod.ordinal) is pod and not pod.terminating:
            pod.started_at = self.env.now
            self.env.process(self._start(pod))

    def _start(self, pod: Pod):
        yield self.env.timeout(self.settings.pod_start_seconds)
        if pod.terminating or self.pods.get(pod.ordinal) is not pod:
            return
        pod.ready = True
        pod.connected = True
        self.scheduler.agent_subscribe(
            self.name, pod.ordinal, self.config.capabilities, pod.agent.available_memory
        )
        self.on_pods_changed(self.name)
        if self.scheduler.model_autoscaling:
            self.env.process(self._analyse_lag(pod))

    def _terminate(self, pod: Pod):
        pod.ready = False
        self.on_pods_changed(self.name)
        grace = self.env.timeout(self.settings.termination_grace_seconds)
        if pod.connected:
            drain = self.env.process(self.scheduler.drain(self.name, pod.ordinal))
            yield drain | grace
        self.drop_replica(self.name, pod.ordinal, None)
        del self.pods[pod.ordinal]
        if self.nodes is not None:
            self.nodes.release(pod.name)
        if pod.connected:
            self.scheduler.remove_replica(self.name, pod.ordinal)
        self.env.process(self._recreate_if_wanted(pod.ordinal))

    def _recreate_if_wanted(self, ordinal: int):
        yield self.env.timeout(0)
        if ordinal < self.replicas and ordinal not in self.pods:
            self._create(ordinal)
        self.on_pods_changed(self.name)

    # -- agent RPCs ------------------------------------------------------------------------

    def load(self, index: int, version: Version) -> None:
        pod = self.pods.get(index)
        if pod is not None:
            self.env.process(self._load(pod, version))

    def _load(self, pod: Pod, version: Version):
        yield self.env.timeout(self.settings.model_load_seconds)
        if self.pods.get(pod.ordinal) is not pod:
            return
        agent = pod.agent
        if version.internal in agent.loaded:
            event = "LOADED"
        elif version.spec.memory > agent.available_memory:
            event = "LOAD_FAILED"
        else:
            agent.loaded[version.internal] = (version.name, version.version, version.spec.memory)
            agent.last_used[version.internal] = self.env.now
            agent.lag[version.internal] = 0
            event = "LOADED"
        self.scheduler.agent_event(
            self.name, pod.ordinal, version.name, version.version, event, agent.available_memory
        )

    def unload(self, index: int, version: Version) -> None:
        pod = self.pods.get(index)
        if pod is not None:
            self.env.process(self._unload(pod, version))

    def _unload(self, pod: Pod, version: Version):
        yield self.env.timeout(pod.agent.config.unload_grace_seconds)
        if self.pods.get(pod.ordinal) is not pod:
            return
        self.drop_replica(self.name, pod.ordinal, version.internal)
        yield self.env.timeout(self.settings.model_unload_seconds)
        if self.pods.get(pod.ordinal) is not pod:
            return
        agent = pod.agent
        agent.loaded.pop(version.internal, None)
        agent.lag.pop(version.internal, None)
        agent.last_used.pop(version.internal, None)
        self.scheduler.agent_event(
            self.name,
            pod.ordinal,
            version.name,
            version.version,
            "UNLOADED",
            agent.available_memory,
        )

    def _analyse_lag(self, pod: Pod):
        """``stats_analyser.go``: every period, lag >= threshold => up (lag reset), idle => down."""
        config = pod.agent.config
        while self.pods.get(pod.ordinal) is pod and not pod.terminating:
            yield self.env.timeout(config.stats_period)
            agent = pod.agent
            for internal, (name, number, _) in list(agent.loaded.items()):
                record = self.scheduler.models.get(name)
                version = None if record is None else record.latest
                if version is None or not self.scheduler.autoscaling_enabled_for(version):
                    continue
                trigger = model_scaling_trigger(
                    agent.lag.get(internal, 0),
                    config.lag_threshold,
                    self.env.now - agent.last_used.get(internal, self.env.now),
                    config.inactive_seconds,
                )
                if trigger == SCALE_UP:
                    agent.lag[internal] = 0
                if trigger is not None:
                    self.scheduler.model_scaling_trigger(name, number, up=trigger == SCALE_UP)
