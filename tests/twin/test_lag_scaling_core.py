"""2.9 lag autoscaling decisions, tables transcribed from Core 2's own tests.

SeldonIO/seldon-core v2.9.x, scheduler/pkg/agent/server_test.go: TestCalculateDesiredNumReplicas,
TestModelScalingProtos (createScalingPseudoRequest) and TestAutoscalingEnabled.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.twin.scheduler import (
    SCALE_DOWN,
    SCALE_UP,
    autoscaling_enabled,
    calculate_desired_num_replicas,
    model_scaling_target,
    model_scaling_trigger,
)


@pytest.mark.parametrize(
    ("trigger", "previous", "minimum", "maximum", "expected"),
    [
        (SCALE_UP, 1, 1, 0, 2),  # scale up
        (SCALE_DOWN, 2, 1, 0, 1),  # scale down
        (SCALE_DOWN, 1, 0, 2, None),  # cannot scale down
        (SCALE_DOWN, 2, 0, 0, None),  # scaling not enabled
    ],
)
def test_calculate_desired_num_replicas(trigger, previous, minimum, maximum, expected):
    assert calculate_desired_num_replicas(previous, minimum, maximum, trigger) == expected


NOW = 1000.0
COOL_DOWN = 60.0
STABLE = 0.0  # Go's zero lastUpdate: long before the cool-down
RECENT = NOW  # time.Now(): within the cool-down


@pytest.mark.parametrize(
    ("trigger", "replicas", "minimum", "maximum", "available", "same_version", "since", "want"),
    [
        (SCALE_UP, 1, 0, 0, True, True, STABLE, None),  # scale up not enabled
        (SCALE_UP, 1, 1, 0, True, True, STABLE, 2),  # scale up within range no max
        (SCALE_UP, 1, 1, 2, True, True, STABLE, 2),  # scale up within range
        (SCALE_UP, 1, 1, 1, True, True, STABLE, None),  # scale up not within range
        (SCALE_DOWN, 2, 1, 2, True, True, STABLE, 1),  # scale down within range
        (SCALE_DOWN, 2, 2, 3, True, True, STABLE, None),  # scale down not within range
        (SCALE_DOWN, 2, 0, 0, True, True, STABLE, None),  # scale down not enabled
        (SCALE_DOWN, 2, 1, 0, True, True, RECENT, None),  # not stable: no scale down
        (SCALE_UP, 2, 1, 0, True, True, RECENT, 3),  # not stable: scale up proceeds
        (SCALE_UP, 2, 1, 0, False, True, STABLE, None),  # not available: no scale up
        (SCALE_DOWN, 2, 1, 0, False, True, STABLE, 1),  # not available: scale down proceeds
        (SCALE_UP, 2, 1, 0, False, True, RECENT, None),  # available version is not latest
        (SCALE_UP, 2, 1, 0, True, False, STABLE, None),  # model versions mismatch
    ],
)
def test_create_scaling_pseudo_request(
    trigger, replicas, minimum, maximum, available, same_version, since, want
):
    got = model_scaling_target(
        trigger,
        replicas,
        minimum,
        maximum,
        latest_is_last_available=available,
        trigger_version_is_latest=same_version,
        deleted=False,
        state_time=since,
        now=NOW,
        cool_down_seconds=COOL_DOWN,
    )
    assert got == want


@pytest.mark.parametrize(
    ("minimum", "maximum", "enabled"), [(1, 0, True), (0, 3, True), (0, 0, False)]
)
def test_autoscaling_enabled(minimum, maximum, enabled):
    assert autoscaling_enabled(minimum, maximum) is enabled


def test_a_deleted_model_is_never_scaled_down():
    got = model_scaling_target(
        SCALE_DOWN,
        2,
        1,
        0,
        latest_is_last_available=True,
        trigger_version_is_latest=True,
        deleted=True,
        state_time=STABLE,
        now=NOW,
        cool_down_seconds=COOL_DOWN,
    )
    assert got is None


@pytest.mark.parametrize(
    ("lag", "idle", "want"),
    [(30, 0.0, SCALE_UP), (30, 99.0, SCALE_UP), (29, 30.0, SCALE_DOWN), (29, 29.9, None)],
)
def test_agent_stats_analyser_trigger(lag, idle, want):
    assert model_scaling_trigger(lag, 30, idle, 30.0) == want
