"""Behavior defaulting, stabilization and rate limits (§4), stage by stage."""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.hpa import (
    Recommendation,
    ScaleEvent,
    calculate_scale_down_limit_with_behaviors,
    calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_behavior_rate,
    convert_desired_replicas_with_rules,
    default_behavior,
    generate_hpa_scale_down_rules,
    generate_hpa_scale_up_rules,
    get_replicas_change_per_period,
    stabilize_recommendation,
    stabilize_recommendation_with_behaviors,
    store_scale_event,
    tolerances_for_hpa,
)


def rules(pods=0, pods_period=0, percent=0, percent_period=0, window=None, select=None) -> dict:
    """Like Kubernetes' ``generateScalingRules`` test helper."""
    policies = []
    if pods:
        policies.append({"type": "Pods", "value": pods, "periodSeconds": pods_period})
    if percent:
        policies.append({"type": "Percent", "value": percent, "periodSeconds": percent_period})
    result: dict = {"policies": policies, "stabilizationWindowSeconds": window}
    if select:
        result["selectPolicy"] = select
    return result


# -- defaulting ----------------------------------------------------------------------------


def test_absent_behavior_stays_absent():
    assert default_behavior(None) is None


def test_empty_behavior_takes_every_default():
    assert default_behavior({}) == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": None,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
    }


@pytest.mark.parametrize(
    ("given", "expected_window", "expected_select", "expected_policies"),
    [
        ({"stabilizationWindowSeconds": 60}, 60, "Max", 2),
        ({"selectPolicy": "Min"}, 0, "Min", 2),
        ({"policies": [{"type": "Pods", "value": 5, "periodSeconds": 90}]}, 0, "Max", 1),
        ({"policies": []}, 0, "Max", 0),  # a user list replaces the defaults, even empty
    ],
)
def test_scale_up_rules_fill_only_unset_fields(
    given, expected_window, expected_select, expected_policies
):
    generated = generate_hpa_scale_up_rules(given)
    assert generated["stabilizationWindowSeconds"] == expected_window
    assert generated["selectPolicy"] == expected_select
    assert len(generated["policies"]) == expected_policies


def test_scale_down_window_is_left_for_the_controller():
    assert (
        generate_hpa_scale_down_rules({"selectPolicy": "Min"})["stabilizationWindowSeconds"] is None
    )
    assert (
        generate_hpa_scale_down_rules({"stabilizationWindowSeconds": 0})[
            "stabilizationWindowSeconds"
        ]
        == 0
    )


def test_tolerances_per_direction():
    behavior = {"scaleUp": {"tolerance": "50m"}, "scaleDown": {}}
    assert tolerances_for_hpa(behavior, 0.1).scale_up == 0.05
    assert tolerances_for_hpa(behavior, 0.1).scale_down == 0.1
    assert tolerances_for_hpa(behavior, 0.1, configurable_tolerance=False).scale_up == 0.1
    assert tolerances_for_hpa(None, 0.2).scale_down == 0.2


# -- stabilization -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "proposal", "expected"),
    [
        ([], 3, 3),
        ([(5, 900)], 3, 5),  # within the 300 s window
        ([(5, 700)], 3, 5),  # exactly at the cutoff still counts (not Before)
        ([(5, 699)], 3, 3),  # older than the window
        ([(2, 900)], 4, 4),
        ([(6, 800), (4, 950)], 2, 6),  # can exceed current: the legacy quirk
    ],
)
def test_legacy_stabilization(history, proposal, expected):
    stabilized, new_history = stabilize_recommendation(history, proposal, 1000, 300)
    assert stabilized == expected
    assert new_history[-1] == Recommendation(proposal, 1000) or any(
        r == Recommendation(proposal, 1000) for r in new_history
    )


def test_legacy_stabilization_overwrites_the_last_outdated_entry():
    _, history = stabilize_recommendation([(1, 100), (2, 200), (3, 900)], 7, 1000, 300)
    assert history == [Recommendation(1, 100), Recommendation(7, 1000), Recommendation(3, 900)]


@pytest.mark.parametrize(
    ("history", "current", "proposal", "up", "down", "expected", "reason"),
    [
        ([], 4, 6, 0, 300, 6, "ScaleUpStabilized"),
        ([(4, 990)], 4, 6, 60, 300, 4, "ScaleUpStabilized"),  # a lower rec in the up window
        ([(5, 990)], 4, 6, 60, 300, 5, "ScaleUpStabilized"),
        ([(8, 990)], 8, 2, 0, 300, 8, "ScaleDownStabilized"),  # the seed blocks scale-down
        ([(8, 600)], 8, 2, 0, 300, 2, "ScaleDownStabilized"),
        ([(8, 700)], 8, 2, 0, 300, 2, "ScaleDownStabilized"),  # at the cutoff: not After
        ([(3, 990), (6, 995)], 5, 4, 0, 300, 5, "ScaleDownStabilized"),
        ([(1, 990)], 5, 9, 60, 0, 5, "ScaleUpStabilized"),  # never above current w/o consent
    ],
)
def test_stabilization_with_behaviors(history, current, proposal, up, down, expected, reason):
    result = stabilize_recommendation_with_behaviors(history, current, proposal, 1000, up, down)
    assert (result.replicas, result.reason) == (expected, reason)


def test_stabilization_with_behaviors_reuses_entries_older_than_both_windows():
    result = stabilize_recommendation_with_behaviors(
        [(1, 100), (2, 950)], 2, 3, 1000, scale_up_window=60, scale_down_window=300
    )
    assert result.recommendations == [Recommendation(3, 1000), Recommendation(2, 950)]


