"""The Core 2 scheduler's pure decisions: placement, model state, server scale up/down.

Transcribed from ``scheduler/pkg/scheduler/scheduler.go`` (filters, sorters,
``scheduleToServer``, ``findAndUpdateToServers``), ``store/memory_status.go``
(``updateModelState``, ``FailedScheduling``) and ``server/utils.go``
(``shouldScaleUp``/``shouldScaleDown``) as digested in the spec. Everything here is a function
of plain data; the SimPy scheduler (:mod:`.scheduler_service`) holds the state and calls them.

Servers are considered in the order given (Go iterates a map there, so Core 2's order between
servers not already hosting the model is unspecified); replicas are ordered by the three stable
sorts of the default config.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_UINT32 = 4294967295

NO_MATCHING_SERVERS = "Failed to schedule model as no matching servers are available"
NOT_ENOUGH_REPLICAS = "Failed to schedule model as no matching server had enough suitable replicas"

# Model replica states (mesh.go ModelReplicaState)
LOAD_REQUESTED = "LoadRequested"
LOADING = "Loading"
LOADED = "Loaded"
LOAD_FAILED = "LoadFailed"
AVAILABLE = "Available"
LOADED_UNAVAILABLE = "LoadedUnavailable"
UNLOAD_ENVOY_REQUESTED = "UnloadEnvoyRequested"
UNLOAD_REQUESTED = "UnloadRequested"
UNLOADING = "Unloading"
UNLOADED = "Unloaded"
UNLOAD_FAILED = "UnloadFailed"
DRAINING = "Draining"
REPLICA_STATE_UNKNOWN = "ModelReplicaStateUnknown"

ALREADY_LOADING_OR_LOADED = frozenset({LOADING, LOADED, AVAILABLE, LOADED_UNAVAILABLE})
IS_LOADING_OR_LOADED = ALREADY_LOADING_OR_LOADED | {LOAD_REQUESTED}
UNLOADING_OR_UNLOADED = frozenset(
    {UNLOAD_ENVOY_REQUESTED, UNLOAD_REQUESTED, UNLOADING, UNLOADED, REPLICA_STATE_UNKNOWN}
)
CAN_RECEIVE_TRAFFIC = frozenset({LOADED, AVAILABLE, LOADED_UNAVAILABLE, DRAINING})
INACTIVE = frozenset({UNLOADED, UNLOAD_FAILED, REPLICA_STATE_UNKNOWN})

# Model states (proto ModelStatus.ModelState)
MODEL_STATE_UNKNOWN = "ModelStateUnknown"
MODEL_PROGRESSING = "ModelProgressing"
MODEL_AVAILABLE = "ModelAvailable"
MODEL_FAILED = "ModelFailed"
MODEL_TERMINATING = "ModelTerminating"
MODEL_TERMINATED = "ModelTerminated"
MODEL_TERMINATE_FAILED = "ModelTerminateFailed"
SCHEDULE_FAILED = "ScheduleFailed"
MODEL_SCALED_DOWN = "ModelScaledDown"


# -- plain data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    """State of one model-version replica on one server replica."""

    state: str
    reason: str = ""
    timestamp: float = 0.0


@dataclass(frozen=True)
class ModelSpec:
    """What the scheduler knows of the latest version of a model.

    ``memory`` is bytes per replica (already × instance count); ``server`` pins the model to a
    Server (``spec.server``); ``assigned_server`` is the server the latest version currently
    has (``None`` when unassigned); ``replica_states`` maps server-replica index to the state
    of this version there.
    """

    name: str
    memory: int = 0
    replicas: int = 1
    min_replicas: int = 0
    max_replicas: int = 0
    requirements: tuple[str, ...] = ()
    server: str | None = None
    explainer: bool = False
    assigned_server: str | None = None
    replica_states: Mapping[int, str | ReplicaStatus] = field(default_factory=dict)
    deleted: bool = False

    def state_on(self, server: str, index: int) -> str | None:
        """State of this version on a server replica (None when it has none there)."""
        if self.assigned_server != server or index not in self.replica_states:
            return None
        return _state_name(self.replica_states[index])

    def states(self) -> list[str]:
        return [_state_name(s) for s in self.replica_states.values()]

    def has_live_replicas(self) -> bool:
        return any(s in CAN_RECEIVE_TRAFFIC for s in self.states())

    def is_loading_or_loaded_on_server(self) -> bool:
        return any(s in IS_LOADING_OR_LOADED for s in self.states())


@dataclass(frozen=True)
class ServerReplica:
    """A connected agent: ``available_memory`` as the agent reports it (with over-commit)."""

    index: int
    available_memory: int = 0
    reserved_memory: int = 0
    capabilities: tuple[str, ...] = ()
    draining: bool = False


@dataclass(frozen=True)
class ServerSnapshot:
    """A Server as the scheduler store sees it (``expected_replicas`` -1 until notified)."""

    name: str
    replicas: Sequence[ServerReplica] | Mapping[int, ServerReplica] = ()
    shared: bool = True
    expected_replicas: int = -1
    min_replicas: int = 0
    max_replicas: int = 0

    def replica_list(self) -> list[ServerReplica]:
        """The connected replicas (a mapping by index is accepted as well as a sequence)."""
        if isinstance(self.replicas, Mapping):
            return list(self.replicas.values())
        return list(self.replicas)


@dataclass(frozen=True)
class Placement:
    """Outcome of ``scheduleToServer`` for one model.

    On success ``server``/``replicas`` are where the latest version must be loaded (other
    replicas of the version get unloaded). ``failure`` holds the exact reason text otherwise;
    ``reset`` says the model's server assignment is cleared. ``scale_up_server`` is the server
    a ``SERVER_SCALE_UP`` event is built for (only a previously assigned one).
    """

    server: str | None = None
    replicas: tuple[int, ...] = ()
    partial: bool = False
    scale_up_server: str | None = None
    failure: str | None = None
    reset: bool = False

    @property
    def scheduled(self) -> bool:
        return self.failure is None

    @property
    def scale_up(self) -> bool:
        return self.scale_up_server is not None


# -- filters ---------------------------------------------------------------------------------


def server_filter_reason(model: ModelSpec, server: ServerSnapshot) -> str | None:
    """Why a server is rejected for a model (None when every server filter passes)."""
    replicas = server.replica_list()
    if not replicas:
        return "ServerReplicaFilter: no replicas"
    if model.server:
        if model.server != server.name:
            return f"SharingServerFilter: model requires server {model.server}"
    elif not server.shared:
        return "SharingServerFilter: server not shared"
    if server.expected_replicas == 0:
        return "DeletedServerFilter: server expected replicas is 0"
    capabilities = {c.strip() for c in replicas[0].capabilities}
    missing = [r for r in model.requirements if r.strip() not in capabilities]
    if missing:
        return f"ServerRequirementFilter: missing capabilities {missing}"
    return None


def replica_filter_reason(model: ModelSpec, server: str, replica: ServerReplica) -> str | None:
    """Why a server replica is rejected for a model (None when every replica filter passes)."""
    free = max(0, replica.available_memory - replica.reserved_memory)
    already_here = model.state_on(server, replica.index) in ALREADY_LOADING_OR_LOADED
    if model.memory > free and not already_here:
        return f"AvailableMemoryReplicaFilter: needs {model.memory}, has {free}"
    if model.explainer and "alibi-explain" not in {c.strip() for c in replica.capabilities}:
        return "ExplainerFilter: no alibi-explain capability"
    if replica.draining:
        return "ReplicaDrainingFilter: replica draining"
    return None


# -- sorters ---------------------------------------------------------------------------------


def sort_servers(model: ModelSpec, servers: Sequence[ServerSnapshot]) -> list[ServerSnapshot]:
    """``ModelAlreadyLoadedOnServerSorter``: the model's current server first, others in order."""
    return sorted(servers, key=lambda s: s.name != model.assigned_server)


