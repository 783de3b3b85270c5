"""Traffic traces: CSV and Prometheus JSON read into per-model profiles, scaled, bad input named."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.load.profile import LoadProfile
from pytest_seldon_scaling.load.trace import (
    TraceError,
    load_trace,
    parse_csv,
    parse_prometheus,
    profiles_for,
)


def test_one_column_per_model_with_gaps_and_timestamps():
    trace = parse_csv(
        "time,iris,income\n"
        "2026-01-01T00:00:00Z,10,\n"
        "2026-01-01T00:01:00Z,20,4\n"
        "2026-01-01T00:02:00Z,20,8\n",
        "day.csv",
    )
    assert trace.models == ["income", "iris"]
    assert trace.duration == 120
    iris, income = trace.profile("iris"), trace.profile("income")
    # linear between samples: 10 -> 20 over the first minute, then 20
    assert iris.rate_at(30) == 15
    assert iris.requests_between(0, 120) == 900 + 1200
    # income starts a minute late: no traffic before its first sample
    assert income.rate_at(30) == 0
    assert income.requests_between(60, 120) == 360


def test_long_form_and_single_model_csv():
    long = parse_csv("time,model,rps\n0,a,1\n0,b,2\n10,a,3\n10,b,2\n")
    assert long.profile("a").requests_between(0, 10) == 20
    assert long.profile("b").requests_between(0, 10) == 20
    single = parse_csv("time,rps\n100,5\n160,5\n", model="iris")
    assert single.models == ["iris"]
    assert single.duration == 60  # rebased to the first sample


def test_sampled_profiles_agree_with_plain_profiles():
    trace = parse_csv("time,m\n" + "".join(f"{60 * i},{(i * 7) % 13}\n" for i in range(50)))
    fast = trace.profile("m")
    plain = LoadProfile(*fast.segments)
    for t0, t1 in [(0, 1), (59.5, 60.5), (100, 2000), (2900, 4000), (-5, 3)]:
        assert fast.requests_between(t0, t1) == pytest.approx(plain.requests_between(t0, t1))
    for t in (0, 30, 61, 2939.9, 2940, 5000):
        assert fast.rate_at(t) == pytest.approx(plain.rate_at(t))
    # as the twin asks: every second in order, crossing each piece's end, then a jump back
    walk = [(t / 2, t / 2 + 0.5) for t in range(2 * 3000)] + [(10, 11), (2000, 2000.25)]
    for t0, t1 in walk:
        assert fast.requests_between(t0, t1) == pytest.approx(plain.requests_between(t0, t1))


@given(
    rates=st.lists(st.floats(0, 1000), min_size=2, max_size=30),
    rate=st.floats(0.01, 100),
    time=st.floats(0.01, 100),
)
def test_scaling_multiplies_the_requests_by_rate_times_time(rates, rate, time):
    trace = parse_csv("time,m\n" + "".join(f"{10 * i},{r!r}\n" for i, r in enumerate(rates)))
    before = trace.profile("m").requests_between(0, trace.duration)
    scaled = trace.scaled(rate=rate, time=time)
    assert scaled.duration == pytest.approx(trace.duration * time)
    after = scaled.profile("m").requests_between(0, scaled.duration)
    assert after == pytest.approx(before * rate * time, rel=1e-9, abs=1e-6)


def matrix(*series: tuple[str, list[tuple[float, str]]]) -> dict:
    return {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"model": name}, "values": [[t, v] for t, v in values]}
                for name, values in series
            ],
        },
    }


def test_prometheus_range_query_answer():
    answer = matrix(
        ("iris", [(1700000000, "4"), (1700000060, "6")]),
        ("tfsimple", [(1700000060, "NaN"), (1700000120, "2")]),
    )
    trace = parse_prometheus(json.dumps(answer), "q.json")
    assert trace.duration == 120
    assert trace.profile("iris").requests_between(0, 60) == 300
    assert trace.profile("tfsimple").rate_at(60) == 0  # NaN: rate over an empty window


def test_scaling_spec_after_hash(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text("time,a\n0,10\n86400,10\n")
    trace = load_trace(f"{path}#rate=0.5,duration=1h")
    assert trace.duration == 3600
    assert trace.peak_rps() == 5
    assert load_trace(f"{path}#time=2").duration == 2 * 86400


def test_one_series_drives_every_model_and_missing_models_are_named():
    single = parse_csv("time,rps\n0,1\n10,1\n")
    assert set(profiles_for(single, ["a", "b"])) == {"a", "b"}
    two = parse_csv("time,a,b\n0,1,1\n10,1,1\n", "t.csv")
    with pytest.raises(TraceError, match=r"t.csv: no series for Model c \(the trace has a, b\)"):
        profiles_for(two, ["a", "c"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "t.csv: empty CSV"),
        ("when,rps\n0,1\n", r"t.csv:1: the header must start with 'time'"),
        ("time,a\n0,1\n10\n", "t.csv:3: 1 fields, the header has 2"),
        ("time,a\nnoon,1\n", "t.csv:2: time 'noon' is neither seconds nor an ISO 8601"),
        ("time,a\n0,fast\n", "t.csv:2: a: 'fast' is not a number"),
        ("time,a\n0,-1\n", r"t.csv:2: a: '-1' is not a rate >= 0"),
        ("time,a\n0,1\n0,2\n", "model 'a' has two samples at the same time"),
        ("time,a\n5,1\n", "needs samples at two different times"),
        ("time,a,a\n0,1,1\n", "a model column appears twice"),
    ],
)
def test_bad_csv_names_file_line_and_field(text, message):
    with pytest.raises(TraceError, match=message):
        parse_csv(text, "t.csv")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("<html>", "q.json: not JSON"),
        ({"status": "error", "error": "parse error"}, r"status is not 'success' \(parse error\)"),
        ({"status": "success", "data": {"resultType": "vector"}}, "a range query"),
        (
            {
                "status": "success",
                "data": {"resultType": "matrix", "result": [{"metric": {}, "values": []}]},
            },
            r"data.result\[0\]: no 'model' label .* 'sum by \(model\)",
        ),
        (matrix(("a", [(0, "x")])), r"data.result\[0\].values\[0\]: 'x' is not a number"),
    ],
)
def test_bad_prometheus_answers(answer, message):
    with pytest.raises(TraceError, match=message):
        parse_prometheus(answer if isinstance(answer, str) else json.dumps(answer), "q.json")


def test_unknown_files_and_scalings(tmp_path):
    with pytest.raises(TraceError, match="cannot read the trace"):
        load_trace(str(tmp_path / "missing.csv"))
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(TraceError, match=r"a trace is a \.csv, a \.json"):
        load_trace(str(tmp_path / "t.txt"))
    (tmp_path / "t.csv").write_text("time,a\n0,1\n1,1\n")
    with pytest.raises(TraceError, match="unknown scaling 'speed'"):
        load_trace(f"{tmp_path / 't.csv'}#speed=2")
    with pytest.raises(TraceError, match="rate scale must be a number > 0"):
        load_trace(f"{tmp_path / 't.csv'}#rate=0")


# a series of one model sampled every 20 s
RATES = st.lists(st.floats(0, 100), min_size=2, max_size=20)


def replayed_series(rates: list[float]) -> LoadProfile:
    return parse_csv(
        "time,m\n" + "".join(f"{20 * i},{r}\n" for i, r in enumerate(rates))
    ).profiles()["m"]


@given(RATES, st.lists(st.tuples(st.floats(-5, 400), st.floats(0, 60)), min_size=1, max_size=30))
def test_a_replayed_series_answers_any_sequence_of_intervals_as_a_fresh_one(rates, queries):
    # the twin's consecutive seconds reuse the last boundary: any order must answer the same
    replayed = replayed_series(rates)

    def fresh(t0: float, t1: float) -> float:
        return replayed_series(rates).requests_between(t0, t1)

    for t0, length in queries:
        for start in (t0, t0 + length):  # an interval, then the one after it
            end = start + length
            assert replayed.requests_between(start, end) == fresh(start, end)


@given(RATES, st.lists(st.tuples(st.floats(-5, 400), st.integers(1, 120)), min_size=1, max_size=10))
def test_a_span_of_seconds_asks_the_same_requests_as_each_second_asked_alone(rates, spans):
    # the twin's quiet spans ask for many seconds at once; its other intervals, one at a time
    replayed = replayed_series(rates)
    plain = LoadProfile(*replayed.segments)
    for t0, count in spans:
        one_by_one = [replayed.requests_between(t0 + i, t0 + i + 1) for i in range(count)]
        # equal but for the last bits of t0 + i + 1 against t0 + (i + 1)
        for profile in (replayed, plain):
            assert profile.requests_per_second(t0, count) == pytest.approx(one_by_one, abs=1e-9)
