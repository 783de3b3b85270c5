"""Cluster capacity: nodes, Server pod requests, the kube-scheduler's fit, a cluster autoscaler.

Core 2's docs: "It is important for the cluster to have sufficient resources for creating the
total number of desired server replicas set by the HPA CRs across all the models at a given
time." This module answers that from plain data:

* :class:`NodePool` — nodes with their allocatable CPU and memory (:func:`pool_from_node`
  reads one from a ``kind: Node`` manifest). The default,
  :data:`KIND_CI_POOL`, is one kind node on a GitHub-hosted runner (4 vCPU, 16 GiB: a kind node
  reports its host's capacity as allocatable) less the requests of kind's own pods
  (:data:`KIND_SYSTEM_REQUESTS`). Pools can grow up to ``max_nodes`` (a cluster autoscaler).
* :func:`pod_requests` — a pod's effective requests as the scheduler counts them
  (``max(sum of containers + restartable init containers, largest init container)``), and
  :func:`server_pod_spec` — a Server pod's spec: its ServerConfig's podSpec with the Server's
  ``spec.podSpec`` containers merged over it by name, as the operator renders it.
* :func:`schedule_pods` — one pod after another on the feasible node with the most free
  resources (``NodeResourcesFit`` filter, ``LeastAllocated`` score); a pod that fits nowhere
  stays Pending with the kube-scheduler's message (:func:`fit_error_message`).
* :func:`scale_up_for` — the nodes a cluster autoscaler adds so Pending pods fit;
* :func:`max_server_replicas` and :func:`check_capacity` — the whole setup with every HPA at
  maxReplicas at once (the suites' check CAP-01), :func:`model_shortfalls` what Models see;
* :class:`Nodes` — the thin SimPy shell ``TwinCluster(node_pools=...)`` binds Server pods with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import simpy

from ..quantity import QuantityError, integer_value, milli_value
from .scheduler import NOT_ENOUGH_REPLICAS

CPU = "cpu"
MEMORY = "memory"


class CapacityError(ValueError):
    """A node pool or pod spec the capacity model cannot read."""


@dataclass(frozen=True)
class Resources:
    """CPU in millicores and memory in bytes."""

    cpu: int = 0
    memory: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory)

    def describe(self) -> str:
        return f"cpu {self.cpu}m, memory {self.memory / 2**20:.0f}Mi"


# kind's own pods on its single node (kubeadm static pods, CoreDNS ×2, kindnet): their requests
# are taken from the node before any Server pod is scheduled.
KIND_SYSTEM_REQUESTS = Resources(
    cpu=250 + 200 + 100 + 100 + 2 * 100 + 100, memory=(100 + 2 * 70 + 50) * 2**20
)


@dataclass(frozen=True)
class NodePool:
    """Identical nodes: ``nodes`` now, up to ``max_nodes`` with a cluster autoscaler that takes
    ``provisioning_seconds`` to bring a node up. ``reserved`` is taken from every node."""

    name: str
    allocatable: Resources
    nodes: int = 1
    max_nodes: int = 0  # 0: the pool does not grow
    provisioning_seconds: float = 0.0
    reserved: Resources = Resources()

    def node_names(self, count: int | None = None) -> list[str]:
        return [f"{self.name}-{i}" for i in range(self.nodes if count is None else count)]

    @property
    def free_per_node(self) -> Resources:
        return self.allocatable - self.reserved


NO_REQUESTS = Resources()

KIND_CI_POOL = NodePool(
    "kind-control-plane",
    Resources(cpu=4000, memory=16 * 2**30),
    nodes=1,
    reserved=KIND_SYSTEM_REQUESTS,
)


def node_pool(spec: Mapping, where: str = "node pool") -> NodePool:
    """A pool from plain data: ``{name, cpu, memory, nodes, maxNodes, provisioningSeconds}``."""
    try:
        name = str(spec["name"])
        allocatable = Resources(milli_value(spec[CPU]), integer_value(spec[MEMORY]))
    except KeyError as missing:
        raise CapacityError(f"{where}: {missing.args[0]}: required") from None
    except QuantityError as error:
        raise CapacityError(f"{where}: {error}") from None
    nodes = int(spec.get("nodes", 1))
    max_nodes = int(spec.get("maxNodes", 0))
    if nodes < 0 or (max_nodes and max_nodes < nodes):
        raise CapacityError(f"{where} {name}: nodes {nodes} and maxNodes {max_nodes} out of order")
    return NodePool(
        name,
        allocatable,
        nodes,
        max_nodes,
        float(spec.get("provisioningSeconds", 0.0)),
    )


MAX_NODES_ANNOTATION = "seldon-scaling/max-nodes"
PROVISIONING_ANNOTATION = "seldon-scaling/provisioning-seconds"


def pool_from_node(node: Mapping, where: str = "") -> NodePool:
    """A pool of one ``kind: Node`` manifest: its ``status.allocatable``; the annotations
    ``seldon-scaling/max-nodes`` and ``seldon-scaling/provisioning-seconds`` let a cluster
    autoscaler grow it to that many such nodes, each that long after a pod stays Pending."""
    name = str((node.get("metadata") or {}).get("name", "node"))
    where = where or f"Node/{name}"
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    annotations = (node.get("metadata") or {}).get("annotations") or {}
    numbers: dict[str, float] = {}
    for key, annotation, parse in (
        ("maxNodes", MAX_NODES_ANNOTATION, int),
        ("provisioningSeconds", PROVISIONING_ANNOTATION, float),
    ):
        value = annotations.get(annotation, 0)
        try:
            numbers[key] = parse(value)
        except (TypeError, ValueError):
            raise CapacityError(
                f"{where}: metadata.annotations.{annotation}: {value!r} is not a number"
            ) from None
        if numbers[key] < 0:
            raise CapacityError(f"{where}: metadata.annotations.{annotation}: must be >= 0")
    return node_pool(
        {"name": name, **{k: allocatable[k] for k in (CPU, MEMORY) if k in allocatable}, **numbers},
        f"{where} status.allocatable",
    )


# -- pod requests ----------------------------------------------------------------------------


def _container_requests(container: Mapping, where: str) -> Resources:
    requests = (container.get("resources") or {}).get("requests") or {}
    try:
        return Resources(
            milli_value(requests[CPU]) if CPU in requests else 0,
            integer_value(requests[MEMORY]) if MEMORY in requests else 0,
        )
    except QuantityError as error:
        raise CapacityError(f"{where} container {container.get('name')}: {error}") from None


def pod_requests(pod_spec: Mapping, where: str = "podSpec") -> Resources:
    """The pod's effective requests (``resourcehelper.PodRequests``): the containers plus the
    restartable (sidecar) init containers, or the largest init container if that is more."""
    total = Resources()
    for container in pod_spec.get("containers") or []:
        total += _container_requests(container, where)
    largest_init = Resources()
    for container in pod_spec.get("initContainers") or []:
        requests = _container_requests(container, where)
        if container.get("restartPolicy") == "Always":
            total += requests
        else:
            largest_init = Resources(
                max(largest_init.cpu, requests.cpu), max(largest_init.memory, requests.memory)
            )
    return Resources(max(total.cpu, largest_init.cpu), max(total.memory, largest_init.memory))


def server_pod_spec(server_config_pod_spec: Mapping, server_pod_spec: Mapping | None) -> dict:
    """The Server pod's spec: the Server's ``spec.podSpec`` merged over its ServerConfig's the
    way a strategic merge patch does it (maps merged key by key, containers matched by name, a
    container the ServerConfig lacks added), so ``{name: mlserver, resources: {requests: {cpu:
    250m}}}`` keeps the ServerConfig's memory request."""
    merged = _merge(dict(server_config_pod_spec), dict(server_pod_spec or {}))
    return merged