# -- rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "desired", "minimum", "maximum", "expected"),
    [
        (3, 5, 1, 10, (5, "DesiredWithinRange")),
        (1, 10, 1, 10, (4, "ScaleUpLimit")),  # max(2 × 1, 4)
        (3, 10, 1, 10, (6, "ScaleUpLimit")),
        (3, 10, 1, 5, (5, "TooManyReplicas")),
        (5, 1, 2, 10, (2, "TooFewReplicas")),
        (5, 2, 2, 10, (2, "DesiredWithinRange")),
        (10, 1, 1, 10, (1, "DesiredWithinRange")),  # no scale-down limit without behavior
    ],
)
def test_convert_with_rules(current, desired, minimum, maximum, expected):
    replicas, reason, _ = convert_desired_replicas_with_rules(current, desired, minimum, maximum)
    assert (replicas, reason) == expected


def test_events_within_the_period_count():
    events = [(2, 940), (3, 985), (4, 1000)]
    assert get_replicas_change_per_period(60, events, 1000) == 7  # 940 is the cutoff: not After
    assert get_replicas_change_per_period(61, events, 1000) == 9
    assert get_replicas_change_per_period(16, events, 1000) == 7
    assert get_replicas_change_per_period(15, events, 1000) == 4


@pytest.mark.parametrize(
    ("current", "up_events", "down_events", "scaling_rules", "expected"),
    [
        (10, [], [], rules(4, 15, 100, 15), 20),  # default: max(+4, ×2)
        (1, [], [], rules(4, 15, 100, 15), 5),
        (10, [], [], rules(4, 15, 100, 15, select="Min"), 14),
        (10, [], [], rules(4, 15, 100, 15, select="Disabled"), 10),
        (10, [(5, 990)], [], rules(4, 60), 9),  # period start 5: 5 + 4
        (10, [(5, 990)], [(2, 995)], rules(4, 60), 11),  # down events raise the start
        (10, [(5, 900)], [], rules(4, 60), 14),  # outside the period
        (3, [], [], rules(percent=50, percent_period=60), 5),  # ceil(3 × 1.5)
        (10, [], [], {"policies": []}, -(2**31)),  # Max over no policy
    ],
)
def test_scale_up_limit(current, up_events, down_events, scaling_rules, expected):
    assert (
        calculate_scale_up_limit_with_scaling_rules(
            current, up_events, down_events, scaling_rules, 1000
        )
        == expected
    )


@pytest.mark.parametrize(
    ("current", "up_events", "down_events", "scaling_rules", "expected"),
    [
        (10, [], [], rules(percent=100, percent_period=15), 0),
        (10, [], [], rules(percent=50, percent_period=60), 5),
        (7, [], [], rules(percent=50, percent_period=60), 3),  # trunc(3.5)
        (10, [], [], rules(2, 60, 50, 60), 5),  # Max: the largest change
        (10, [], [], rules(2, 60, 50, 60, select="Min"), 8),
        (10, [], [], rules(2, 60, select="Disabled"), 10),
        (8, [], [(2, 990)], rules(2, 60), 8),  # start 10 - 2
        (8, [(3, 990)], [(2, 990)], rules(2, 60), 5),
    ],
)
def test_scale_down_limit(current, up_events, down_events, scaling_rules, expected):
    assert (
        calculate_scale_down_limit_with_behaviors(
            current, up_events, down_events, scaling_rules, 1000
        )
        == expected
    )


BEHAVIOR = default_behavior(
    {"scaleUp": rules(4, 60), "scaleDown": rules(percent=50, percent_period=60)}
)


@pytest.mark.parametrize(
    ("current", "desired", "minimum", "maximum", "up", "down", "expected"),
    [
        (10, 50, 1, 100, [], [], (14, "ScaleUpLimit")),
        (10, 12, 1, 100, [], [], (12, "DesiredWithinRange")),
        (10, 50, 1, 12, [], [], (12, "TooManyReplicas")),
        (10, 1, 1, 100, [], [], (5, "ScaleDownLimit")),
        (10, 1, 7, 100, [], [], (7, "TooFewReplicas")),
        (10, 50, 1, 100, [(6, 990)], [], (10, "ScaleUpLimit")),  # limit below current
        (10, 1, 1, 100, [], [(10, 990)], (10, "ScaleDownLimit")),  # start 20 → 10, capped
        (10, 10, 1, 100, [], [], (10, "DesiredWithinRange")),
    ],
)
def test_convert_with_behavior_rate(current, desired, minimum, maximum, up, down, expected):
    replicas, reason, _ = convert_desired_replicas_with_behavior_rate(
        current, desired, minimum, maximum, BEHAVIOR, up, down, 1000
    )
    assert (replicas, reason) == expected


def test_store_scale_event_direction_and_reuse():
    up, down = store_scale_event(BEHAVIOR, [(1, 100), (2, 990)], [], 5, 8, 1000)
    assert up == [ScaleEvent(3, 1000), ScaleEvent(2, 990)]
    assert down == []
    up, down = store_scale_event(BEHAVIOR, [], [(1, 990)], 8, 5, 1000)
    assert down == [ScaleEvent(1, 990), ScaleEvent(3, 1000)]


def test_store_scale_event_without_behavior_keeps_nothing():
    assert store_scale_event(None, [], [], 1, 5, 1000) == ([], [])
