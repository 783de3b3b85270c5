"""The schedule sends exactly what the profile asks, split exactly between processes."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.load import pacing
from pytest_seldon_scaling.load.profile import Hold, LoadProfile, Ramp, Spike, Step

rates = st.floats(min_value=0, max_value=500, allow_nan=False)
lengths = st.floats(min_value=0.5, max_value=20, allow_nan=False)
segments = st.one_of(
    st.builds(Ramp, rates, rates, lengths),
    st.builds(Hold, rates, lengths),
    st.builds(Step, rates, rates, st.integers(2, 5), lengths),
)
profiles = st.lists(segments, min_size=1, max_size=4).map(lambda s: LoadProfile(*s))


def released_per_second(
    profile: LoadProfile, ticks: list[float], index: int = 0, count: int = 1
) -> dict[int, int]:
    out: dict[int, int] = {}
    before = 0.0
    for now in [*ticks, profile.duration + 1]:
        for second, n in pacing.releases(profile, before, now, index, count):
            out[second] = out.get(second, 0) + n
        before = max(before, now)
    return out


def expected_per_second(profile: LoadProfile) -> dict[int, int]:
    out = {}
    for second in range(math.ceil(profile.duration)):
        n = math.floor(profile.requests_between(0, second + 1)) - math.floor(
            profile.requests_between(0, second)
        )
        if n:
            out[second] = n
    return out


@settings(max_examples=150, deadline=None)
@given(profiles, st.lists(st.floats(0, 100, allow_nan=False), max_size=40))
def test_each_second_gets_exactly_its_requests_however_the_pacer_ticks(profile, ticks):
    assert released_per_second(profile, sorted(ticks)) == expected_per_second(profile)


@settings(max_examples=100, deadline=None)
@given(profiles, st.integers(1, 6), st.lists(st.floats(0, 100, allow_nan=False), max_size=20))
# Found by hypothesis: 1/3 rps for 3 s is 0.9999999999999999 requests, and in floats
# (N + 1) / 2 rounds to 1.0, so process 1 sent second 3's request in second 2.
@example(LoadProfile(Step(1 / 3, 1 / 3, 2, 3.5)), 2, [])
def test_processes_together_send_what_one_process_would(profile, count, ticks):
    ticks = sorted(ticks)
    total: dict[int, int] = {}
    for index in range(count):
        for second, n in released_per_second(profile, ticks, index, count).items():
            total[second] = total.get(second, 0) + n
    assert total == expected_per_second(profile)


def test_the_ramp_of_the_acceptance_test_is_followed_second_by_second():
    profile = Ramp(5, 50, 20) + Hold(50, 10)
    per_second = released_per_second(profile, [i * 0.005 for i in range(6000)])
    assert per_second[0] == 6  # 5 -> 7.25 rps over the first second: 6.125 requests
    assert per_second[19] == 49
    assert all(per_second[s] == 50 for s in range(20, 30))
    assert sum(per_second.values()) == math.floor(profile.requests_between(0, 30))


def test_processes_share_evenly():
    profile = LoadProfile(Hold(10, 1))
    shares = [pacing.share(profile.requests_between(0, 1), i, 3) for i in range(3)]
    assert shares == [3, 3, 4]


def test_shares_add_up_to_the_requests_due_even_where_floats_round():
    due = LoadProfile(Step(1 / 3, 1 / 3, 2, 3.5)).requests_between(0, 3)
    assert due < 1
    assert [pacing.share(due, i, 2) for i in range(2)] == [0, 0]


def test_a_process_index_outside_the_count_is_refused():
    with pytest.raises(ValueError, match=r"process index 3 is not in 0\.\.2"):
        pacing.share(10, 3, 3)


def test_nothing_is_released_before_the_start_or_after_the_end():
    profile = LoadProfile(Hold(10, 2))
    assert pacing.releases(profile, -5, 0) == []
    assert pacing.releases(profile, 2, 50) == []
    assert pacing.releases(profile, 1.5, 50) == [(1, 5)]


@pytest.mark.parametrize(
    ("target", "p99", "busy", "processes", "current", "cap", "expected"),
    [
        (0, None, 0, 1, 0, 100, (2, False)),  # spares only
        (50, None, 0, 1, 0, 100, (7, False)),  # 50 rps x 50 ms assumed x 2 + 2
        (50, 0.001, 0, 1, 0, 100, (7, False)),  # fast server: the assumed floor holds
        (50, 0.5, 0, 1, 0, 100, (52, False)),  # slow server: 50 x 0.5 x 2 + 2
        (50, None, 20, 2, 0, 100, (34, False)),  # many seen busy: 1.5 x 20 + 2 x 2
        (50, None, 0, 1, 30, 100, (30, False)),  # never fewer than now
        (1000, 1.0, 0, 1, 0, 100, (100, True)),  # capped, and it says so
    ],
)
def test_users_are_sized_for_the_latency_seen(target, p99, busy, processes, current, cap, expected):
    assert pacing.users_needed(target, p99, busy, processes, current, cap) == expected


def test_peak_rate_looks_ahead_over_ramps_and_spikes():
    profile = Ramp(0, 30, 30) + Spike(10, 100, 20, at=10, for_=5)
    assert pacing.peak_rate(profile, 0, 3) == pytest.approx(3)
    assert pacing.peak_rate(profile, 28, 3) == pytest.approx(30, abs=1e-6)
    assert pacing.peak_rate(profile, 38, 3) == 100
    assert pacing.peak_rate(profile, 60, 3) == 0


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [(0, 0.0), (0.1234, 0.12), (1.26, 1.3), (7.7, 7.7), (57.3, 57), (123.4, 120), (4567, 4600)],
)
def test_latency_is_kept_to_two_significant_digits(ms, bucket):
    assert pacing.latency_bucket(ms) == bucket


def test_percentiles_of_merged_histograms():
    a = {1.0: 90}
    b = {2.0: 9, 100.0: 1}
    merged = pacing.merge_histograms(a, b)
    assert merged == {1.0: 90, 2.0: 9, 100.0: 1}
    assert pacing.percentile(merged, 0.5) == 1.0
    assert pacing.percentile(merged, 0.95) == 2.0
    assert pacing.percentile(merged, 0.99) == 2.0
    assert pacing.percentile(merged, 1.0) == 100.0
    assert pacing.percentile({}, 0.5) is None


def test_a_second_is_final_once_over_and_answered_or_hopeless():
    assert not pacing.closable(3, 3.9, 0, max_lag=1, timeout=5)
    assert pacing.closable(3, 4.0, 0, max_lag=1, timeout=5)
    assert not pacing.closable(3, 10.9, 2, max_lag=1, timeout=5)
    assert pacing.closable(3, 11.0, 2, max_lag=1, timeout=5)


def test_a_tally_reports_unanswered_requests_as_failures():
    tally = pacing.SecondTally(released=10, sent=9, missed=1)
    for _ in range(6):
        tally.record(None, 3.0)
    tally.record("503", 1.0)
    tally.record("ConnectionRefusedError", 0.2)
    assert tally.pending == 1
    row = tally.to_row(7)
    assert row == {
        "t": 7,
        "sent": 9,
        "missed": 1,
        "ok": 6,
        "failed": {"503": 1, "ConnectionRefusedError": 1, "NoResponse": 1},
        "latency": [[0.2, 1], [1.0, 1], [3.0, 6]],
        "busy": 0,
        "lag_ms": 0.0,
    }