def _merge(base: dict, override: Mapping) -> dict:
    for key, value in override.items():
        if key in ("containers", "initContainers") and isinstance(value, list):
            by_name = {c.get("name"): i for i, c in enumerate(base.get(key) or [])}
            containers = [dict(c) for c in base.get(key) or []]
            for container in value:
                if container.get("name") in by_name:
                    index = by_name[container.get("name")]
                    containers[index] = _merge(containers[index], container)
                else:
                    containers.append(dict(container))
            base[key] = containers
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            base[key] = _merge(dict(base[key]), value)
        else:
            base[key] = value
    return base


# -- scheduling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingPod:
    """A pod waiting for a node, with the message its FailedScheduling event carries."""

    name: str
    requests: Resources
    message: str


@dataclass
class Placement:
    """Where pods went: node per bound pod, the Pending ones, and each node's free resources."""

    bound: dict[str, str] = field(default_factory=dict)
    pending: list[PendingPod] = field(default_factory=list)
    free: dict[str, Resources] = field(default_factory=dict)


def insufficient(requests: Resources, free: Resources) -> list[str]:
    """``NodeResourcesFit``'s reasons a node cannot take the pod."""
    reasons = []
    if requests.cpu > free.cpu:
        reasons.append("Insufficient cpu")
    if requests.memory > free.memory:
        reasons.append("Insufficient memory")
    return reasons


