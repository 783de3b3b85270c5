"""Placement, model-state aggregation and server scale decisions (pure scheduler core)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pytest_seldon_scaling.twin.scheduler as core
from pytest_seldon_scaling.twin import (
    ModelSpec,
    ReplicaStatus,
    ServerReplica,
    ServerSnapshot,
    failed_scheduling_status,
    model_state,
    place_model,
    server_scale_down_target,
    server_scale_up_target,
)
from pytest_seldon_scaling.twin.scheduler import (
    NO_MATCHING_SERVERS,
    NOT_ENOUGH_REPLICAS,
    calc_model_version_statistics,
    sort_replicas,
)

SKLEARN = ("mlserver", "sklearn", "alibi-explain")


def server(name="mlserver", replicas=1, memory=1000, caps=SKLEARN, **kw):
    reps = [ServerReplica(i, memory, 0, caps) for i in range(replicas)]
    return ServerSnapshot(name, reps, **kw)


def test_no_server_at_all_fails_with_no_matching_servers():
    placement = place_model(ModelSpec("iris", requirements=("sklearn",)), [])
    assert placement.failure == NO_MATCHING_SERVERS
    assert placement.reset and not placement.scale_up


def test_requirements_must_all_match_a_servers_capabilities():
    model = ModelSpec("tf", requirements=("tensorflow",))
    assert place_model(model, [server()]).failure == NO_MATCHING_SERVERS
    triton = server("triton", caps=("triton", "tensorflow"))
    assert place_model(model, [server(), triton]).server == "triton"
    partial_match = ModelSpec("x", requirements=("sklearn-1",))
    assert place_model(partial_match, [server()]).failure == NO_MATCHING_SERVERS


def test_pinned_model_goes_only_to_its_server():
    model = ModelSpec("iris", server="other", requirements=("sklearn",))
    assert place_model(model, [server()]).failure == NO_MATCHING_SERVERS
    assert place_model(model, [server(), server("other")]).server == "other"


def test_server_being_deleted_is_skipped_but_unnotified_one_is_allowed():
    model = ModelSpec("iris")
    assert place_model(model, [server(expected_replicas=0)]).failure == NO_MATCHING_SERVERS
    assert place_model(model, [server(expected_replicas=-1)]).scheduled


def test_one_replica_per_server_replica():
    model = ModelSpec("iris", replicas=3)
    placement = place_model(model, [server(replicas=2)])
    assert placement.failure == NOT_ENOUGH_REPLICAS
    assert place_model(model, [server(replicas=3)]).replicas == (0, 1, 2)


def test_memory_filter_counts_reserved_memory_and_the_already_loaded_exception():
    full = ServerSnapshot("s", [ServerReplica(0, 100, 60, SKLEARN), ServerReplica(1, 100, 0)])
    model = ModelSpec("m", memory=50)
    assert place_model(model, [full]).replicas == (1,)
    loaded_here = ModelSpec("m", memory=500, assigned_server="s", replica_states={0: "Available"})
    assert place_model(loaded_here, [full]).replicas == (0,)
    requested_only = ModelSpec(
        "m", memory=500, assigned_server="s", replica_states={0: "LoadRequested"}
    )
    assert place_model(requested_only, [full]).failure == NOT_ENOUGH_REPLICAS


def test_replica_states_may_be_given_with_reasons():
    model = ModelSpec(
        "m", memory=500, assigned_server="s", replica_states={0: ReplicaStatus("Available")}
    )
    full = ServerSnapshot("s", {0: ServerReplica(0, 100, 0, SKLEARN)})
    assert place_model(model, [full]).replicas == (0,)


def test_draining_and_explainer_filters():
    s = ServerSnapshot(
        "s", [ServerReplica(0, 100, 0, SKLEARN, draining=True), ServerReplica(1, 100, 0, SKLEARN)]
    )
    assert place_model(ModelSpec("m"), [s]).replicas == (1,)
    no_explain = server(caps=("sklearn",))
    assert place_model(ModelSpec("e", explainer=True), [no_explain]).failure == NOT_ENOUGH_REPLICAS


def test_replica_order_loaded_first_then_free_memory_then_index():
    reps = [ServerReplica(0, 10), ServerReplica(1, 50), ServerReplica(2, 50), ServerReplica(3, 5)]
    model = ModelSpec("m", assigned_server="s", replica_states={3: "Loading"})
    assert [r.index for r in sort_replicas(model, "s", reps)] == [3, 1, 2, 0]
    underflow = [ServerReplica(0, 10), ServerReplica(1, 10, 20)]
    assert [r.index for r in sort_replicas(ModelSpec("m"), "s", underflow)] == [1, 0]


def test_model_stays_on_its_current_server_first():
    model = ModelSpec("m", assigned_server="b", replica_states={0: "Available"})
    assert place_model(model, [server("a"), server("b")]).server == "b"


def test_partial_scheduling_with_min_replicas():
    model = ModelSpec("m", replicas=3, min_replicas=1, assigned_server="s")
    placement = place_model(model, [server("s", replicas=2)])
    assert placement.scheduled and placement.partial
    assert placement.replicas == (0, 1)
    assert placement.scale_up_server == "s"


def test_scale_up_event_only_for_a_previously_assigned_server():
    new_model = ModelSpec("m", replicas=3)
    placement = place_model(new_model, [server(replicas=1)])
    assert placement.failure == NOT_ENOUGH_REPLICAS and placement.scale_up_server is None
    assigned = ModelSpec(
        "m", replicas=3, assigned_server="mlserver", replica_states={0: "Available"}
    )
    placement = place_model(assigned, [server(replicas=1)])
    assert placement.failure == NOT_ENOUGH_REPLICAS
    assert placement.scale_up_server == "mlserver" and not placement.reset


def test_deleted_model_is_unloaded_everywhere():
    model = ModelSpec("m", deleted=True, assigned_server="s", replica_states={0: "Available"})
    placement = place_model(model, [server("s")])
    assert placement.scheduled and placement.server == "s" and placement.replicas == ()


def test_zero_replicas_places_nothing():
    placement = place_model(ModelSpec("m", replicas=0), [server()])
    assert placement.scheduled and placement.replicas == ()


@given(
    replicas=st.integers(0, 5),
    min_replicas=st.integers(0, 5),
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    memory=st.integers(0, 150),
)
def test_placement_properties(replicas, min_replicas, sizes, memory):
    servers = [server(f"s{i}", replicas=n, memory=100) for i, n in enumerate(sizes)]
    model = ModelSpec("m", replicas=replicas, min_replicas=min_replicas, memory=memory)
    placement = place_model(model, servers)
    if placement.scheduled:
        assert len(set(placement.replicas)) == len(placement.replicas)
        size = sizes[int(placement.server[1:])]
        assert all(0 <= i < size for i in placement.replicas)
        if placement.partial:
            assert min_replicas <= len(placement.replicas) < replicas
        else:
            assert len(placement.replicas) == replicas
    else:
        assert placement.failure in (NO_MATCHING_SERVERS, NOT_ENOUGH_REPLICAS)
        fits = 0 if memory > 100 else max(sizes)
        assert fits < replicas and (min_replicas == 0 or fits < min_replicas)


# -- model state -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "spec", "minimum", "expected"),
    [
        ({0: "Available", 1: "Available"}, 2, 0, ("ModelAvailable", 2, 0)),
        ({0: "Available", 1: "Loading"}, 2, 0, ("ModelProgressing", 1, 1)),
        ({0: "Available", 1: "Loading"}, 2, 1, ("ModelAvailable", 1, 1)),
        ({}, 0, 0, ("ModelScaledDown", 0, 0)),
        ({0: "Unloaded"}, 0, 0, ("ModelScaledDown", 0, 0)),
        ({0: "Available", 1: "LoadFailed"}, 2, 0, ("ModelFailed", 1, 1)),
        ({0: "Draining"}, 1, 0, ("ModelProgressing", 0, 0)),
    ],
)
def test_model_state_aggregation(states, spec, minimum, expected):
    status = model_state(states, spec, minimum)
    assert (status.state, status.available_replicas, status.unavailable_replicas) == expected


def test_model_failed_reason_is_the_latest_failed_replicas():
    states = {
        0: ReplicaStatus("LoadFailed", "old", 1.0),
        1: ReplicaStatus("LoadFailed", "new", 2.0),
    }
    assert model_state(states, 2).reason == "new"


def test_rolling_update_is_available_while_previous_version_was():
    states = {0: "Available", 1: "Loading"}
    status = model_state(states, 2, previous_available_is_other_version=True)
    assert status.state == "ModelAvailable"


def test_old_versions_terminate():
    assert model_state({0: "Unloading"}, 1, latest=False).state == "ModelTerminating"
    assert model_state({0: "Unloaded"}, 1, deleted=True).state == "ModelTerminated"
    assert model_state({0: "UnloadFailed"}, 1, deleted=True).state == "ModelTerminateFailed"


def test_failed_scheduling_counts_loaded_replicas_in_uint32():
    status = failed_scheduling_status({0: "Available"}, 3, NOT_ENOUGH_REPLICAS)
    assert (status.state, status.available_replicas, status.unavailable_replicas) == (
        "ScheduleFailed",
        1,
        2,
    )
    status = failed_scheduling_status({0: "Draining", 1: "Draining"}, 1, NOT_ENOUGH_REPLICAS)
    assert status.available_replicas == 2 and status.unavailable_replicas == 4294967295


# -- server autoscaling ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "maximum", "max_model", "target"),
    [
        (1, 4294967295, 3, 3),
        (1, 2, 3, 2),
        (1, 1, 3, 1),  # fires with a no-op target, as Core 2 does
        (3, 5, 3, None),
        (-1, 5, 3, None),
        (1, 0, 3, None),  # 2.9 with unset max: no scale-up
    ],
)
def test_server_scale_up_target(expected, maximum, max_model, target):
    assert server_scale_up_target(expected, maximum, max_model) == target


def test_packing_example_two_replicas():
    # S1: A1,C1; S2: B1,C2; C unloaded -> no empty replica, max model replicas 1
    assert server_scale_down_target(2, 1, 0, 1, pack_threshold=0.0, pack_draw=0.99) is None
    assert server_scale_down_target(2, 1, 0, 1, pack_threshold=1.0, pack_draw=0.3) == 1
    assert server_scale_down_target(2, 1, 0, 1, pack_threshold=0.25, pack_draw=0.5) is None
    assert server_scale_down_target(2, 1, 0, 1, pack_threshold=0.25, pack_draw=0.8) == 1


def test_packing_example_three_replicas_two_replica_models():
    assert server_scale_down_target(3, 0, 0, 2, pack_threshold=1.0, pack_draw=0.5) == 2


def test_empty_replicas_are_removed_but_never_below_min_or_one():
    assert server_scale_down_target(3, 0, 2, 1, 0.0, 0.5) == 1
    assert server_scale_down_target(3, 2, 2, 1, 0.0, 0.5) == 2
    assert server_scale_down_target(1, 0, 1, 0, 1.0, 0.9) is None


def test_more_empty_replicas_than_expected_wraps_like_uint32():
    assert server_scale_down_target(2, 1, 3, 0, 0.0, 0.5) == 4294967295


@given(
    expected=st.integers(-1, 10),
    minimum=st.integers(0, 5),
    empty=st.integers(0, 10),
    max_model=st.integers(0, 10),
    threshold=st.floats(0, 1),
    draw=st.floats(0, 0.999),
)
def test_scale_down_never_below_floor_and_never_from_one(
    expected, minimum, empty, max_model, threshold, draw
):
    target = server_scale_down_target(expected, minimum, empty, max_model, threshold, draw)
    if expected <= 1:
        assert target is None
    elif target is not None:
        assert target >= max(minimum, 1)
        if empty <= expected:
            assert target <= max(expected, minimum)


# SeldonIO/seldon-core v2.10.x, scheduler/pkg/store/memory_status.go: calcModelVersionStatistics
# counts LoadedUnavailable with LoadFailed and Draining apart, and updateModelState holds a
# deleted or superseded version in ModelTerminating only for unloading, available or loading
# replicas; AvailableReplicas is reported in every branch.
@pytest.mark.parametrize(
    ("states", "latest", "deleted", "expected"),
    [
        ({0: "LoadedUnavailable"}, True, True, ("ModelTerminated", 0, 1, 0)),
        ({0: "Draining"}, True, True, ("ModelTerminated", 0, 0, 1)),
        ({0: "Draining", 1: "LoadedUnavailable"}, False, False, ("ModelTerminated", 0, 1, 1)),
        ({0: "Available", 1: "Unloaded"}, True, True, ("ModelTerminating", 1, 0, 0)),
        ({0: "Available", 1: "Available"}, False, False, ("ModelTerminating", 2, 0, 0)),
        ({0: "UnloadEnvoyRequested"}, True, True, ("ModelTerminating", 0, 0, 0)),
        ({0: "Loading", 1: "UnloadFailed"}, True, True, ("ModelTerminateFailed", 0, 1, 0)),
    ],
)
def test_terminating_versions_follow_update_model_state(states, latest, deleted, expected):
    status = model_state(states, 2, latest=latest, deleted=deleted)
    got = (
        status.state,
        status.available_replicas,
        status.unavailable_replicas,
        status.draining_replicas,
    )
    assert got == expected


def test_terminate_failed_carries_the_unload_failure_reason():
    states = {
        0: ReplicaStatus("UnloadFailed", "agent gone", 5.0),
        1: ReplicaStatus("UnloadFailed", "rclone timeout", 7.0),
        2: ReplicaStatus("LoadFailed", "not this one", 9.0),
    }
    status = model_state(states, 3, deleted=True)
    assert (status.state, status.reason, status.timestamp) == (
        "ModelTerminateFailed",
        "rclone timeout",
        7.0,
    )


def test_live_model_remembers_load_failures_not_unload_failures():
    states = {
        0: ReplicaStatus("UnloadFailed", "ignored", 9.0),
        1: ReplicaStatus("LoadedUnavailable", "envoy", 3.0),
    }
    assert model_state(states, 2).reason == "envoy"


def test_statistics_take_the_first_of_equal_failure_times():
    # Go's After is strict: a later replica with the same timestamp does not replace it
    stats = calc_model_version_statistics(
        {
            0: ReplicaStatus("LoadFailed", "first", 1.0),
            1: ReplicaStatus("LoadFailed", "second", 1.0),
        },
        deleted=False,
    )
    assert (stats.load_failed, stats.last_failed_reason, stats.latest_time) == (2, "first", 1.0)


def test_get_failed_models_lists_failed_and_short_models():
    from pytest_seldon_scaling.twin.scheduler import ModelStatus, get_failed_models

    models = [
        ("failed", ModelStatus("ModelFailed"), 1, False),
        ("schedule-failed", ModelStatus("ScheduleFailed", available_replicas=1), 2, False),
        ("short", ModelStatus("ModelAvailable", available_replicas=1), 2, False),
        ("progressing-short", ModelStatus("ModelProgressing"), 1, False),
        ("complete", ModelStatus("ModelAvailable", available_replicas=2), 2, False),
        ("terminating", ModelStatus("ModelTerminating"), 1, False),
        ("deleted", ModelStatus("ScheduleFailed"), 1, True),
    ]
    assert get_failed_models(models) == [
        "failed",
        "schedule-failed",
        "short",
        "progressing-short",
    ]


def test_server_sorter_puts_the_models_current_server_first_and_keeps_the_rest_in_order():
    # ModelAlreadyLoadedOnServerSorter (scheduler/pkg/scheduler/sorters): a stable sort on
    # "is the model's server"; Go iterates a map before it, so the given order stands in
    from pytest_seldon_scaling.twin.scheduler import sort_servers

    servers = [server("a"), server("b"), server("c")]
    placed = ModelSpec("iris", assigned_server="c")
    assert [s.name for s in sort_servers(placed, servers)] == ["c", "a", "b"]
    assert [s.name for s in sort_servers(ModelSpec("new"), servers)] == ["a", "b", "c"]


def test_remove_and_drain_server_replica_pick_the_versions_on_that_agent():
    from pytest_seldon_scaling.twin.scheduler import drain_server_replica, remove_server_replica

    versions = [
        ("a", 1, "mlserver", {0: "Available", 1: "Available"}),
        ("b", 1, "mlserver", {0: "Unloaded", 2: "Loading"}),
        ("b", 2, "other", {1: "Available"}),
        ("c", 3, "mlserver", {1: "UnloadRequested"}),
        ("d", 1, None, {1: "ModelReplicaStateUnknown"}),
    ]
    assert remove_server_replica(versions, "mlserver", 1) == [("a", 1), ("c", 3)]
    assert remove_server_replica(versions, "mlserver", 0) == [("a", 1), ("b", 1)]
    # only loading or loaded replicas move; one already unloading stays as it is
    assert drain_server_replica(versions, "mlserver", 1) == [("a", 1)]
    assert drain_server_replica(versions, "mlserver", 2) == [("b", 1)]


@pytest.mark.parametrize(
    ("current", "states", "server", "chosen", "expected"),
    [
        # a new model: every chosen replica loads
        (None, {}, "mlserver", (0, 1), (False, (0, 1), ())),
        # scale up: the loaded replica stays, the new one loads
        ("mlserver", {0: "Available"}, "mlserver", (0, 1), (False, (1,), ())),
        # scale down: the replica left out unloads through Envoy
        ("mlserver", {0: "Available", 1: "Available"}, "mlserver", (0,), (False, (), (1,))),
        # replicas already going away are left alone
        (
            "mlserver",
            {0: "Available", 1: "Draining", 2: "Unloading", 3: "UnloadFailed"},
            "mlserver",
            (0,),
            (False, (), ()),
        ),
        # a failed load is retried on the chosen replica
        ("mlserver", {0: "LoadFailed"}, "mlserver", (0,), (False, (0,), ())),
        # another server while replicas live: a new version loads there
        ("mlserver", {0: "Available"}, "triton", (0, 1), (True, (0, 1), ())),
        # another server after everything unloaded: the same version moves
        ("mlserver", {0: "Unloaded"}, "triton", (1,), (False, (1,), ())),
    ],
)
def test_update_loaded_models(current, states, server, chosen, expected):
    from pytest_seldon_scaling.twin.scheduler import update_loaded_models

    update = update_loaded_models(current, states, server, chosen)
    assert (update.new_version, update.load, update.unload) == expected


def test_version_cleaner_unloads_old_versions_and_forgets_finished_ones():
    from pytest_seldon_scaling.twin.scheduler import clean_old_versions

    old = [
        {0: "Unloaded", 1: "UnloadFailed"},  # finished: forgotten
        {0: "Available", 1: "Unloading", 2: "Draining"},  # live replicas unload
        {},  # never placed: forgotten
    ]
    unload, forget = clean_old_versions(old)
    assert unload == [(1, 0), (1, 2)]
    assert forget == [0, 2]


# AgentEvent + updateModelStateImpl (SeldonIO/seldon-core v2.10.2 scheduler/pkg/agent/server.go,
# scheduler/pkg/store/memory.go): an event moves a replica only from the state it expects
@pytest.mark.parametrize(
    ("event", "current", "moved_to"),
    [
        ("LOADED", core.LOADING, core.LOADED),
        ("LOAD_FAILED", core.LOADING, core.LOAD_FAILED),
        ("UNLOADED", core.UNLOADING, core.UNLOADED),
        ("UNLOAD_FAILED", core.UNLOADING, core.UNLOAD_FAILED),
        # scaled down while loading: the late LOADED is a state mismatch, the unload goes on
        ("LOADED", core.UNLOAD_ENVOY_REQUESTED, None),
        ("LOADED", core.UNLOADING, None),
        ("LOADED", core.AVAILABLE, None),
        ("UNLOADED", core.AVAILABLE, None),
        ("LOAD_FAILED", core.LOADED, None),
        ("LOADED", None, None),
    ],
)
def test_agent_events_move_a_replica_only_from_the_state_they_expect(event, current, moved_to):
    assert core.agent_event_transition(event, current) == moved_to
