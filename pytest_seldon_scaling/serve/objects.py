"""Everything the served API shows, rendered from the twin in the shapes Core 2 creates.

Store objects (Models, Servers, ServerConfigs, HPAs, ConfigMaps) come from the twin's store.
Pods and StatefulSets of each Server come from the twin's agents, labelled as the Core 2
operator labels them (``seldon-server-name``, ``app.kubernetes.io/name: seldon-server``).
The control plane the kube backend looks for (``seldon-scheduler`` StatefulSet, the
``seldon-mesh`` Service) is rendered as the operator's service reconciler creates it
(SeldonIO/seldon-core v2.10.2, ``operator/controllers/reconcilers/seldon/service_reconciler.go``:
a LoadBalancer, port ``data`` -> target ``http``, port ``stats`` -> ``envoy-stats``), except
that ``data`` carries the port the served mesh listens on, so the LoadBalancer address is
reachable from this machine. Events are the twin timeline's events. Nodes are the twin's node
model (:mod:`..twin.capacity`): each reports its pool's allocatable CPU and memory as capacity
and allocatable, as a kind node does (its host's resources, nothing reserved by the kubelet);
Server pods name the node they are bound to, and one that fits nowhere is Pending with the
kube-scheduler's ``Unschedulable`` message.

The twin stamps objects with its virtual clock (which starts at 2026-01-01); every timestamp is
moved to the wall clock of the serving process, so ``kubectl`` ages read right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

from ..cluster import KINDS
from ..twin.capacity import Resources
from ..twin.cluster import TwinCluster
from ..twin.controller import EPOCH
from .changes import Key
from .resources import BY_TWIN_KIND, custom_resource_definitions

AGENT_METRICS_PORT = 9006
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_RESCALE = re.compile(r"^(hpa/[^:]+): (New size: .*)$")
KUBELET_VERSION = "v1.32.0"
UNMODELLED_NODE = "seldon-twin"  # a twin without node pools: every pod fits, no Node is served
WARNING_REASONS = frozenset({"ScheduleFailed", "ReconcileFailed", "FailedUpdate"})


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def virtual_seconds(text: str) -> float:
    """The twin's virtual instant of one of its RFC 3339 timestamps."""
    return (datetime.fromisoformat(text.replace("Z", "+00:00")) - EPOCH).total_seconds()


def retimed(obj: object, wall: Callable[[float], float]) -> object:
    """A copy of ``obj`` with every twin timestamp moved to the wall clock."""
    if isinstance(obj, dict):
        return {k: retimed(v, wall) for k, v in obj.items()}
    if isinstance(obj, list):
        return [retimed(v, wall) for v in obj]
    if isinstance(obj, str) and _TIMESTAMP.match(obj):
        return rfc3339(wall(virtual_seconds(obj)))
    return obj


def server_pod_labels(server: str, ordinal: int) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "seldon-server",
        "seldon-server-name": server,
        "apps.kubernetes.io/pod-index": str(ordinal),
        "statefulset.kubernetes.io/pod-name": f"{server}-{ordinal}",
    }


def pod(
    namespace: str,
    name: str,
    labels: dict[str, str],
    containers: list[str],
    *,
    created: str,
    ready: bool,
    running: bool,
    deleting: str | None = None,
    owner: tuple[str, str] | None = None,
    node: str | None = None,
    unschedulable: str | None = None,
) -> dict:
    """A pod; ``node`` None with ``unschedulable`` (the FailedScheduling message): Pending."""
    metadata: dict = {
        "name": name,
        "namespace": namespace,
        "uid": f"pod-{name}-{created}",
        "creationTimestamp": created,
        "labels": labels,
    }
    if owner is not None:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}
        ]
    if deleting is not None:
        metadata["deletionTimestamp"] = deleting
        metadata["deletionGracePeriodSeconds"] = 120
    spec_containers = []
    for container in containers:
        entry: dict = {"name": container}
        if container == "agent":
            entry["ports"] = [
                {"name": "metrics", "containerPort": AGENT_METRICS_PORT, "protocol": "TCP"}
            ]
        spec_containers.append(entry)
    condition = "True" if ready else "False"
    spec: dict = {"containers": spec_containers}
    scheduled: dict = {"type": "PodScheduled", "status": "True"}
    if node is not None:
        spec["nodeName"] = node
    else:
        scheduled = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": unschedulable or "",
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {
            "phase": "Running" if running else "Pending",
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": condition},
                {"type": "ContainersReady", "status": condition},
                scheduled,
            ],
            "containerStatuses": [
                {
                    "name": c,
                    "ready": ready,
                    "started": running,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": created}}
                    if running
                    else {"waiting": {"reason": "ContainerCreating"}},
                }
                for c in containers
            ],
            "startTime": created,
            "podIP": "127.0.0.1",
        },
    }


