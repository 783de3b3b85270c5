"""The Seldon controller (operator) on the twin: store events in, scheduler calls and status out.

It reconciles Models and Servers on generation changes (GenerationChangedPredicate), validates
the scaling spec with :func:`.operator.validated_scaling_spec`, sends LoadModel/UnloadModel and
ServerNotify to the scheduler, sets a Server's StatefulSet replicas, writes the status and
conditions Core 2 writes (through :func:`.operator.model_conditions` and
:func:`.operator.server_conditions`), honours the Model finalizer, and applies the scheduler's
server scaling requests within the Server's own validated min/max. It is also the scheduler's
:class:`.scheduler_service.Hooks`, routing its calls to the StatefulSets and the router.

Not modelled: ServerConfig changes rolling existing pods, the model gateway
(``status.modelgwReady`` is not written).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import simpy

from ..quantity import integer_value
from ..timeline import Timeline
from . import scheduler as core
from .agent import AgentConfigError, StatefulSet, agent_config
from .capacity import CapacityError, Nodes, pod_requests, server_pod_spec
from .operator import (
    Condition,
    ScalingSpec,
    ScalingSpecError,
    accepts_scaling_request,
    accepts_status_update,
    can_remove_model_finalizer,
    model_conditions,
    server_conditions,
    server_invalid_conditions,
    validated_scaling_spec,
)
from .scheduler_service import Deployment, Hooks, Scheduler, Version
from .settings import TwinSettings
from .store import ObjectStore

MODEL_FINALIZER = "seldon.model.finalizer"
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@functools.lru_cache(maxsize=1024)  # every HPA sync formats the same few instants
# every HPA status write renders its conditions' transition times, which rarely change
@functools.lru_cache(maxsize=4096)
def timestamp(t: float) -> str:
    """RFC 3339 time of a virtual instant (the twin's clock starts at 2026-01-01T00:00:00Z)."""
    return (EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Controller(Hooks):
    """The operator plus the scheduler's outbound streams."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: TwinSettings,
        core_version: str,
        store: ObjectStore,
        timeline: Timeline,
        scheduler_factory: Callable[[Hooks], Scheduler],
        set_routes: Callable[[str, list[tuple[str, int, str]]], None],
        drop_replica: Callable[[str, int, str | None], None],
        nodes: Nodes | None = None,
    ) -> None:
        self.env = env
        self.nodes = nodes
        self.settings = settings
        self.core_version = core_version
        self.store = store
        self.timeline = timeline
        self.scheduler = scheduler_factory(self)
        self._set_routes = set_routes
        self._drop_replica = drop_replica
        self.statefulsets: dict[str, StatefulSet] = {}
        self.server_specs: dict[str, ScalingSpec] = {}
        self._reconciled: dict[str, int] = {}
        store.watch(self._on_change)

    # -- store events ----------------------------------------------------------------------

    def _on_change(self, event: str, ref: str, obj: dict) -> None:
        kind, name = ref.split("/", 1)
        if kind == "model":
            self._on_model(event, name, obj)
        elif kind == "server":
            self._on_server(event, name, obj)

    def _generation_changed(self, ref: str, obj: dict) -> bool:
        generation = obj["metadata"]["generation"]
        if self._reconciled.get(ref) == generation:
            return False
        self._reconciled[ref] = generation
        return True

    def _on_model(self, event: str, name: str, obj: dict) -> None:
        ref = f"model/{name}"
        if event == "DELETED":
            self._reconciled.pop(ref, None)
            return
        if "deletionTimestamp" in obj["metadata"]:
            if name in self.scheduler.models:
                self.scheduler.unload_model(name)
            else:
                self.store.remove_finalizer(ref, MODEL_FINALIZER)
            return
        if not self._generation_changed(ref, obj):
            return
        self.store.add_finalizer(ref, MODEL_FINALIZER)
        spec = obj.get("spec") or {}
        self._record_spec(ref, obj)
        try:
            scaling = validated_scaling_spec(
                spec.get("replicas"),
                spec.get("minReplicas"),
                spec.get("maxReplicas"),
                core_version=self.core_version,
            )
        except ScalingSpecError as error:
            self._write_model_status(name, obj, core.MODEL_FAILED, str(error), 0, 0, None)
            return
        requirements = tuple(spec.get("requirements") or ())
        if spec.get("modelType"):
            requirements += (spec["modelType"],)
        deployment = Deployment(
            memory=integer_value(spec["memory"]) if spec.get("memory") is not None else 0,
            replicas=scaling.replicas,
            min_replicas=scaling.min_replicas,
            max_replicas=scaling.max_replicas,
            requirements=requirements,
            server=spec.get("server") or None,
            explainer=bool(spec.get("explainer")),
            storage_uri=str(spec.get("storageUri", "")),
        )
        self.scheduler.load_model(name, obj["metadata"]["generation"], deployment)

    def _on_server(self, event: str, name: str, obj: dict) -> None:
        ref = f"server/{name}"
        if event == "DELETED":
            self._reconciled.pop(ref, None)
            self.server_specs.pop(name, None)
            statefulset = self.statefulsets.get(name)
            if statefulset is not None:
                statefulset.delete()
            return
        if not self._generation_changed(ref, obj):
            return
        spec = obj.get("spec") or {}
        try:
            scaling = validated_scaling_spec(
                spec.get("replicas"),
                spec.get("minReplicas"),
                spec.get("maxReplicas"),
                core_version=self.core_version,
            )
        except ScalingSpecError as error:
            self._write_server_conditions(name, server_invalid_conditions(str(error)))
            self.timeline.record_event(self.env.now, ref, "ReconcileFailed", str(error))
            return
        config_ref = f"serverconfig/{spec.get('serverConfig', '')}"
        server_config = self.store.peek(config_ref)
        if server_config is None:
            reason = f'ServerConfig.mlops.seldon.io "{spec.get("serverConfig")}" not found'
            self._write_server_conditions(name, server_invalid_conditions(reason))
            self.timeline.record_event(self.env.now, ref, "ReconcileFailed", reason)
            return
        try:
            config = agent_config(obj, server_config)
        except AgentConfigError as error:
            self._write_server_conditions(name, server_invalid_conditions(str(error)))
            return
        self.server_specs[name] = scaling
        try:
            requests = pod_requests(
                server_pod_spec(
                    (server_config.get("spec") or {}).get("podSpec") or {}, spec.get("podSpec")
                ),
                f"Server {name}",
            )
        except CapacityError as error:
            self._write_server_conditions(name, server_invalid_conditions(str(error)))
            return
        statefulset = self.statefulsets.get(name)
        if statefulset is None or statefulset.deleted:
            statefulset = self.statefulsets[name] = StatefulSet(
                self.env,
                name,
                config,
                self.settings,
                self.scheduler,
                self._on_pods_changed,
                self._drop_replica,
                nodes=self.nodes,
                requests=requests,
            )
        else:
            statefulset.config = config
            statefulset.requests = requests
        status = dict(obj.get("status") or {})
        status.update(
            replicas=scaling.replicas,
            selector=f"seldon-server-name={name}",
            observedGeneration=obj["metadata"]["generation"],
        )
        self.store.set_status(ref, status)
        if statefulset.replicas != scaling.replicas:
            self.timeline.record_event(
                self.env.now, ref, "Rescaled", f"StatefulSet replicas {scaling.replicas}"
            )
        statefulset.set_replicas(scaling.replicas)
        self.scheduler.server_notify(
            name, scaling.replicas, scaling.min_replicas, scaling.max_replicas
        )

    # -- status writing --------------------------------------------------------------------

    def _record_spec(self, ref: str, obj: dict) -> None:
        status = obj.get("status") or {}
        self.timeline.record_replicas(
            self.env.now,
            ref,
            (obj.get("spec") or {}).get("replicas"),
            status.get("replicas"),
            status.get("availableReplicas"),
        )

    def _conditions(self, ref: str, old: list[dict], new: list[Condition]) -> list[dict]:
        previous = {c["type"]: c for c in old}
        out = []
        for condition in new:
            before = previous.get(condition.type)
            when = (
                before["lastTransitionTime"]
                if before and before["status"] == condition.status
                else timestamp(self.env.now)
            )
            out.append(condition.as_dict(when))
            self.timeline.record_condition(
                self.env.now,
                ref,
                condition.type,
                condition.status,
                condition.reason,
                condition.message,
            )
        return out

    def _write_model_status(
        self,
        name: str,
        obj: dict,
        state: str,
        reason: str,
        available: int,
        unavailable: int,
        server: str | None,
    ) -> None:
        ref = f"model/{name}"
        old = obj.get("status") or {}
        status = {
            "replicas": available + unavailable,
            "availableReplicas": available,
            "selector": f"server={server or ''}",
            "observedGeneration": obj["metadata"]["generation"],
            "conditions": self._conditions(
                ref, old.get("conditions") or [], model_conditions(state, reason)
            ),
        }
        self.store.set_status(ref, status)
        self.timeline.record_replicas(
            self.env.now,
            ref,
            (obj.get("spec") or {}).get("replicas"),
            status["replicas"],
            available,
        )

    def _write_server_conditions(self, name: str, conditions: list[Condition]) -> None:
        ref = f"server/{name}"
        obj = self.store.peek(ref)
        if obj is None:
            return
        status = dict(obj.get("status") or {})
        status["conditions"] = self._conditions(ref, status.get("conditions") or [], conditions)
        self.store.set_status(ref, status)

    def _on_pods_changed(self, name: str) -> None:
        ref = f"server/{name}"
        obj = self.store.peek(ref)
        statefulset = self.statefulsets.get(name)
        if obj is None or statefulset is None or name not in self.server_specs:
            return
        desired = self.server_specs[name].replicas
        self._write_server_conditions(name, server_conditions(statefulset.ready_replicas, desired))
        self.timeline.record_replicas(
            self.env.now,
            ref,
            (obj.get("spec") or {}).get("replicas"),
            (obj.get("status") or {}).get("replicas"),
            statefulset.ready_replicas,
        )

    # -- scheduler hooks -------------------------------------------------------------------

    def model_status(self, name: str, version: Version, deleted: bool) -> None:
        ref = f"model/{name}"
        obj = self.store.peek(ref)
        if obj is None:
            return
        status = version.status
        if deleted or "deletionTimestamp" in obj["metadata"]:
            removable = name not in self.scheduler.models or can_remove_model_finalizer(
                status.state
            )
            if removable:
                self.store.remove_finalizer(ref, MODEL_FINALIZER)
            return
        if not accepts_status_update(version.generation, obj["metadata"]["generation"]):
            return
        self._write_model_status(
            name,
            obj,
            status.state,
            status.reason,
            status.available_replicas,
            status.unavailable_replicas,
            version.server,
        )

    def server_status(self, name: str, loaded_models: int) -> None:
        ref = f"server/{name}"
        obj = self.store.peek(ref)
        if obj is not None:
            status = dict(obj.get("status") or {})
            status["loadedModels"] = loaded_models
            self.store.set_status(ref, status)

    def scale_server(self, name: str, target: int) -> None:
        self.env.process(self._scale_server(name, target))

    def _scale_server(self, name: str, target: int):
        yield self.env.timeout(0)
        ref = f"server/{name}"
        spec = self.server_specs.get(name)
        # the request travels as int32
        target = target - (1 << 32) if target >= 1 << 31 else target
        if spec is None or not self.store.exists(ref) or not accepts_scaling_request(target, spec):
            self.timeline.record_event(
                self.env.now, ref, "ScaleIgnored", f"Ignoring scale replicas request {target}"
            )
            return
        if self.store.patch_spec(ref, replicas=target):
            self.timeline.record_event(
                self.env.now, ref, "ScaledByScheduler", f"spec.replicas {target}"
            )

    def load(self, server: str, index: int, version: Version) -> None:
        statefulset = self.statefulsets.get(server)
        if statefulset is not None:
            statefulset.load(index, version)

    def unload(self, server: str, index: int, version: Version) -> None:
        statefulset = self.statefulsets.get(server)
        if statefulset is not None:
            statefulset.unload(index, version)

    def routes(self, model: str, replicas: list[tuple[str, int, str]]) -> None:
        self._set_routes(model, replicas)