def sort_replicas(
    model: ModelSpec, server: str, replicas: Sequence[ServerReplica]
) -> list[ServerReplica]:
    """The three stable sorts (index, then free memory, then already-loaded); last one wins."""
    ordered = sorted(replicas, key=lambda r: r.index)
    ordered.sort(key=lambda r: -((r.available_memory - r.reserved_memory) % (1 << 64)))
    ordered.sort(key=lambda r: model.state_on(server, r.index) not in IS_LOADING_OR_LOADED)
    return ordered


# -- placement -------------------------------------------------------------------------------


def place_model(model: ModelSpec, servers: Sequence[ServerSnapshot]) -> Placement:
    """Where ``scheduleToServer`` puts the latest version of ``model`` on ``servers``."""
    if model.deleted:
        return Placement(server=model.assigned_server, replicas=())
    # a pinned model passes SharingServerFilter on its own server only: skip the others early
    pool = [s for s in servers if s.name == model.server] if model.server else servers
    candidates = [s for s in pool if server_filter_reason(model, s) is None]
    if not candidates:
        return Placement(failure=NO_MATCHING_SERVERS, reset=not model.has_live_replicas())
    candidates = sort_servers(model, candidates)
    desired = model.replicas
    chosen = _find_server(model, candidates, desired, desired)
    partial = False
    if chosen is None and model.min_replicas > 0:
        chosen = _find_server(model, candidates, desired, model.min_replicas)
        partial = chosen is not None
    desired_met = chosen is not None and not partial
    # desired not met: the event names the model's previously assigned server, if any
    scale_up_server = None if desired_met else (model.assigned_server or None)
    if chosen is None:
        reset = not model.has_live_replicas() and not model.is_loading_or_loaded_on_server()
        return Placement(failure=NOT_ENOUGH_REPLICAS, reset=reset, scale_up_server=scale_up_server)
    server, indices = chosen
    return Placement(
        server=server, replicas=indices, partial=partial, scale_up_server=scale_up_server
    )


