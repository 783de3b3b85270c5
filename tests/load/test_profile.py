"""Load profiles: what users write, what rate results, and bad input named clearly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.load.profile import (
    Hold,
    LoadProfile,
    ProfileError,
    Ramp,
    Spike,
    Step,
    format_duration,
    parse_duration,
    profile_of,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), ("90", 90.0), ("90s", 90.0), ("2m", 120.0), ("1h30m", 5400.0), ("500ms", 0.5)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["fast", "2 minutes", "-5", "1x", True])
def test_bad_durations_say_what_is_expected(bad):
    with pytest.raises(ProfileError, match="is not a duration"):
        parse_duration(bad)


def test_segments_compose_and_give_the_rate_over_time():
    profile = (
        Ramp(0, 30, "1m")
        + Hold(30, "2m")
        + Step(30, 0, 3, "90s")
        + Spike(5, 50, "1m", "20s", "10s")
    )
    assert profile.duration == 330
    assert profile.rate_at(30) == 15
    assert profile.rate_at(100) == 30
    assert [profile.rate_at(t) for t in (180, 210, 240)] == [30, 15, 0]
    assert [profile.rate_at(t) for t in (275, 295, 305)] == [5, 50, 5]
    assert profile.peak_rps == 50
    assert profile.rate_at(330) == 0


def test_expected_requests_are_exact_over_linear_pieces():
    profile = Ramp(0, 10, 10) + Hold(10, 5)
    assert profile.requests_between(0, 10) == 50
    assert profile.requests_between(5, 12) == pytest.approx(37.5 + 20)


def test_text_profiles_as_plan_takes_them():
    profile = LoadProfile.parse("ramp 1-30rps 5m, hold 10m, ramp 30-1rps 5m")
    assert profile == Ramp(1, 30, "5m") + Hold(30, "10m") + Ramp(30, 1, "5m")
    assert LoadProfile.parse(profile.describe()) == profile


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ramp 1-30 5m", "segment 1 ('ramp 1-30 5m'): expected 'ramp A-Brps DURATION'"),
        ("hold 10m", "'hold D' without a rate needs a segment before it"),
        ("ramp 1-2rps 1m, jump 5rps", "segment 2 ('jump 5rps'): unknown segment 'jump'"),
        ("ramp 1-2rps 1m,", "segment 2 is empty"),
    ],
)
def test_bad_text_profiles_name_the_segment(text, message):
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LoadProfile.parse(text)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Ramp(-1, 5, 10),
        lambda: Hold("many", 10),
        lambda: Step(1, 5, 1, 10),
        lambda: Spike(1, 5, "10s", "8s", "5s"),
    ],
)
def test_bad_segments_are_refused(build):
    with pytest.raises(ProfileError):
        build()


@given(
    st.lists(
        st.tuples(st.floats(0, 500), st.floats(0, 500), st.integers(1, 600)), min_size=1, max_size=5
    )
)
def test_profiles_survive_a_process_boundary(ramps):
    profile = LoadProfile(*(Ramp(a, b, d) for a, b, d in ramps))
    assert LoadProfile.from_dict(profile.to_dict()) == profile
    assert profile_of(profile.describe()).duration == pytest.approx(profile.duration)


def test_a_profile_repr_rebuilds_the_profile():
    profile = Step(1 / 3, 0.1 + 0.2, 2, 3.5) + Spike(1, 2, 10, 3, 4)
    assert eval(repr(profile)) == profile


def test_format_duration_inverts_parse():
    assert [format_duration(s) for s in (5400, 90, 0, 1.5)] == ["1h30m", "1m30s", "0s", "1.5s"]


@given(
    st.lists(
        st.tuples(st.floats(0, 500), st.floats(0, 500), st.integers(1, 600)), min_size=1, max_size=8
    ),
    st.floats(-10, 5000),
    st.floats(0, 700),
)
def test_requests_between_sums_every_piece_the_interval_overlaps(ramps, t0, length):
    # the twin asks this every second: the bisection must add exactly what a scan adds
    profile = LoadProfile(*(Ramp(a, b, d) for a, b, d in ramps))
    t1 = t0 + length
    scanned = 0.0
    for start, piece in profile.pieces():
        lo, hi = max(t0, start), min(t1, start + piece.duration)
        if hi > lo:
            scanned += piece.requests(lo - start, hi - start)
    assert profile.requests_between(t0, t1) == scanned
