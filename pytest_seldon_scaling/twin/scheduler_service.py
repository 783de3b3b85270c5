"""The Core 2 scheduler as a SimPy process: its in-memory store, Envoy syncs, draining.

State lives here; every decision is delegated to the pure functions of :mod:`.scheduler`
(``place_model``, ``model_state``, ``server_scale_up_target``, ``server_scale_down_target``).
The flows follow the spec: ``Schedule()`` after LoadModel/UnloadModel, agent subscribe and
replica removal; ``ScheduleFailedModels()`` (no scale-up events) after subscribe and removal;
Envoy batches route updates every 250 ms (``Loaded -> Available``,
``UnloadEnvoyRequested -> UnloadRequested``); draining marks replicas ``Draining``, waits
500 ms, reschedules, waits for an ``Available`` replica of each moved model, then 3.25 s.

Deleted models leave the store once every replica is inactive (``memory.go``: "Deleting model
... as inactive"), so they stop counting towards ``MaxNumReplicaHostedModels``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Protocol

import simpy

from ..timeline import Timeline
from . import scheduler as core
from .scheduler import ModelSpec, ModelStatus, ReplicaStatus, ServerReplica, ServerSnapshot
from .settings import TwinSettings

OCCUPYING = core.IS_LOADING_OR_LOADED | {
    core.DRAINING,
    core.UNLOAD_ENVOY_REQUESTED,
    core.UNLOAD_REQUESTED,
    core.UNLOADING,
}
INACTIVE = core.INACTIVE
SERVING = frozenset({core.LOADED, core.AVAILABLE, core.LOADED_UNAVAILABLE})


@dataclass(frozen=True)
class Deployment:
    """The model spec the controller sends (``AsSchedulerModel``)."""

    memory: int = 0
    replicas: int = 1
    min_replicas: int = 0
    max_replicas: int = 0
    requirements: tuple[str, ...] = ()
    server: str | None = None
    explainer: bool = False
    storage_uri: str = ""

    def same_artifact(self, other: Deployment) -> bool:
        """A change outside replicas/min/max makes a new model version."""
        scaling = {"replicas": 0, "min_replicas": 0, "max_replicas": 0}
        return replace(self, **scaling) == replace(other, **scaling)


@dataclass
class Version:
    name: str
    version: int
    generation: int
    spec: Deployment
    server: str | None = None
    replicas: dict[int, ReplicaStatus] = field(default_factory=dict)
    status: ModelStatus = field(default_factory=lambda: ModelStatus(core.MODEL_STATE_UNKNOWN))
    state_time: float = 0.0
    dirty: bool = True

    @property
    def internal(self) -> str:
        return f"{self.name}_{self.version}"

    def states(self) -> dict[int, str]:
        return {i: r.state for i, r in self.replicas.items()}

    def inactive(self) -> bool:
        return all(r.state in INACTIVE for r in self.replicas.values())

    def assignment(self) -> list[int]:
        """``GetAssignment``: serving replicas, or the draining ones when there are none."""
        serving = [
            i
            for i, r in sorted(self.replicas.items())
            if r.state in (core.LOADED, core.AVAILABLE, core.LOADED_UNAVAILABLE)
        ]
        if serving:
            return serving
        return [i for i, r in sorted(self.replicas.items()) if r.state == core.DRAINING]


@dataclass
class ModelRecord:
    name: str
    versions: list[Version] = field(default_factory=list)
    deleted: bool = False

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    def last_available(self) -> Version | None:
        for version in reversed(self.versions):
            if version.status.state == core.MODEL_AVAILABLE:
                return version
        return None


@dataclass
class ReplicaRecord:
    index: int
    capabilities: tuple[str, ...]
    available_memory: int
    reserved_memory: int = 0
    draining: bool = False


class Holdings:
    """What one server replica holds: each version's replica state, with the two counts the
    scheduler reads (models serving there, versions occupying it) kept as states change."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[str, str]] = {}  # id(version) -> (model, state)
        self.serving: dict[str, int] = {}  # model -> its versions serving here
        self.occupying = 0  # versions in a state that occupies the replica

    def put(self, key: int, model: str, state: str) -> None:
        self.drop(key)
        self._entries[key] = (model, state)
        if state in SERVING:
            self.serving[model] = self.serving.get(model, 0) + 1
        if state in OCCUPYING:
            self.occupying += 1

    def drop(self, key: int) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        model, state = entry
        if state in SERVING:
            self.serving[model] -= 1
            if not self.serving[model]:
                del self.serving[model]
        if state in OCCUPYING:
            self.occupying -= 1


