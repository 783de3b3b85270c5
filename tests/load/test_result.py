"""LoadResult: "target reached" means the load was sent as asked and served."""

from __future__ import annotations

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