def _find_server(
    model: ModelSpec, servers: Sequence[ServerSnapshot], desired: int, needed: int
) -> tuple[str, tuple[int, ...]] | None:
    for server in servers:
        suitable = [
            r for r in server.replica_list() if replica_filter_reason(model, server.name, r) is None
        ]
        if len(suitable) < needed:
            continue
        ordered = sort_replicas(model, server.name, suitable)
        count = needed if needed == desired else min(len(suitable), desired)
        return server.name, tuple(r.index for r in ordered[:count])
    return None


# -- model state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelStatus:
    """A model version's aggregated state as the scheduler reports it."""

    state: str
    reason: str = ""
    available_replicas: int = 0
    unavailable_replicas: int = 0
    draining_replicas: int = 0
    # when the state was reached: informational, so equal states compare equal
    timestamp: float = field(default=-math.inf, compare=False)


@dataclass(frozen=True)
class ModelVersionStatistics:
    """``modelVersionStateStatistics``: replica counts by state group, last failure, latest time.

    An unset time is ``-inf`` (Go's zero ``time.Time``, before any replica's timestamp).
    """

    available: int = 0
    loading: int = 0
    load_failed: int = 0
    unloading: int = 0
    unloaded: int = 0
    unload_failed: int = 0
    draining: int = 0
    last_failed_state_time: float = -math.inf
    latest_time: float = -math.inf
    last_failed_reason: str = ""


_STATISTIC_OF_STATE = {
    AVAILABLE: "available",
    LOAD_REQUESTED: "loading",
    LOADING: "loading",
    LOADED: "loading",
    LOAD_FAILED: "load_failed",
    LOADED_UNAVAILABLE: "load_failed",
    UNLOAD_ENVOY_REQUESTED: "unloading",
    UNLOAD_REQUESTED: "unloading",
    UNLOADING: "unloading",
    UNLOADED: "unloaded",
    UNLOAD_FAILED: "unload_failed",
    DRAINING: "draining",
}


def calc_model_version_statistics(
    replicas: Mapping[int, ReplicaStatus | str], deleted: bool
) -> ModelVersionStatistics:
    """``calcModelVersionStatistics`` (SeldonIO/seldon-core v2.10.x, scheduler/pkg/store/
    memory_status.go): count replicas per state group.

    The failure remembered is the newest (strictly later timestamp, Go's ``After``) LoadFailed or
    LoadedUnavailable replica of a live model, or UnloadFailed replica of a deleted one.
    """
    counts = dict.fromkeys(_STATISTIC_OF_STATE.values(), 0)
    failed_at, latest, reason = -math.inf, -math.inf, ""
    for value in replicas.values():
        status = _status(value)
        group = _STATISTIC_OF_STATE.get(status.state)
        if group is not None:
            counts[group] += 1
        remembered = "unload_failed" if deleted else "load_failed"
        if group == remembered and status.timestamp > failed_at:
            failed_at, reason = status.timestamp, status.reason
        latest = max(latest, status.timestamp)
    return ModelVersionStatistics(
        **counts, last_failed_state_time=failed_at, latest_time=latest, last_failed_reason=reason
    )


