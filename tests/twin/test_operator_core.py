"""The controller's validated scaling spec (Core 2's TestGetValidatedScalingSpec) and status."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.twin import ScalingSpecError, validated_scaling_spec
from pytest_seldon_scaling.twin.operator import (
    MAX_UINT32,
    accepts_scaling_request,
    can_remove_model_finalizer,
    model_conditions,
    server_conditions,
)

PREFIX = "scaling spec is invalid: "

CASES_210 = [
    ((2, 1, 3), (2, 1, 3)),
    ((1, 2, 4), PREFIX + "number of replicas 1 must be >= min replicas 2"),
    ((5, 1, 4), PREFIX + "number of replicas 5 must be <= max replicas 4"),
    ((0, 1, None), PREFIX + "number of replicas 0 must be >= min replicas 1"),
    ((6, 6, 4), PREFIX + "min number of replicas 6 must be <= max number of replicas 4"),
    ((0, 0, 4), (0, 0, 4)),
    ((0, None, None), (0, 0, MAX_UINT32)),
    ((4, 4, 4), (4, 4, 4)),
    ((2, None, None), (2, 0, MAX_UINT32)),
    ((None, None, None), (1, 0, MAX_UINT32)),
    ((None, 2, None), (2, 2, MAX_UINT32)),
    ((None, 0, None), (1, 0, MAX_UINT32)),
    ((None, None, 2), (1, 0, 2)),
]


@pytest.mark.parametrize(("args", "expected"), CASES_210)
def test_validated_scaling_spec_matches_core_210(args, expected):
    if isinstance(expected, str):
        with pytest.raises(ScalingSpecError) as error:
            validated_scaling_spec(*args)
        assert str(error.value) == expected
    else:
        assert validated_scaling_spec(*args) == expected


def test_v29_sends_unset_max_as_zero_and_turns_zero_replicas_into_min_or_one():
    assert validated_scaling_spec(None, None, None, core_version="2.9") == (1, 0, 0)
    assert validated_scaling_spec(0, None, None, core_version="2.9") == (1, 0, 0)
    assert validated_scaling_spec(0, 2, None, core_version="2.9") == (2, 2, 0)
    assert validated_scaling_spec(3, None, 0, core_version="2.9") == (3, 0, 0)
    with pytest.raises(ScalingSpecError, match="must be <= min replicas  2"):
        validated_scaling_spec(3, None, 2, core_version="2.9")


def test_v28_sends_values_as_given():
    assert validated_scaling_spec(None, 2, None, core_version="2.8") == (2, 2, 0)
    assert validated_scaling_spec(5, None, 2, core_version="2.8") == (5, 0, 2)


def test_unknown_core_version_is_rejected():
    with pytest.raises(ValueError, match=r"2\.7"):
        validated_scaling_spec(1, None, None, core_version="2.7")


ints = st.one_of(st.none(), st.integers(min_value=-5, max_value=20))


@given(ints, ints, ints)
def test_a_valid_210_spec_is_ordered(replicas, min_replicas, max_replicas):
    try:
        spec = validated_scaling_spec(replicas, min_replicas, max_replicas)
    except ScalingSpecError as error:
        assert str(error).startswith(PREFIX)
        return
    assert spec.min_replicas <= spec.replicas <= spec.max_replicas
    if max_replicas is None or max_replicas <= 0:
        assert spec.max_replicas == MAX_UINT32
    if replicas is not None and replicas >= 0:
        assert spec.replicas == replicas


def test_model_conditions_carry_state_as_message_and_scheduler_text_as_reason():
    ready, happy = model_conditions("ScheduleFailed", "Failed to schedule model as no x")
    assert (ready.type, ready.status, ready.message, ready.reason) == (
        "ModelReady",
        "False",
        "ScheduleFailed",
        "Failed to schedule model as no x",
    )
    assert (happy.type, happy.status, happy.message) == ("Ready", "False", "ScheduleFailed")
    ready, happy = model_conditions("ModelAvailable", "")
    assert (ready.status, ready.message, happy.status) == ("True", "ModelAvailable", "True")


def test_server_conditions_follow_ready_pods():
    assert server_conditions(1, 2)[0].status == "False"
    assert server_conditions(2, 2)[0].reason == "StatefulSet replicas matches desired replicas"


def test_scaling_request_is_bounded_by_the_servers_own_spec():
    spec = validated_scaling_spec(1, 1, 1)
    assert not accepts_scaling_request(2, spec)
    assert accepts_scaling_request(3, validated_scaling_spec(1, None, None))
    assert accepts_scaling_request(0, validated_scaling_spec(1, None, None))


def test_finalizer_waits_for_the_scheduler():
    assert can_remove_model_finalizer("ModelTerminated")
    assert can_remove_model_finalizer("ScheduleFailed")
    assert not can_remove_model_finalizer("ModelTerminating")


def test_status_updates_for_another_generation_are_dropped():
    from pytest_seldon_scaling.twin.operator import accepts_status_update

    assert accepts_status_update(3, 3)
    assert not accepts_status_update(2, 3)  # a stale version's state after a spec change
