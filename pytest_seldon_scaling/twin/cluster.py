"""``TwinCluster``: the :class:`~pytest_seldon_scaling.cluster.SeldonCluster` on virtual time.

One SimPy environment holds the API server (:mod:`.store`), the Seldon controller
(:mod:`.controller`), the scheduler with its Envoy (:mod:`.scheduler_service`), the server
StatefulSets and agents (:mod:`.agent`), Prometheus + the Prometheus Adapter (:mod:`.adapter`),
the HPA controller (:mod:`.hpa_controller`) and the traffic engine (:mod:`.traffic`). The
default ServerConfigs ``mlserver`` and ``triton`` are installed as the setup chart does (agent
env of the chart: capabilities, over-commit 10 %, thresholds, 1 Gi inference-server memory).

Randomness (arrivals, the packing draw) comes from RNG streams derived from ``seed``: the same
seed and the same calls give the same timeline.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
from collections.abc import Callable, Iterator, Sequence

import simpy

from ..cluster import KINDS, ClusterError, Source, WaitTimeout, parse_ref
from ..hpa import HPAController, HPAError, Pod, parse_selector
from ..load.profile import LoadProfile, profile_of
from ..manifests import ManifestError, load_manifests
from ..timeline import Timeline
from .adapter import AdapterConfigError, AdapterRule, MetricsDB, parse_adapter_config
from .agent import GRPC, REST, Agent
from .capacity import NodePool, Nodes
from .controller import Controller, timestamp
from .hpa_controller import HPAControllers
from .operator import _normalise_version
from .scheduler_service import Scheduler
from .settings import TwinSettings
from .store import ObjectStore
from .traffic import LoadRunHandle, TrafficEngine

MLSERVER_CAPABILITIES = (
    "mlserver,alibi-detect,alibi-explain,huggingface,lightgbm,mlflow,python,sklearn,spark-mlib,"
    "xgboost"
)
# spec properties of the v2.10 CRDs (kubectl's strict field validation rejects others)
SPEC_FIELDS = {
    "Model": frozenset(
        {
            "artifactVersion",
            "dataflow",
            "dedicated",
            "explainer",
            "llm",
            "logger",
            "maxReplicas",
            "memory",
            "minReplicas",
            "modelType",
            "parameters",
            "preloaded",
            "replicas",
            "requirements",
            "schemaUri",
            "secretName",
            "server",
            "storageUri",
        }
    ),
    "Server": frozenset(
        {
            "capabilities",
            "deploymentStrategy",
            "disableAutoUpdate",
            "extraCapabilities",
            "imageOverrides",
            "maxReplicas",
            "minReplicas",
            "podSpec",
            "replicas",
            "serverConfig",
            "statefulSetPersistentVolumeClaimRetentionPolicy",
        }
    ),
    "ServerConfig": frozenset({"podSpec", "volumeClaimTemplates"}),
}
TRITON_CAPABILITIES = "triton,dali,fil,onnx,openvino,python,pytorch,tensorflow,tensorrt"


def default_server_config(name: str, capabilities: str, namespace: str) -> dict:
    """A ServerConfig shaped like the setup chart's (only what the twin reads is filled in)."""
    agent_env = [
        {"name": "SELDON_SERVER_CAPABILITIES", "value": capabilities},
        {"name": "SELDON_MODEL_INFERENCE_LAG_THRESHOLD", "value": "30"},
        {"name": "SELDON_MODEL_INACTIVE_SECONDS_THRESHOLD", "value": "600"},
        {"name": "SELDON_SCALING_STATS_PERIOD_SECONDS", "value": "20"},
        {"name": "SELDON_UNLOAD_GRACE_PERIOD_SECONDS", "value": "2"},
        {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "10"},
        {"name": "SELDON_DRAINER_PORT", "value": "9007"},
        {
            "name": "MEMORY_REQUEST",
            "valueFrom": {
                "resourceFieldRef": {"containerName": name, "resource": "requests.memory"}
            },
        },
    ]
    pre_stop = {"preStop": {"httpGet": {"path": "/terminate", "port": 9007}}}
    return {
        "apiVersion": "mlops.seldon.io/v1alpha1",
        "kind": "ServerConfig",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "podSpec": {
                "terminationGracePeriodSeconds": 120,
                # requests as the chart renders them (SeldonIO/seldon-core v2.10.2,
                # operator/config/serverconfigs/{mlserver,triton}.yaml): the capacity model
                # counts these three containers per Server pod
                "containers": [
                    {
                        "name": "rclone",
                        "resources": {
                            "requests": {"cpu": "200m", "memory": "100M"},
                            "limits": {"memory": "256M"},
                        },
                    },
                    {
                        "name": "agent",
                        "env": agent_env,
                        "lifecycle": pre_stop,
                        "resources": {"requests": {"cpu": "500m", "memory": "500M"}},
                    },
                    {
                        "name": name,
                        "lifecycle": pre_stop,
                        "resources": {"requests": {"cpu": "1", "memory": "1G"}},
                    },
                ],
            }
        },
    }