def update_model_state(
    stats: ModelVersionStatistics,
    spec_replicas: int,
    min_replicas: int = 0,
    *,
    previous_available_is_other_version: bool = False,
    latest: bool = True,
    deleted: bool = False,
) -> ModelStatus:
    """``updateModelState`` (SeldonIO/seldon-core v2.10.x, scheduler/pkg/store/memory_status.go).

    A deleted or superseded version is ModelTerminateFailed (with the remembered failure) when a
    replica failed to unload, ModelTerminating while any replica is unloading, available or
    loading, else ModelTerminated (LoadedUnavailable and Draining replicas do not hold it).
    ``previous_available_is_other_version``: the last version in ``ModelAvailable`` is a
    different (older) version, which keeps a rolling update Available as soon as one replica
    of the new version is. The replica counts are reported in every branch.
    """
    state, reason, timestamp = MODEL_PROGRESSING, "", stats.latest_time
    if deleted or not latest:
        if stats.unload_failed > 0:
            state, reason = MODEL_TERMINATE_FAILED, stats.last_failed_reason
            timestamp = stats.last_failed_state_time
        elif stats.unloading > 0 or stats.available > 0 or stats.loading > 0:
            state = MODEL_TERMINATING
        else:
            state = MODEL_TERMINATED
    elif stats.load_failed > 0:
        state, reason = MODEL_FAILED, stats.last_failed_reason
        timestamp = stats.last_failed_state_time
    elif stats.available == 0 and spec_replicas == 0 and min_replicas == 0:
        state = MODEL_SCALED_DOWN
    elif (
        stats.available == spec_replicas
        or (min_replicas > 0 and stats.available >= min_replicas)
        or (stats.available > 0 and previous_available_is_other_version)
    ):
        state = MODEL_AVAILABLE
    return ModelStatus(
        state,
        reason,
        stats.available,
        stats.loading + stats.load_failed,
        stats.draining,
        timestamp,
    )


def model_state(
    replicas: Mapping[int, ReplicaStatus | str],
    spec_replicas: int,
    min_replicas: int = 0,
    *,
    previous_available_is_other_version: bool = False,
    latest: bool = True,
    deleted: bool = False,
) -> ModelStatus:
    """``updateModelStatus``: :func:`calc_model_version_statistics` then
    :func:`update_model_state` for one model version's replicas."""
    return update_model_state(
        calc_model_version_statistics(replicas, deleted),
        spec_replicas,
        min_replicas,
        previous_available_is_other_version=previous_available_is_other_version,
        latest=latest,
        deleted=deleted,
    )


def get_failed_models(
    models: Iterable[tuple[str, ModelStatus, int, bool]],
) -> list[str]:
    """``getFailedModels`` (SeldonIO/seldon-core v2.10.x, scheduler/pkg/scheduler/scheduler.go):
    the models to schedule again, from ``(name, latest status, spec replicas, deleted)``.

    ModelFailed and ScheduleFailed models, and Available or Progressing ones with fewer
    available replicas than wanted; deleted models are being unloaded, never retried.
    """
    return [
        name
        for name, status, replicas, deleted in models
        if not deleted
        and (
            status.state in (MODEL_FAILED, SCHEDULE_FAILED)
            or (
                status.state in (MODEL_AVAILABLE, MODEL_PROGRESSING)
                and status.available_replicas < replicas
            )
        )
    ]


@dataclass(frozen=True)
class LoadedModelsUpdate:
    """What ``UpdateLoadedModels`` does to a model version for a placement."""

    new_version: bool  # the placement moves live replicas to another server
    load: tuple[int, ...]  # replicas to request a load on (LoadRequested, then Loading)
    unload: tuple[int, ...]  # replicas of the version to unload (UnloadEnvoyRequested)


def update_loaded_models(
    current_server: str | None,
    states: Mapping[int, str],
    server: str | None,
    replicas: Sequence[int],
) -> LoadedModelsUpdate:
    """``UpdateLoadedModels`` (SeldonIO/seldon-core v2.10.x, scheduler/pkg/store/memory.go) for
    the latest version on ``current_server`` with replica ``states``, placed on ``server``'s
    ``replicas``.

    A different server while the version still has live replicas makes a new version (which
    starts empty: every chosen replica loads); otherwise chosen replicas not already loading or
    loaded load, and the version's other replicas unload unless already unloading, unloaded,
    failed to unload or draining.
    """
    moves = (
        server is not None
        and current_server is not None
        and current_server != server
        and not all(s in INACTIVE for s in states.values())
    )
    chosen = sorted(set(replicas))
    if moves:
        return LoadedModelsUpdate(True, tuple(chosen), ())
    load = tuple(i for i in chosen if states.get(i) not in IS_LOADING_OR_LOADED)
    keep = {DRAINING, UNLOADED, UNLOAD_FAILED} | UNLOADING_OR_UNLOADED
    unload = tuple(i for i, s in states.items() if i not in chosen and s not in keep)
    return LoadedModelsUpdate(False, load, unload)