@dataclass
class ServerRecord:
    name: str
    expected: int = -1
    min_replicas: int = 0
    max_replicas: int = 0
    replicas: dict[int, ReplicaRecord] = field(default_factory=dict)
    loaded_models: int = 0


class Hooks(Protocol):
    """Where the scheduler reports to (the controller, the agents, the router)."""

    def model_status(self, name: str, version: Version, deleted: bool) -> None:
        """A model's latest version changed state (or the model was deleted)."""

    def server_status(self, name: str, loaded_models: int) -> None:
        """A server's count of loaded models changed."""

    def scale_server(self, name: str, target: int) -> None:
        """``ServerStatusResponse`` of type ScalingRequest."""

    def load(self, server: str, index: int, version: Version) -> None:
        """LOAD a model version on an agent."""

    def unload(self, server: str, index: int, version: Version) -> None:
        """UNLOAD a model version from an agent."""

    def routes(self, model: str, replicas: list[tuple[str, int, str]]) -> None:
        """Envoy's routes for a model after a sync: (server, replica, model_internal)."""


class Scheduler:
    """Core 2's scheduler (with its Envoy processor) for one namespace."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: TwinSettings,
        core_version: str,
        timeline: Timeline,
        rng: random.Random,
        hooks: Hooks,
    ) -> None:
        self.env = env
        self.settings = settings
        self.core_version = core_version
        self.timeline = timeline
        self.rng = rng
        self.hooks = hooks
        self.models: dict[str, ModelRecord] = {}
        self.servers: dict[str, ServerRecord] = {}
        self._envoy_pending = False
        self._routes: dict[str, list[tuple[str, int, str]]] = {}
        # (server, replica index) -> {id(version): (model, replica state)} for the versions of
        # the models in ``self.models``: what each server replica holds, kept with every replica
        # write so placement and status read one replica's entries instead of every model's
        self._occupancy: dict[tuple[str, int], Holdings] = {}
        # each Server's snapshot for placement, rebuilt only after something of it changed:
        # retrying every failed model on each server event must not rebuild every snapshot
        self._snapshot_cache: dict[str, ServerSnapshot] = {}

    # -- flags -----------------------------------------------------------------------------

    @property
    def server_autoscaling(self) -> bool:
        return self.core_version != "2.8" and self.settings.server_autoscaling_enabled

    @property
    def model_autoscaling(self) -> bool:
        """Lag-based model autoscaling: forced off since 2.10 (#6814)."""
        return self.core_version in ("2.8", "2.9") and self.settings.model_autoscaling_enabled

    def autoscaling_enabled_for(self, version: Version) -> bool:
        spec = version.spec
        return self.model_autoscaling and core.autoscaling_enabled(
            spec.min_replicas, spec.max_replicas
        )

    def _event(self, ref: str, reason: str, message: str = "") -> None:
        self.timeline.record_event(self.env.now, ref, reason, message)

    # -- controller API --------------------------------------------------------------------

    def load_model(self, name: str, generation: int, spec: Deployment) -> None:
        record = self.models.get(name)
        if record is None or record.deleted:
            for version in record.versions if record is not None else ():
                self._forget_occupancy(version)
            record = self.models[name] = ModelRecord(name)
            record.versions.append(Version(name, max(1, generation), generation, spec))
        elif record.latest.spec.same_artifact(spec):
            record.latest.spec = spec
            record.latest.generation = generation
        else:
            latest = record.latest
            record.versions.append(Version(name, latest.version + 1, generation, spec))
        self.schedule(name)

    def unload_model(self, name: str) -> None:
        record = self.models.get(name)
        if record is None:
            return
        record.deleted = True
        self.schedule(name)

    def server_notify(self, name: str, expected: int, min_replicas: int, max_replicas: int) -> None:
        server = self.servers.setdefault(name, ServerRecord(name))
        self._snapshot_cache.pop(name, None)
        server.expected, server.min_replicas, server.max_replicas = (
            expected,
            min_replicas,
            max_replicas,
        )
        if expected == 0:
            for model in self._models_on(name):
                self.schedule(model)

    # -- agent API -------------------------------------------------------------------------

    def agent_subscribe(
        self, server: str, index: int, capabilities: tuple[str, ...], available_memory: int
    ) -> None:
        record = self.servers.setdefault(server, ServerRecord(server))
        record.replicas[index] = ReplicaRecord(index, capabilities, available_memory)
        self._snapshot_cache.pop(server, None)
        self._event(f"server/{server}", "ReplicaConnected", f"replica {index} subscribed")
        self.schedule_failed_models()

    def agent_event(
        self, server: str, index: int, name: str, version: int, event: str, available_memory: int
    ) -> None:
        record = self.models.get(name)
        target = None if record is None else _version(record, version)
        if target is None or index not in target.replicas:
            return
        desired = core.agent_event_transition(event, target.replicas[index])
        if desired is None:
            return  # Core 2 logs the state mismatch and changes nothing (no Kubernetes event)
        replica = self.servers.get(server, ServerRecord(server)).replicas.get(index)
        if replica is not None:
            replica.available_memory = available_memory
            self._snapshot_cache.pop(server, None)
        if desired == core.LOADED:
            self._set_replica(target, index, core.LOADED)
            self._release(target, replica)
            self._request_envoy_sync()
        elif desired == core.LOAD_FAILED:
            self._set_replica(target, index, core.LOAD_FAILED, "load failed: not enough memory")
            self._release(target, replica)
        elif desired == core.UNLOADED:
            self._set_replica(target, index, core.UNLOADED)
        self._update_status(record)
        if event in ("LOAD_FAILED", "UNLOADED"):
            self._forget_if_gone(record)
            self._server_scale_down(server)

    def remove_replica(self, server: str, index: int) -> None:
        """``RemoveServerReplica``: the agent stream closed (pod gone)."""
        record = self.servers.get(server)
        if record is None or index not in record.replicas:
            return
        del record.replicas[index]
        self._snapshot_cache.pop(server, None)
        affected = []
        for name, number in core.remove_server_replica(self._version_replicas(), server, index):
            version = _version(self.models[name], number)
            del version.replicas[index]
            version.dirty = True
            affected.append(name)
        self._occupancy.pop((server, index), None)
        self._event(f"server/{server}", "ReplicaRemoved", f"replica {index} disconnected")
        self._sync_routes()
        for name in dict.fromkeys(affected):
            if name in self.models:
                self._update_status(self.models[name])
                self.schedule(name)
                self._forget_if_gone(self.models.get(name))
        self.schedule_failed_models()
        self._emit_server_status(server)

    def drain(self, server: str, index: int):
        """``drainServerReplicaImpl`` as a SimPy process (the agent's preStop blocks on it)."""
        record = self.servers.get(server)
        if record is None or index not in record.replicas:
            return
        record.replicas[index].draining = True
        self._snapshot_cache.pop(server, None)
        self._event(f"server/{server}", "Draining", f"replica {index} draining")
        moved = []
        for name, number in core.drain_server_replica(self._version_replicas(), server, index):
            self._set_replica(_version(self.models[name], number), index, core.DRAINING)
            moved.append(name)
        for name in dict.fromkeys(moved):
            self._update_status(self.models[name])
        self._emit_server_status(server)
        yield self.env.timeout(self.settings.drain_cool_down_seconds)
        waiting = [name for name in dict.fromkeys(moved) if self.schedule(name)]
        while any(not self._moved(name) for name in waiting):
            yield self.env.timeout(self.settings.envoy_batch_seconds)
        if waiting:
            yield self.env.timeout(self.settings.drain_settle_seconds)
        self._event(f"server/{server}", "Drained", f"replica {index} drained")

    def _version_replicas(self) -> list[core.VersionReplicas]:
        return [
            (name, v.version, v.server, v.states())
            for name, record in self.models.items()
            for v in record.versions
        ]

    def _moved(self, name: str) -> bool:
        record = self.models.get(name)
        if record is None or record.deleted:
            return True
        latest = record.latest
        if latest.status.state == core.SCHEDULE_FAILED:
            return True
        return any(r.state == core.AVAILABLE for r in latest.replicas.values())

    def model_scaling_trigger(self, name: str, version: int, up: bool) -> None:
        """Lag/inactivity trigger from an agent (2.9 and older): a ±1 step, CR untouched."""
        record = self.models.get(name)
        if not self.model_autoscaling or record is None:
            return
        latest = record.latest
        spec = latest.spec
        target = core.model_scaling_target(
            core.SCALE_UP if up else core.SCALE_DOWN,
            spec.replicas,
            spec.min_replicas,
            spec.max_replicas,
            latest_is_last_available=record.last_available() is latest,
            trigger_version_is_latest=version == latest.version,
            deleted=record.deleted,
            state_time=latest.state_time,
            now=self.env.now,
            cool_down_seconds=self.settings.model_scaling_cool_down_seconds,
        )
        if target is None:
            return
        latest.spec = replace(spec, replicas=target)
        self._event(
            f"model/{name}", "ModelScaled", f"lag autoscaling {'up' if up else 'down'} to {target}"
        )
        self.schedule(name)

    # -- scheduling ------------------------------------------------------------------------

    def schedule(self, name: str, publish_scale_up: bool = True) -> bool:
        """``scheduleToServer``; True when the model was placed (fully or with min replicas)."""
        record = self.models.get(name)
        if record is None:
            return False
        latest = record.latest
        spec = self._model_spec(record)
        # a pinned model is placed on its own server only (place_model's pool): snapshot that
        placement = core.place_model(spec, self._snapshots(spec.server or None))
        if record.deleted:
            self._update_loaded(record, latest, latest.server, ())
            self._forget_if_gone(record)
            return True
        if placement.scheduled:
            self._update_loaded(record, latest, placement.server, placement.replicas)
            if placement.partial:
                self._event(f"model/{name}", "Scheduled", "managed to schedule with min replicas")
        else:
            self._failed_scheduling(record, placement.failure, placement.reset)
        if publish_scale_up and placement.scale_up_server:
            self._server_scale_up(placement.scale_up_server)
        return placement.scheduled

    def schedule_failed_models(self) -> None:
        """``ScheduleFailedModels``: retry the models :func:`.scheduler.get_failed_models`
        lists (taken before any retry, as Core 2 does), without scale-up events."""
        failed = core.get_failed_models(
            (name, record.latest.status, record.latest.spec.replicas, record.deleted)
            for name, record in self.models.items()
        )
        for name in failed:
            self.schedule(name, publish_scale_up=False)

    def _model_spec(self, record: ModelRecord) -> ModelSpec:
        latest = record.latest
        spec = latest.spec
        return ModelSpec(
            name=record.name,
            memory=spec.memory,
            replicas=spec.replicas,
            min_replicas=spec.min_replicas,
            max_replicas=spec.max_replicas,
            requirements=spec.requirements,
            server=spec.server,
            explainer=spec.explainer,
            assigned_server=latest.server,
            replica_states=latest.states(),
            deleted=record.deleted,
        )

    def _snapshots(self, only: str | None = None) -> list[ServerSnapshot]:
        """What the scheduler's server store lists, as placement reads it (``only``: that
        server alone)."""
        snapshots = []
        if only is None:
            servers = self.servers.values()
        else:
            servers = [self.servers[only]] if only in self.servers else []
        for server in servers:
            cached = self._snapshot_cache.get(server.name)
            if cached is not None:
                snapshots.append(cached)
                continue
            replicas = []
            for index, replica in sorted(server.replicas.items()):
                replicas.append(
                    ServerReplica(
                        index,
                        replica.available_memory,
                        replica.reserved_memory,
                        replica.capabilities,
                        replica.draining,
                    )
                )
            snapshot = ServerSnapshot(
                server.name,
                tuple(replicas),
                True,
                server.expected,
                server.min_replicas,
                server.max_replicas,
            )
            self._snapshot_cache[server.name] = snapshot
            snapshots.append(snapshot)
        return snapshots

    def _update_loaded(
        self, record: ModelRecord, version: Version, server: str | None, indices: tuple[int, ...]
    ) -> None:
        """``UpdateLoadedModels``: apply :func:`.scheduler.update_loaded_models` (a new version,
        loads with their memory reservation, unloads through Envoy)."""
        update = core.update_loaded_models(version.server, version.states(), server, indices)
        if update.new_version:
            version = Version(
                record.name, version.version + 1, version.generation, version.spec, server
            )
            record.versions.append(version)
            self._event(
                f"model/{record.name}", "NewVersion", f"{version.internal} moves to {server}"
            )
        if server is not None:
            self._set_server(version, server)
        version.dirty = True
        chosen = set(indices)
        requested = list(update.load)
        for index in update.load:
            self._set_replica(version, index, core.LOAD_REQUESTED)
            replica = self.servers[server].replicas.get(index)
            if replica is not None:
                replica.reserved_memory += version.spec.memory
                self._snapshot_cache.pop(server, None)
            self._set_replica(version, index, core.LOADING)
            self.hooks.load(server, index, version)
        for index in update.unload:
            self._set_replica(version, index, core.UNLOAD_ENVOY_REQUESTED)
            self._request_envoy_sync()
        if requested:
            self._event(
                f"model/{record.name}",
                "Scheduled",
                f"{version.internal} on {server} replicas {sorted(chosen)} (loading {requested})",
            )
        self._update_status(record)

    def _failed_scheduling(self, record: ModelRecord, reason: str, reset: bool) -> None:
        latest = record.latest
        latest.status = core.failed_scheduling_status(latest.states(), latest.spec.replicas, reason)
        latest.state_time = self.env.now
        if reset:
            self._set_server(latest, None)
        self._event(f"model/{record.name}", "ScheduleFailed", reason)
        self.hooks.model_status(record.name, latest, record.deleted)

    def _set_replica(self, version: Version, index: int, state: str, reason: str = "") -> None:
        version.replicas[index] = ReplicaStatus(state, reason, self.env.now)
        version.state_time = self.env.now
        version.dirty = True
        if version.server is not None and self._is_current(version):
            self._holdings(version.server, index).put(id(version), version.name, state)

    def _is_current(self, version: Version) -> bool:
        record = self.models.get(version.name)
        return record is not None and any(v is version for v in record.versions)

    def _set_server(self, version: Version, server: str | None) -> None:
        """Assign a version to a server, moving its replica entries in the occupancy index."""
        if version.server == server:
            return
        self._forget_occupancy(version)
        version.server = server
        if server is not None and self._is_current(version):
            for index, status in version.replicas.items():
                self._holdings(server, index).put(id(version), version.name, status.state)

    def _forget_occupancy(self, version: Version) -> None:
        if version.server is None:
            return
        for index in version.replicas:
            held = self._occupancy.get((version.server, index))
            if held is not None:
                held.drop(id(version))

    def _holdings(self, server: str, index: int) -> Holdings:
        return self._occupancy.setdefault((server, index), Holdings())

    def _release(self, version: Version, replica: ReplicaRecord | None) -> None:
        if replica is not None:
            replica.reserved_memory = max(0, replica.reserved_memory - version.spec.memory)
            self._snapshot_cache.clear()  # rare (one per load): no need to find the server

    # -- status ----------------------------------------------------------------------------

    def _update_status(self, record: ModelRecord) -> None:
        """``updateModelState`` for every version whose replicas changed since last time."""
        latest = record.latest
        before = latest.status
        previous = record.last_available()
        for version in record.versions:
            if not version.dirty:
                continue
            version.dirty = False
            is_latest = version is latest
            version.status = core.model_state(
                version.states(),
                version.spec.replicas,
                version.spec.min_replicas,
                previous_available_is_other_version=(
                    is_latest and previous is not None and previous is not latest
                ),
                latest=is_latest,
                deleted=record.deleted,
            )
        if latest.status.state == core.MODEL_AVAILABLE:
            self._clean_old_versions(record)
        if latest.status != before or record.deleted:
            self.hooks.model_status(record.name, latest, record.deleted)
        if latest.server:
            self._emit_server_status(latest.server)

    def _clean_old_versions(self, record: ModelRecord) -> None:
        """``VersionCleaner``: apply :func:`.scheduler.clean_old_versions`."""
        old = record.versions[:-1]
        unload, forget = core.clean_old_versions([v.states() for v in old])
        for position, index in unload:
            self._set_replica(old[position], index, core.UNLOAD_ENVOY_REQUESTED)
            self._request_envoy_sync()
        gone = set(forget)
        for position in gone:
            self._forget_occupancy(old[position])
        record.versions[:-1] = [v for p, v in enumerate(old) if p not in gone]

    def _forget_if_gone(self, record: ModelRecord | None) -> None:
        if record is None or not record.deleted:
            return
        if all(v.inactive() for v in record.versions) and self.models.get(record.name) is record:
            for version in record.versions:
                self._forget_occupancy(version)
            del self.models[record.name]
            self._sync_routes()
            self.hooks.model_status(record.name, record.latest, True)

    def _emit_server_status(self, name: str) -> None:
        server = self.servers.get(name)
        if server is None:
            return
        loaded = 0
        for index, replica in server.replicas.items():
            if replica.draining:
                continue
            held = self._occupancy.get((name, index))
            loaded += len(held.serving) if held is not None else 0
        if loaded != server.loaded_models:
            server.loaded_models = loaded
            self.hooks.server_status(name, loaded)

    # -- Envoy -----------------------------------------------------------------------------

    def _request_envoy_sync(self) -> None:
        if not self._envoy_pending:
            self._envoy_pending = True
            self.env.process(self._envoy_sync())

    def _envoy_sync(self):
        yield self.env.timeout(self.settings.envoy_batch_seconds)
        self._envoy_pending = False
        touched = []
        for record in list(self.models.values()):
            changed = False
            for version in record.versions:
                for index, status in list(version.replicas.items()):
                    if status.state == core.LOADED:
                        self._set_replica(version, index, core.AVAILABLE)
                        changed = True
                    elif status.state == core.UNLOAD_ENVOY_REQUESTED:
                        self._set_replica(version, index, core.UNLOAD_REQUESTED)
                        self._set_replica(version, index, core.UNLOADING)
                        self.hooks.unload(version.server, index, version)
                        changed = True
            if changed:
                touched.append(record)
        self._sync_routes()
        for record in touched:
            self._update_status(record)

    def _sync_routes(self) -> None:
        for name in sorted(set(self._routes) - set(self.models)):
            self._routes.pop(name)
            self.hooks.routes(name, [])
        for name, record in self.models.items():
            version = record.latest
            indices = version.assignment()
            serving = [i for i in indices if version.replicas[i].state != core.DRAINING]
            if not serving:
                previous = record.last_available()
                if previous is not None and previous is not version and previous.assignment():
                    version, indices = previous, previous.assignment()
            routes = [(version.server, i, version.internal) for i in indices if version.server]
            if self._routes.get(name) != routes:
                self._routes[name] = routes
                self.hooks.routes(name, routes)

    # -- server autoscaling ----------------------------------------------------------------

    def _models_on(self, server: str) -> list[str]:
        return [n for n, m in self.models.items() if m.latest.server == server]

    def max_model_replicas(self, server: str) -> int:
        return max(
            (m.latest.spec.replicas for m in self.models.values() if m.latest.server == server),
            default=0,
        )

    def empty_replicas(self, server: str) -> int:
        record = self.servers.get(server)
        if record is None:
            return 0
        return sum(
            1
            for i in record.replicas
            if (held := self._occupancy.get((server, i))) is None or not held.occupying
        )

    def _server_scale_up(self, name: str) -> None:
        server = self.servers.get(name)
        if not self.server_autoscaling or server is None:
            return
        target = core.server_scale_up_target(
            server.expected, server.max_replicas, self.max_model_replicas(name)
        )
        if target is not None:
            self._event(f"server/{name}", "ServerScaleUp", f"scheduler requests {target} replicas")
            self.hooks.scale_server(name, target)

    def _server_scale_down(self, name: str) -> None:
        server = self.servers.get(name)
        if not self.server_autoscaling or server is None:
            return
        draw = self.rng.random()
        target = core.server_scale_down_target(
            server.expected,
            server.min_replicas,
            self.empty_replicas(name),
            self.max_model_replicas(name),
            self.settings.pack_threshold,
            draw,
        )
        if target is not None:
            self._event(
                f"server/{name}", "ServerScaleDown", f"scheduler requests {target} replicas"
            )
            self.hooks.scale_server(name, target)


def _version(record: ModelRecord, number: int) -> Version | None:
    return next((v for v in record.versions if v.version == number), None)
