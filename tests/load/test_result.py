"""LoadResult: "target reached" means the load was sent as asked and served."""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.load.profile import Hold, LoadProfile
from pytest_seldon_scaling.load.result import summarize
from pytest_seldon_scaling.timeline import TrafficSecond

PROFILE = LoadProfile(Hold(10, 20))


def seconds(ok: int, failed: dict[str, int] | None = None) -> list[TrafficSecond]:
    return [TrafficSecond(t, "iris", 10.0, 10, ok, dict(failed or {})) for t in range(20)]


def test_every_request_served_reaches_the_target():
    result = summarize("iris", PROFILE, seconds(ok=10))
    assert result.target_reached and result.sent_as_asked
    assert result.reasons == []


def test_a_dead_server_was_sent_to_as_asked_but_the_target_is_not_reached():
    # 80 % refused, as in the issue: the generator kept pace, the server took 20 %
    result = summarize("iris", PROFILE, seconds(ok=2, failed={"ConnectionRefusedError": 8}))
    assert result.sent_as_asked
    assert not result.target_reached
    assert result.reasons == ["160 of 200 requests failed (160x ConnectionRefusedError)"]
    assert result.to_dict()["target_reached"] is False


def test_requests_without_an_answer_do_not_reach_the_target():
    result = summarize("iris", PROFILE, seconds(ok=9))
    assert not result.target_reached
    assert result.reasons == ["20 of 200 requests had no answer"]


def test_a_shortfall_is_a_reason_too():
    rows = seconds(ok=10)
    rows[10:15] = [TrafficSecond(t, "iris", 10.0, 0, 0) for t in range(10, 15)]
    result = summarize("iris", PROFILE, rows)
    assert not result.sent_as_asked and not result.target_reached
    assert result.reasons[0].startswith("10-15s: achieved 0.0 rps against a target of 10.0 rps")


def test_one_request_across_a_window_edge_at_2_rps_is_no_shortfall():
    # A request due at the end of second 9 answered as sent in second 10: windows 5-10 s and
    # 10-15 s hold 9 and 11 of their 10 requests, 10 % off at 2 rps, one request each.
    rows = [TrafficSecond(t, "iris", 2.0, 2, 2) for t in range(20)]
    rows[9] = TrafficSecond(9, "iris", 2.0, 1, 1)
    rows[10] = TrafficSecond(10, "iris", 2.0, 3, 3)
    result = summarize("iris", LoadProfile(Hold(2, 20)), rows)
    assert result.target_reached, result.reasons
    assert [w.requests_off for w in result.windows] == pytest.approx([0, -1, 1, 0])


def test_two_requests_short_at_2_rps_is_a_shortfall():
    rows = [TrafficSecond(t, "iris", 2.0, 2, 2) for t in range(20)]
    rows[11] = TrafficSecond(11, "iris", 2.0, 0, 0)
    result = summarize("iris", LoadProfile(Hold(2, 20)), rows)
    assert not result.target_reached
    assert result.reasons == [
        "10-15s: achieved 1.6 rps against a target of 2.0 rps (-20.0%, -2 requests; "
        "tolerance ±5% or 1 request)"
    ]


def test_at_high_rates_the_tolerance_is_the_limit():
    rows = [TrafficSecond(t, "iris", 100.0, 100, 100) for t in range(20)]
    rows[6] = TrafficSecond(6, "iris", 100.0, 80, 80)  # 20 of 500: 4 %
    rows[12] = TrafficSecond(12, "iris", 100.0, 70, 70)  # 30 of 500: 6 %
    result = summarize("iris", LoadProfile(Hold(100, 20)), rows)
    assert [r.split(":")[0] for r in result.reasons] == ["10-15s"]


def test_one_request_off_does_not_excuse_a_failed_request():
    rows = [TrafficSecond(t, "iris", 2.0, 2, 2) for t in range(20)]
    rows[9] = TrafficSecond(9, "iris", 2.0, 1, 0, {"503": 1})
    result = summarize("iris", LoadProfile(Hold(2, 20)), rows)
    assert result.sent_as_asked and not result.target_reached
    assert result.reasons == ["1 of 39 requests failed (1x 503)"]