def fit_error_message(node_count: int, reasons: Counter[str]) -> str:
    """``FitError.Error()``: ``0/N nodes are available: `` and the reasons counted over nodes,
    sorted as strings, e.g. ``0/1 nodes are available: 1 Insufficient memory.``"""
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    return f"0/{node_count} nodes are available: {', '.join(histogram)}."


def _score(requests: Resources, free: Resources, allocatable: Resources) -> float:
    """``LeastAllocated``: the mean fraction of CPU and memory left after placing the pod."""
    cpu = (free.cpu - requests.cpu) / allocatable.cpu if allocatable.cpu else 0.0
    memory = (free.memory - requests.memory) / allocatable.memory if allocatable.memory else 0.0
    return (cpu + memory) / 2


def nodes_of(pools: Sequence[NodePool], extra: Mapping[str, int] | None = None) -> dict:
    """Node name -> (allocatable, free) for the pools' current nodes plus ``extra`` per pool."""
    nodes = {}
    for pool in pools:
        for name in pool.node_names(pool.nodes + (extra or {}).get(pool.name, 0)):
            nodes[name] = (pool.allocatable, pool.free_per_node)
    return nodes


def choose_node(
    requests: Resources,
    free: Mapping[str, Resources],
    allocatable: Mapping[str, Resources],
) -> tuple[str | None, str]:
    """One pod's scheduling cycle: the feasible node with the highest LeastAllocated score
    (ties: the first by name), or None and the FitError message."""
    reasons: Counter[str] = Counter()
    best, best_score = None, -1.0
    for name in sorted(free):
        missing = insufficient(requests, free[name])
        if missing:
            reasons.update(missing)
            continue
        score = _score(requests, free[name], allocatable[name])
        if score > best_score:
            best, best_score = name, score
    return best, "" if best is not None else fit_error_message(len(free), reasons)


def schedule_pods(
    pods: Sequence[tuple[str, Resources]], nodes: Mapping[str, tuple[Resources, Resources]]
) -> Placement:
    """Bind pods in order with :func:`choose_node`; pods that fit nowhere stay Pending."""
    placement = Placement(free={name: free for name, (_, free) in nodes.items()})
    allocatable = {name: total for name, (total, _) in nodes.items()}
    for pod, requests in pods:
        node, message = choose_node(requests, placement.free, allocatable)
        if node is None:
            placement.pending.append(PendingPod(pod, requests, message))
        else:
            placement.bound[pod] = node
            placement.free[node] = placement.free[node] - requests
    return placement


def scale_up_for(
    pools: Sequence[NodePool], pods: Sequence[tuple[str, Resources]]
) -> tuple[dict[str, int], Placement]:
    """What a cluster autoscaler adds: one node at a time to the first pool (in order) that
    can still grow and whose empty node would take a Pending pod, until every pod fits or no
    pool can help. Returns the nodes added per pool and the placement with them."""
    added: dict[str, int] = {}
    placement = schedule_pods(pods, nodes_of(pools))
    while placement.pending:
        grown = False
        for pool in pools:
            room = pool.max_nodes - pool.nodes - added.get(pool.name, 0)
            takes_one = any(
                not insufficient(p.requests, pool.free_per_node) for p in placement.pending
            )
            if room > 0 and takes_one:
                added[pool.name] = added.get(pool.name, 0) + 1
                grown = True
                break
        if not grown:
            break
        placement = schedule_pods(pods, nodes_of(pools, added))
    return added, placement


# -- the whole setup at its maximum ----------------------------------------------------------


def _max_replicas_by_target(hpas: Iterable[Mapping], kind: str) -> dict[str, int]:
    found = {}
    for hpa in hpas:
        spec = hpa.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        if target.get("kind") == kind and isinstance(spec.get("maxReplicas"), int):
            found[str(target.get("name"))] = spec["maxReplicas"]
    return found


