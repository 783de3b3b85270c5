"""The timeline every assertion and report reads."""

from __future__ import annotations

from pytest_seldon_scaling.timeline import Timeline, TrafficSecond


def build() -> Timeline:
    timeline = Timeline()
    timeline.record_replicas(0, "model/iris", 1, 1, 1)
    timeline.record_replicas(5, "model/iris", 1, 1, 1)  # unchanged: dropped
    timeline.record_replicas(40, "model/iris", 3, 3, 2)
    timeline.record_condition(
        40, "model/iris", "ModelReady", "False", "no replicas", "ScheduleFailed"
    )
    timeline.record_condition(
        41, "model/iris", "ModelReady", "False", "no replicas", "ScheduleFailed"
    )
    for t in range(60):
        timeline.record_traffic(
            TrafficSecond(t, "iris", 10.0, 10, 9 if t == 45 else 10, {"503": 1} if t == 45 else {})
        )
    return timeline


def test_unchanged_samples_and_conditions_are_recorded_once():
    timeline = build()
    assert [s.t for s in timeline.replica_series("model/iris")] == [0, 40]
    assert len(timeline.condition_history("model/iris", "ModelReady")) == 1
    assert timeline.replicas_at("model/iris", 39).spec == 1
    assert timeline.replicas_at("model/iris", 40).spec == 3


def test_between_keeps_the_state_in_force_at_its_start():
    part = build().between(30, 50)
    assert [(s.t, s.spec) for s in part.replica_series("model/iris")] == [(30, 1), (40, 3)]
    assert (part.traffic[0].t, len(part.traffic)) == (30, 21)
    assert len(part.conditions) == 1


def test_table_shows_rates_failures_replicas_and_conditions():
    table = build().table(30, 60, refs=["model/iris"], models=["iris"])
    assert "model/iris spec/status/avail" in table
    assert "3/3/2" in table
    assert "model/iris ModelReady=False (ScheduleFailed)" in table
    assert "10.0 149/1" in table


def test_round_trip():
    timeline = build()
    assert Timeline.from_dict(timeline.to_dict()).to_dict() == timeline.to_dict()


def test_events_between_is_inclusive_and_ordered():
    timeline = Timeline()
    for t in (0.0, 1.0, 1.0, 2.5, 4.0):
        timeline.record_event(t, "model/m", f"at {t}")
    assert [e.reason for e in timeline.events_between(1.0, 2.5)] == ["at 1.0", "at 1.0", "at 2.5"]
    assert timeline.events_between(4.5, 9.0) == []