def clean_old_versions(
    old_versions: Sequence[Mapping[int, str]],
) -> tuple[list[tuple[int, int]], list[int]]:
    """``VersionCleaner`` once the latest version is available, over the replica states of the
    older versions (oldest first): the ``(version position, replica)`` pairs to unload (every
    replica not already unloading or gone), and the positions of versions to forget (every
    replica gone)."""
    unload = [
        (position, index)
        for position, states in enumerate(old_versions)
        for index, state in states.items()
        if state not in UNLOADING_OR_UNLOADED and state not in INACTIVE
    ]
    forget = [
        position
        for position, states in enumerate(old_versions)
        if all(state in INACTIVE for state in states.values())
    ]
    return unload, forget


VersionReplicas = tuple[str, int, "str | None", Mapping[int, str]]
"""(model, version, server, replica index -> state) of one model version in the store."""


def remove_server_replica(
    versions: Iterable[VersionReplicas], server: str, index: int
) -> list[tuple[str, int]]:
    """``RemoveServerReplica`` (SeldonIO/seldon-core v2.10.x, scheduler/pkg/store/memory.go):
    the model versions that lose their replica when agent ``index`` of ``server`` goes away
    (each is then re-scheduled)."""
    return [
        (model, version)
        for model, version, on, states in versions
        if on == server and index in states
    ]


def drain_server_replica(
    versions: Iterable[VersionReplicas], server: str, index: int
) -> list[tuple[str, int]]:
    """``DrainServerReplica`` (same file): the model versions whose replica on the draining
    agent is loading or loaded; they go to Draining and are scheduled elsewhere."""
    return [
        (model, version)
        for model, version, on, states in versions
        if on == server and states.get(index) in IS_LOADING_OR_LOADED
    ]


def failed_scheduling_status(
    replicas: Mapping[int, ReplicaStatus | str], spec_replicas: int, reason: str
) -> ModelStatus:
    """``FailedScheduling``: ``ScheduleFailed`` with the loaded replicas still counted."""
    states = [_status(s).state for s in replicas.values()]
    available = sum(1 for s in states if s in (LOADED, AVAILABLE, LOADED_UNAVAILABLE))
    if available == 0:
        available = sum(1 for s in states if s == DRAINING)
    unavailable = (spec_replicas - available) & MAX_UINT32
    return ModelStatus(SCHEDULE_FAILED, reason, available, unavailable)


# AgentEvent (scheduler/pkg/agent/server.go, SeldonIO/seldon-core v2.10.2): the replica state
# an agent's model event moves from and to
_AGENT_EVENT_STATES = {
    "LOADED": (LOADING, LOADED),
    "UNLOADED": (UNLOADING, UNLOADED),
    "LOAD_FAILED": (LOADING, LOAD_FAILED),
    "UNLOAD_FAILED": (UNLOADING, UNLOAD_FAILED),
}


def agent_event_transition(event: str, current: ReplicaStatus | str | None) -> str | None:
    """``AgentEvent`` then ``UpdateModelState``: the replica state an agent's model event moves
    the replica to, or None when the store refuses it.

    The store takes an event only from the state the event expects ("State mismatch for
    <model>:<version> expected state Loading but was ..." otherwise,
    scheduler/pkg/store/memory.go ``updateModelStateImpl``): a LOADED event for a replica the
    scheduler has meanwhile asked to unload changes nothing, and the unload goes on.
    """
    expected, desired = _AGENT_EVENT_STATES[event]
    if current is None or _state_name(current) != expected:
        return None
    return desired


def _state_name(value: ReplicaStatus | str) -> str:
    return value.state if isinstance(value, ReplicaStatus) else value


def _status(value: ReplicaStatus | str) -> ReplicaStatus:
    return value if isinstance(value, ReplicaStatus) else ReplicaStatus(value)


# -- server autoscaling ----------------------------------------------------------------------