def statefulset(
    namespace: str, name: str, selector: dict, replicas: int, current: int, ready: int, created: str
) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"sts-{name}",
            "creationTimestamp": created,
            "labels": dict(selector),
        },
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": dict(selector)},
        },
        "status": {
            "replicas": current,
            "currentReplicas": current,
            "readyReplicas": ready,
            "availableReplicas": ready,
        },
    }


def mesh_service(namespace: str, port: int, created: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "seldon-mesh",
            "namespace": namespace,
            "uid": "svc-seldon-mesh",
            "creationTimestamp": created,
            "labels": {"app.kubernetes.io/name": "seldon-envoy"},
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app.kubernetes.io/name": "seldon-envoy"},
            "clusterIP": "127.0.0.1",
            "ports": [
                {"name": "data", "port": port, "targetPort": "http", "protocol": "TCP"},
                {"name": "stats", "port": 9003, "targetPort": "envoy-stats", "protocol": "TCP"},
            ],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}},
    }


def quantity_of(resources: Resources) -> dict[str, str]:
    """CPU and memory as a kubelet reports them (``4``, ``3500m``; memory in ``Ki``)."""
    cpu = f"{resources.cpu // 1000}" if resources.cpu % 1000 == 0 else f"{resources.cpu}m"
    return {"cpu": cpu, "memory": f"{resources.memory // 1024}Ki", "pods": "110"}