def max_server_replicas(
    servers: Mapping[str, Mapping],
    models: Mapping[str, Mapping],
    hpas: Sequence[Mapping],
    server_autoscaling: bool,
) -> dict[str, int]:
    """Server pods when every HPA sits at ``maxReplicas`` at once, from plain specs.

    A Server with an HPA of its own runs that HPA's maxReplicas. Otherwise, with Core 2's server
    autoscaling, it grows to the most replicas any Model pinned to it (``spec.server``) can
    ask for — its HPA's maxReplicas, else its ``maxReplicas``, else its ``replicas`` — capped by
    the Server's ``maxReplicas``; without it, the Server keeps ``spec.replicas``.
    """
    server_hpas = _max_replicas_by_target(hpas, "Server")
    model_hpas = _max_replicas_by_target(hpas, "Model")
    counts = {}
    for name, spec in servers.items():
        replicas = int(spec.get("replicas") or 1)
        if name in server_hpas:
            counts[name] = server_hpas[name]
            continue
        if server_autoscaling:
            wanted = [
                model_hpas.get(model)
                or int(mspec.get("maxReplicas") or 0)
                or int(mspec.get("replicas") or 1)
                for model, mspec in models.items()
                if mspec.get("server") == name
            ]
            replicas = max([replicas, *wanted])
            cap = int(spec.get("maxReplicas") or 0)
            if cap > 0:
                replicas = min(replicas, cap)
        counts[name] = replicas
    return counts


@dataclass(frozen=True)
class CapacityReport:
    """Whether every Server pod fits when every HPA is at maxReplicas at once."""

    pods: dict[str, int]  # Server -> pods at the maximum
    requests: dict[str, Resources]  # Server -> requests of one pod
    nodes_added: dict[str, int]  # pool -> nodes a cluster autoscaler adds
    pending: list[PendingPod]

    @property
    def fits(self) -> bool:
        return not self.pending


def check_capacity(
    pools: Sequence[NodePool],
    server_pods: Mapping[str, int],
    pod_specs: Mapping[str, Mapping],
) -> CapacityReport:
    """Schedule every Server's pods at their maximum onto the pools, growing pools that can
    grow, and report what stays Pending."""
    requests = {name: pod_requests(pod_specs[name], f"Server {name}") for name in server_pods}
    # ordinal by ordinal across Servers: each Server's first pods exist before any scales up
    pods = [
        (f"{name}-{ordinal}", requests[name])
        for ordinal in range(max(server_pods.values(), default=0))
        for name in sorted(server_pods)
        if ordinal < server_pods[name]
    ]
    added, placement = scale_up_for(pools, pods)
    return CapacityReport(dict(server_pods), requests, added, placement.pending)


def model_shortfalls(
    report: CapacityReport,
    models: Mapping[str, Mapping],
    hpas: Sequence[Mapping],
) -> list[str]:
    """What the Models see while Server pods are Pending: each pinned Model whose maximum
    replicas exceed the pods of its Server that fit."""
    pending_by_server = Counter(p.name.rsplit("-", 1)[0] for p in report.pending)
    model_hpas = _max_replicas_by_target(hpas, "Model")
    lines = []
    for model, spec in sorted(models.items()):
        server = spec.get("server")
        if server not in report.pods:
            continue
        running = report.pods[server] - pending_by_server[server]
        wanted = (
            model_hpas.get(model)
            or int(spec.get("maxReplicas") or 0)
            or int(spec.get("replicas") or 1)
        )
        if wanted > running:
            meanwhile = (
                f"while its {running} loaded replica(s) keep serving"
                if running
                else "and no replica serves"
            )
            lines.append(
                f"Model {model} wants {wanted} replicas but only {running} pod(s) of Server "
                f'{server} fit: ScheduleFailed ("{NOT_ENOUGH_REPLICAS}") {meanwhile}'
            )
    return lines


# -- the twin's nodes (a thin SimPy shell over the functions above) --------------------------