def server_scale_up_target(
    expected_replicas: int, max_replicas: int, max_model_replicas: int
) -> int | None:
    """``shouldScaleUp``: the replica count to request, or None when it does not fire.

    ``max_model_replicas`` is the largest ``spec.replicas`` of the models assigned to the
    server. Fires even when the target equals the current count (a harmless patch in Core 2).
    """
    if expected_replicas < 0 or max_replicas < 1:
        return None
    if max_model_replicas > expected_replicas:
        return min(max_model_replicas, max_replicas)
    return None


def server_scale_down_target(
    expected_replicas: int,
    min_replicas: int,
    empty_replicas: int,
    max_model_replicas: int,
    pack_threshold: float,
    pack_draw: float,
) -> int | None:
    """``shouldScaleDown``: the replica count to request, or None when it does not fire.

    ``pack_draw`` is the uniform [0, 1) number Core 2 draws per evaluation; packing is tried
    when it exceeds ``1 - pack_threshold``. Arithmetic is uint32 as in Go: more empty replicas
    than expected ones wraps around to a huge target (which the controller then rejects).
    """
    floor = min_replicas if min_replicas != 0 else 1
    current = expected_replicas & MAX_UINT32
    try_pack = pack_draw > 1 - pack_threshold and max_model_replicas < current
    target = max(floor, (current - empty_replicas) & MAX_UINT32)
    if try_pack:
        remove = (current - max_model_replicas) & MAX_UINT32
        keep = (current - remove) & MAX_UINT32
        if remove > empty_replicas and keep > 0:
            target = max(floor, keep)
    if (try_pack or empty_replicas > 0) and expected_replicas > 1:
        return target
    return None


# -- 2.9 lag-based model autoscaling ---------------------------------------------------------
# SeldonIO/seldon-core v2.9.x: the agent's scheduler/pkg/agent/modelscaling (stats analyser)
# raises triggers, scheduler/pkg/agent/server.go turns a trigger into a ±1 replica step.

SCALE_UP = "up"
SCALE_DOWN = "down"


def model_scaling_trigger(
    lag: int, lag_threshold: int, idle_seconds: float, inactive_seconds: float
) -> str | None:
    """The agent's stats analyser for one loaded model: ``SCALE_UP`` when the in-flight lag
    reached the threshold (the agent then resets it), else ``SCALE_DOWN`` when the model has
    been unused for ``inactive_seconds``, else None."""
    if lag >= lag_threshold:
        return SCALE_UP
    if idle_seconds >= inactive_seconds:
        return SCALE_DOWN
    return None


def autoscaling_enabled(min_replicas: int, max_replicas: int) -> bool:
    """``AutoscalingEnabled``: lag autoscaling acts only when min or max replicas is set."""
    return min_replicas != 0 or max_replicas != 0


def check_model_scaling_within_range(target: int, min_replicas: int, max_replicas: int) -> bool:
    """``checkModelScalingWithinRange``: enabled, never below 1 or min, never above a set max."""
    if not autoscaling_enabled(min_replicas, max_replicas):
        return False
    if target < min_replicas or target < 1:
        return False
    return not (max_replicas > 0 and target > max_replicas)


def calculate_desired_num_replicas(
    replicas: int, min_replicas: int, max_replicas: int, trigger: str
) -> int | None:
    """``calculateDesiredNumReplicas``: one step in the trigger's direction, or None."""
    target = replicas + (1 if trigger == SCALE_UP else -1)
    if check_model_scaling_within_range(target, min_replicas, max_replicas):
        return target
    return None


def is_model_stable(state_time: float, now: float, cool_down_seconds: float) -> bool:
    """``isModelStable``: the model's state is older than the cool-down."""
    return state_time < now - cool_down_seconds


def model_scaling_target(
    trigger: str,
    replicas: int,
    min_replicas: int,
    max_replicas: int,
    *,
    latest_is_last_available: bool,
    trigger_version_is_latest: bool,
    deleted: bool,
    state_time: float,
    now: float,
    cool_down_seconds: float,
) -> int | None:
    """The scheduler's answer to a trigger (``applyModelScaling``): the new replica count of
    the latest version, or None when the trigger is dropped.

    A scale-up needs the latest version to be the last available one and the trigger to be
    about it; a scale-down needs a live model whose state is stable past the cool-down.
    """
    if trigger == SCALE_UP:
        if not (latest_is_last_available and trigger_version_is_latest):
            return None
    elif deleted or not is_model_stable(state_time, now, cool_down_seconds):
        return None
    return calculate_desired_num_replicas(replicas, min_replicas, max_replicas, trigger)