class TwinCluster:
    """A namespace running Seldon Core 2 and the HPA, simulated in virtual time."""

    backend = "twin"

    def __init__(
        self,
        *,
        core_version: str = "2.10",
        namespace: str = "seldon-mesh",
        seed: int = 0,
        settings: TwinSettings | None = None,
        node_pools: Sequence[NodePool] | None = None,
    ) -> None:
        """``node_pools``: the cluster's nodes (see :mod:`.capacity`); Server pods that fit
        on none stay Pending. None (the default) is a cluster where every pod fits."""
        self.core_version = _normalise_version(core_version)
        self.namespace = namespace
        self.seed = seed
        self.settings = settings or TwinSettings()
        self.timeline = Timeline()
        self.env = simpy.Environment()
        self.store = ObjectStore(namespace, lambda: timestamp(self.env.now))
        self.metrics = MetricsDB()
        self.traffic = TrafficEngine(
            self.env,
            self.settings,
            random.Random(f"{seed}:traffic"),
            self.timeline,
            self._agent_of,
        )
        scheduler_rng = random.Random(f"{seed}:scheduler")

        def make_scheduler(hooks) -> Scheduler:
            return Scheduler(
                self.env, self.settings, self.core_version, self.timeline, scheduler_rng, hooks
            )

        self.controller = Controller(
            self.env,
            self.settings,
            self.core_version,
            self.store,
            self.timeline,
            make_scheduler,
            self.traffic.set_routes,
            self.traffic.drop,
            nodes=None
            if node_pools is None
            else Nodes(self.env, node_pools, self.timeline.record_event),
        )
        self.scheduler = self.controller.scheduler
        self.traffic.track_lag = self.scheduler.model_autoscaling
        self._rules: list[AdapterRule] = []
        self._rules_error: str | None = None
        self._selected_statefulsets: dict[str, list[str]] = {}
        self._statefulsets_seen = 0
        self.store.watch(self._on_change)
        self.hpas = HPAControllers(
            self.env,
            self.settings,
            self.store,
            self.timeline,
            self.metrics,
            lambda: (self._rules, self._rules_error),
            self._pods,
        )
        self.env.process(self._scrape())
        for name, capabilities in (
            ("mlserver", MLSERVER_CAPABILITIES),
            ("triton", TRITON_CAPABILITIES),
        ):
            self.store.apply(default_server_config(name, capabilities, namespace))
        self._closed = False

    # -- protocol --------------------------------------------------------------------------

    def now(self) -> float:
        return float(self.env.now)

    def apply(self, *sources: Source) -> list[str]:
        try:
            manifests = load_manifests(*sources)
        except ManifestError as error:
            raise ClusterError(str(error)) from None
        supported = {(api, kind) for api, kind in KINDS.values()}
        problems = []
        for manifest in manifests:
            where = f"{manifest.where()}: {manifest.display}"
            if manifest.is_helm_values:
                problems.append(
                    f"{manifest.where()}: helm values cannot be applied; pass them as TwinSettings"
                )
            elif (manifest.api_version, manifest.kind) not in supported:
                problems.append(
                    f"{where}: kind: {manifest.api_version} {manifest.kind} is not modelled by the "
                    f"twin (it models {', '.join(k for _, k in KINDS.values())})"
                )
            elif manifest.namespace not in (None, self.namespace) and manifest.kind != "ConfigMap":
                problems.append(
                    f"{where}: metadata.namespace: {manifest.namespace!r} is not the twin's "
                    f"namespace {self.namespace!r}"
                )
            elif manifest.kind in SPEC_FIELDS:
                unknown = sorted(set(manifest.spec) - SPEC_FIELDS[manifest.kind])
                problems += [
                    f"{manifest.where(('spec', field))}: {manifest.display}: spec.{field}: "
                    f"unknown field (not in the {manifest.kind} CRD)"
                    for field in unknown
                ]
            elif manifest.kind == "HorizontalPodAutoscaler":
                try:
                    HPAController(manifest.obj)
                except HPAError as error:
                    problems.append(f"{manifest.where()}: {error}")
        if problems:
            raise ClusterError("\n".join(problems))
        refs = [self.store.apply(manifest.obj).ref for manifest in manifests]
        self._settle()
        return refs

    def delete(self, ref: str, *, wait: bool = True) -> None:
        kind, name = parse_ref(ref)
        key = f"{kind}/{name}"
        self.store.delete(key)
        self._settle()
        if wait:
            self.wait_until(
                lambda: not self.store.exists(key), 600, what=f"{key} to be deleted", poll=0.5
            )

    def get(self, ref: str) -> dict:
        return self.store.get(ref)

    def list(self, kind: str) -> list[dict]:
        return self.store.list(kind)

    def scale(self, ref: str, replicas: int) -> None:
        self.store.set_scale(ref, replicas)
        self._settle()

    def placement(self, server: str) -> dict[int, list[str]]:
        statefulset = self.controller.statefulsets.get(server)
        if statefulset is None:
            if not self.store.exists(f"server/{server}"):
                raise ClusterError(f"server/{server} not found in namespace {self.namespace}")
            return {}
        return {
            ordinal: sorted({model for model, _, _ in pod.agent.loaded.values()})
            for ordinal, pod in sorted(statefulset.pods.items())
            if pod.connected
        }

    def pending_pods(self) -> dict[str, str]:
        """Server pods waiting for a node now, with their ``FailedScheduling`` message (none
        without ``node_pools``: every pod fits)."""
        nodes = self.controller.nodes
        return {} if nodes is None else dict(nodes.pending_messages)

    def load(self, model: str, profile: LoadProfile | str, protocol: str = REST) -> LoadRunHandle:
        if protocol not in (REST, GRPC):
            raise ClusterError(f"load on model/{model}: protocol {protocol!r} is not rest or grpc")
        run = LoadRunHandle(
            model,
            profile_of(profile),
            self.now(),
            self.timeline,
            self._advance_to,
            self.now,
            protocol,
        )
        self.traffic.start(run)
        return run

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float, *, what: str, poll: float = 1.0
    ) -> float:
        start = self.now()
        while True:
            if predicate():
                return self.now()
            if self.now() - start >= timeout:
                refs = self.timeline.refs()
                raise WaitTimeout(
                    f"timed out after {timeout:g}s (virtual) waiting for {what}\n"
                    + self.timeline.table(start, self.now(), refs=refs)
                )
            self._advance_to(min(self.now() + poll, start + timeout))

    def sleep(self, seconds: float) -> None:
        self._advance_to(self.now() + seconds)

    def close(self) -> None:
        self._closed = True

    # -- internals -------------------------------------------------------------------------

    def _settle(self) -> None:
        """Run everything due at the current instant."""
        while self.env.peek() == self.env.now:
            self.env.step()

    def _advance_to(self, t: float) -> None:
        if t > self.env.now:
            with _fewer_collections():
                self.env.run(until=t)
        self._settle()
        # the traffic engine runs behind between the instants that change or read it: the
        # caller reads what traffic did until now
        self.traffic.catch_up()

    def _agent_of(self, server: str, index: int) -> Agent | None:
        statefulset = self.controller.statefulsets.get(server)
        pod = None if statefulset is None else statefulset.pods.get(index)
        return None if pod is None else pod.agent

    def _pods(self, selector: str) -> list[Pod]:
        """What the HPA's pod lister returns for ``selector``: the server pods it selects.

        All pods of a StatefulSet carry the same labels, so the selector is matched once per
        StatefulSet (cached until one is added) and pods are built only where it matches; a
        selector that does not parse gets every pod, for the HPA to report it.
        """
        if self._statefulsets_seen != len(self.controller.statefulsets):
            self._selected_statefulsets.clear()
            self._statefulsets_seen = len(self.controller.statefulsets)
        names = self._selected_statefulsets.get(selector)
        if names is None:
            try:
                matches = parse_selector(selector)
                names = [n for n in sorted(self.controller.statefulsets) if matches(_labels(n))]
            except ValueError:
                names = sorted(self.controller.statefulsets)
            self._selected_statefulsets[selector] = names
        pods = []
        for name in names:
            for pod in self.controller.statefulsets[name].pods.values():
                pods.append(
                    Pod(
                        pod.name,
                        phase="Running" if pod.ready or pod.terminating else "Pending",
                        ready=pod.ready,
                        start_time=pod.started_at,
                        deleted=pod.terminating,
                        labels=_labels(name),
                    )
                )
        return pods

    def _on_change(self, event: str, ref: str, obj: dict) -> None:
        if not ref.startswith("configmap/"):
            return
        rules: list[AdapterRule] = []
        error = None
        for configmap in self.store.list("configmap"):
            if "config.yaml" not in (configmap.get("data") or {}):
                continue
            try:
                rules += parse_adapter_config(configmap)
            except AdapterConfigError as problem:
                error = f"prometheus-adapter cannot load its rules: {problem}"
        self._rules, self._rules_error = rules, error

    def _scrape(self):
        """Prometheus scraping every agent's ``/metrics`` (PodMonitor interval)."""
        interval = self.settings.scrape_interval
        while True:
            yield self.env.timeout(interval - math.fmod(self.env.now, interval) or interval)
            self.traffic.advance(self.env.now)
            samples = []
            for statefulset in self.controller.statefulsets.values():
                for pod in statefulset.pods.values():
                    if pod.connected:
                        samples += pod.agent.series(self.namespace, pod.name)
            self.metrics.scrape_series(self.env.now, samples)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run with CPython's cyclic collector triggered less often, restoring it afterwards.

    Simulated time allocates millions of short-lived objects and keeps a timeline that grows
    by a row per model-second: with the default thresholds (700, 10, 10) the collector runs
    its full passes over that timeline again and again (about a sixth of the twin's CPU at
    100 Models, bench/twin_bench.py). Nothing the twin makes depends on collection timing.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*(max(old, new) for old, new in zip(previous, (50_000, 20, 20), strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _labels(server: str) -> dict[str, str]:
    """The labels of a Server's pods (as the operator's StatefulSet template sets them)."""
    return {"seldon-server-name": server, "app.kubernetes.io/name": "seldon-server"}