class Nodes:
    """The twin's nodes: binds Server pods as they are created, keeps the ones that fit
    nowhere Pending (a ``FailedScheduling`` event with the kube-scheduler's message), binds
    them when a pod leaves or a node arrives, and lets a cluster autoscaler add nodes to pools
    that can grow (``provisioning_seconds`` later)."""

    def __init__(
        self,
        env: simpy.Environment,
        pools: Sequence[NodePool],
        record_event: Callable[[float, str, str, str], None],
    ) -> None:
        self.env = env
        self.pools = list(pools)
        self._record_event = record_event
        self.allocatable: dict[str, Resources] = {}
        self.free: dict[str, Resources] = {}
        self._pool_nodes = {pool.name: 0 for pool in self.pools}
        self._in_flight = {pool.name: 0 for pool in self.pools}
        for pool in self.pools:
            for _ in range(pool.nodes):
                self._add_node(pool)
        self.bound: dict[str, tuple[str, Resources]] = {}  # pod -> (node, requests)
        self.pending: dict[str, tuple[Resources, Callable[[], None]]] = {}  # pod -> (req, cb)
        self.pending_messages: dict[str, str] = {}  # pod -> its last FailedScheduling message

    def _add_node(self, pool: NodePool) -> None:
        name = f"{pool.name}-{self._pool_nodes[pool.name]}"
        self._pool_nodes[pool.name] += 1
        self.allocatable[name] = pool.allocatable
        self.free[name] = pool.free_per_node

    def request(self, pod: str, requests: Resources, on_bound: Callable[[], None]) -> bool:
        """Bind ``pod`` now (True) or keep it Pending until ``on_bound()`` can be called."""
        node, message = choose_node(requests, self.free, self.allocatable)
        if node is not None:
            self._bind(pod, node, requests)
            return True
        self.pending[pod] = (requests, on_bound)
        self.pending_messages[pod] = message
        self._record_event(self.env.now, f"pod/{pod}", "FailedScheduling", message)
        self._scale_up()
        return False

    def release(self, pod: str) -> None:
        """The pod is gone (or was never bound): free its node and retry Pending pods."""
        if self.pending.pop(pod, None) is not None:
            # no Kubernetes component reports it; the timeline closes the pod's Pending period
            self._record_event(self.env.now, f"pod/{pod}", "Deleted", "deleted while Pending")
        self.pending_messages.pop(pod, None)
        binding = self.bound.pop(pod, None)
        if binding is not None:
            node, requests = binding
            self.free[node] = self.free[node] + requests
            self._retry()

    def _bind(self, pod: str, node: str, requests: Resources) -> None:
        self.bound[pod] = (node, requests)
        self.free[node] = self.free[node] - requests
        self._record_event(self.env.now, f"pod/{pod}", "Scheduled", f"assigned to {node}")

    def _retry(self) -> None:
        for pod, (requests, on_bound) in list(self.pending.items()):
            node, _ = choose_node(requests, self.free, self.allocatable)
            if node is not None:
                del self.pending[pod]
                del self.pending_messages[pod]
                self._bind(pod, node, requests)
                on_bound()

    def _scale_up(self) -> None:
        """Add the nodes the Pending pods need beyond those already on their way (the cluster
        autoscaler counts upcoming nodes: a second Pending pod that fits on one does not add
        another); each pod the upcoming nodes cannot take gets a ``TriggeredScaleUp`` event."""
        waiting = [(pod, requests) for pod, (requests, _) in self.pending.items()]
        if not waiting:
            return
        # only the Pending pods, onto empty nodes: the upcoming ones, then what a pool may add
        upcoming = [
            NodePool(
                p.name,
                p.allocatable,
                self._in_flight[p.name],
                p.max_nodes - self._pool_nodes[p.name],
                0.0,
                p.reserved,
            )
            for p in self.pools
        ]
        added, placement = scale_up_for(upcoming, waiting)
        if not added:
            return
        # the pods the upcoming nodes alone leave Pending are the ones that triggered it
        without = schedule_pods(waiting, nodes_of(upcoming)).pending
        triggered = [p.name for p in without if p.name in placement.bound]
        growth = []
        for pool in self.pools:
            count = added.get(pool.name, 0)
            if count:
                before = self._pool_nodes[pool.name] + self._in_flight[pool.name]
                growth.append(f"{pool.name} {before}->{before + count} (max: {pool.max_nodes})")
                self._in_flight[pool.name] += count
                self.env.process(self._provision(pool, count))
        for pod in triggered:
            self._record_event(
                self.env.now,
                f"pod/{pod}",
                "TriggeredScaleUp",
                f"pod triggered scale-up: [{', '.join(growth)}]",
            )

    def _provision(self, pool: NodePool, count: int):
        yield self.env.timeout(pool.provisioning_seconds)
        for _ in range(count):
            self._in_flight[pool.name] -= 1
            self._add_node(pool)
        self._retry()