def node_object(name: str, allocatable: Resources, created: str) -> dict:
    """A ready kind node: its host's resources as capacity and allocatable alike."""
    quantities = quantity_of(allocatable)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"node-{name}",
            "creationTimestamp": created,
            "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {},
        "status": {
            "capacity": dict(quantities),
            "allocatable": dict(quantities),
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def namespace_object(name: str, created: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": f"ns-{name}",
            "creationTimestamp": created,
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


class Renderer:
    """Renders the twin's current state (with caches: only what changed is rebuilt)."""

    def __init__(
        self, cluster: TwinCluster, wall: Callable[[float], float], mesh_port: int
    ) -> None:
        self.cluster = cluster
        self.wall = wall
        self.mesh_port = mesh_port
        self._store_cache: dict[str, tuple[str, Key, dict]] = {}
        self._events: list[tuple[Key, dict]] = []
        self._deleting: dict[str, str] = {}
        self._started = rfc3339(wall(cluster.now()))
        self._crds = custom_resource_definitions()
        for crd in self._crds:
            crd["metadata"]["creationTimestamp"] = self._started
            crd["metadata"]["uid"] = f"crd-{crd['metadata']['name']}"

    def created(self, t: float) -> str:
        return rfc3339(self.wall(t))

    def render(self) -> dict[Key, dict]:
        out: dict[Key, dict] = {}
        self._store_objects(out)
        self._workloads(out)
        self._control_plane(out)
        self._nodes(out)
        self._timeline_events(out)
        return out

    def _nodes(self, out: dict[Key, dict]) -> None:
        nodes = self.cluster.controller.nodes
        for name, allocatable in sorted((nodes.allocatable if nodes else {}).items()):
            out[("nodes", "", name)] = node_object(name, allocatable, self._started)

    def _node_of(self, pod_name: str) -> str | None:
        """The node a pod is bound to; without a node model, the one node every pod fits on."""
        nodes = self.cluster.controller.nodes
        if nodes is None:
            return UNMODELLED_NODE
        bound = nodes.bound.get(pod_name)
        return None if bound is None else bound[0]

    def _first_node(self) -> str:
        nodes = self.cluster.controller.nodes
        return min(nodes.allocatable) if nodes and nodes.allocatable else UNMODELLED_NODE

    def _store_objects(self, out: dict[Key, dict]) -> None:
        store = self.cluster.store
        seen = set()
        for ref_kind, resource in BY_TWIN_KIND.items():
            for ref in store.refs(ref_kind):
                seen.add(ref)
                stored = store.peek(ref)
                if stored is None:
                    continue
                version = stored["metadata"].get("resourceVersion", "")
                cached = self._store_cache.get(ref)
                if cached is None or cached[0] != version:
                    obj = retimed(stored, self.wall)
                    assert isinstance(obj, dict)
                    obj["metadata"].pop("resourceVersion", None)
                    namespace = obj["metadata"].get("namespace") or self.cluster.namespace
                    key = (resource.plural, namespace, obj["metadata"]["name"])
                    cached = self._store_cache[ref] = (version, key, obj)
                out[cached[1]] = cached[2]
        for ref in [r for r in self._store_cache if r not in seen]:
            del self._store_cache[ref]

    def _workloads(self, out: dict[Key, dict]) -> None:
        namespace = self.cluster.namespace
        store = self.cluster.store
        for name, sts in sorted(self.cluster.controller.statefulsets.items()):
            server = store.peek(f"server/{name}")
            if server is None and not sts.pods:
                continue
            created = (server or {}).get("metadata", {}).get("creationTimestamp")
            created = rfc3339(self.wall(virtual_seconds(created))) if created else self._started
            config = ((server or {}).get("spec") or {}).get("serverConfig") or "mlserver"
            ready = 0
            for ordinal, twin_pod in sorted(sts.pods.items()):
                pod_name = twin_pod.name
                deleting = None
                if twin_pod.terminating:
                    deleting = self._deleting.setdefault(pod_name, self.created(self.cluster.now()))
                else:
                    self._deleting.pop(pod_name, None)
                ready += twin_pod.ready and not twin_pod.terminating
                out[("pods", namespace, pod_name)] = pod(
                    namespace,
                    pod_name,
                    server_pod_labels(name, ordinal),
                    ["rclone", "agent", config],
                    created=self.created(twin_pod.started_at),
                    ready=twin_pod.ready,
                    running=twin_pod.ready or twin_pod.terminating,
                    deleting=deleting,
                    owner=("StatefulSet", name),
                    node=self._node_of(pod_name),
                    unschedulable=self.cluster.pending_pods().get(pod_name),
                )
            if server is not None:
                out[("statefulsets", namespace, name)] = statefulset(
                    namespace,
                    name,
                    {"seldon-server-name": name},
                    sts.replicas,
                    len(sts.pods),
                    ready,
                    created,
                )

    def _control_plane(self, out: dict[Key, dict]) -> None:
        namespace = self.cluster.namespace
        started = self._started
        scheduler = {"app.kubernetes.io/name": "seldon-scheduler"}
        out[("statefulsets", namespace, "seldon-scheduler")] = statefulset(
            namespace, "seldon-scheduler", scheduler, 1, 1, 1, started
        )
        control_plane = (
            ("seldon-scheduler-0", scheduler, ["scheduler"], ("StatefulSet", "seldon-scheduler")),
            ("seldon-envoy-0", {"app.kubernetes.io/name": "seldon-envoy"}, ["envoy"], None),
            (
                "seldon-controller-manager-0",
                {"control-plane": "seldon-controller-manager"},
                ["manager"],
                None,
            ),
        )
        for name, labels, containers, owner in control_plane:
            out[("pods", namespace, name)] = pod(
                namespace,
                name,
                labels,
                containers,
                created=started,
                ready=True,
                running=True,
                owner=owner,
                node=self._first_node(),
            )
        out[("services", namespace, "seldon-mesh")] = mesh_service(
            namespace, self.mesh_port, started
        )
        for name in sorted({namespace, "default", "kube-system", *self._configmap_namespaces()}):
            out[("namespaces", "", name)] = namespace_object(name, started)
        for crd in self._crds:
            out[("customresourcedefinitions", "", crd["metadata"]["name"])] = crd

    def _configmap_namespaces(self) -> set[str]:
        return {
            obj["metadata"].get("namespace") or self.cluster.namespace
            for obj in (self.cluster.store.peek(r) for r in self.cluster.store.refs("configmap"))
            if obj is not None
        }

    def _timeline_events(self, out: dict[Key, dict]) -> None:
        events = self.cluster.timeline.events
        namespace = self.cluster.namespace
        for index in range(len(self._events), len(events)):
            event = events[index]
            ref, message = event.ref, event.message
            # the twin files a rescale under its target; Kubernetes files it under the HPA
            if rescale := _RESCALE.match(message):
                ref, message = rescale.group(1), rescale.group(2)
            ref_kind, _, name = ref.partition("/")
            api_version, kind = KINDS.get(ref_kind, ("v1", ref_kind.capitalize()))
            stored = self.cluster.store.peek(ref) if ref_kind in KINDS else None
            uid = (stored or {}).get("metadata", {}).get("uid", "")
            when = self.created(event.t)
            component = "horizontal-pod-autoscaler" if ref_kind == "hpa" else "seldon-scheduler"
            obj = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{name}.{index:016x}",
                    "namespace": namespace,
                    "uid": f"event-{index}",
                    "creationTimestamp": when,
                },
                "involvedObject": {
                    "apiVersion": api_version,
                    "kind": kind,
                    "name": name,
                    "namespace": namespace,
                    "uid": uid,
                },
                "reason": event.reason,
                "message": message,
                "type": "Warning"
                if event.reason in WARNING_REASONS or event.reason.startswith("Failed")
                else "Normal",
                "count": 1,
                "firstTimestamp": when,
                "lastTimestamp": when,
                "source": {"component": component},
                "reportingComponent": component,
            }
            self._events.append((("events", namespace, obj["metadata"]["name"]), obj))
        for key, obj in self._events:
            out[key] = obj


def status_object(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A ``metav1.Status`` failure, as the API server answers an error."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body
