"""The timeline's column store and the bounded form a report keeps of it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.timeline import (
    BUCKET_WIDTHS,
    HPASample,
    Timeline,
    TrafficCounts,
    TrafficSecond,
    bucket_width,
    thin_samples,
)

finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
latency = st.none() | finite
codes = st.dictionaries(st.sampled_from(["503", "504", "timeout"]), st.integers(1, 50))


@st.composite
def model_rows(draw: st.DrawFn, model: str) -> list[TrafficSecond]:
    """One model's rows in time order, with gaps, failures and missing latencies."""
    gaps = draw(st.lists(st.integers(1, 40), max_size=60))
    t = draw(st.integers(0, 10_000))
    rows = []
    for gap in gaps:
        sent = draw(st.integers(0, 10_000))
        rows.append(
            TrafficSecond(
                t,
                model,
                draw(finite),
                sent,
                draw(st.integers(0, sent)),
                draw(codes),
                draw(latency),
                draw(latency),
                draw(latency),
            )
        )
        t += gap
    return rows


runs = st.tuples(model_rows("a"), model_rows("b"))


def record(*models: list[TrafficSecond]) -> Timeline:
    timeline = Timeline()
    for rows in zip(*models, strict=False):  # interleaved, as the twin records them
        for row in rows:
            timeline.record_traffic(row)
    for rows in models:  # the longer model's tail
        for row in rows[min(len(m) for m in models) :]:
            timeline.record_traffic(row)
    return timeline


@given(runs)
def test_rows_in_are_rows_out(models):
    a, b = models
    timeline = record(a, b)
    assert timeline.traffic_for("a") == a and timeline.traffic_for("b") == b
    assert timeline.traffic == sorted(a + b, key=lambda s: s.t)
    assert timeline.models_with_traffic() == [m for m, rows in (("a", a), ("b", b)) if rows]
    back = Timeline.from_dict(json.loads(json.dumps(timeline.to_dict(max_points=None))))
    assert back.traffic_for("a") == a and back.traffic_for("b") == b


@given(runs, st.integers(0, 12_000), st.integers(0, 2_000))
def test_windows_are_those_of_a_list(models, start, length):
    a, _ = models
    timeline = record(*models)
    end = start + length
    assert timeline.traffic_for("a", start, end) == [s for s in a if start <= s.t < end]
    assert timeline.between(start, end).traffic_for("a") == [s for s in a if start <= s.t <= end]


@given(runs, st.integers(0, 12_000), st.integers(0, 2_000), finite)
def test_counts_from_the_columns_are_those_of_the_rows(models, start, length, limit):
    a, _ = models
    timeline = record(*models)
    end = start + length
    rows = [s for s in a if start <= s.t < end]
    assert timeline.traffic_counts("a", start, end) == TrafficCounts.of(rows)
    over = sum(1 for s in rows if s.p99_ms is not None and s.p99_ms > limit)
    assert timeline.seconds_over("a", start, end, p99_ms=limit) == over


@given(runs, st.integers(2, 50))
def test_a_downsampled_report_keeps_exact_totals_and_the_worst_latency(models, max_points):
    timeline = record(*models)
    data = json.loads(json.dumps(timeline.to_dict(max_points=max_points)))
    back = Timeline.from_dict(data)
    width = data["traffic_bucket_s"]
    for model, rows in zip("ab", models, strict=True):
        buckets = back.traffic_for(model)
        assert len(buckets) <= max_points
        assert sum(b.seconds for b in buckets) == len(rows)
        assert sum(b.sent for b in buckets) == sum(s.sent for s in rows)
        assert sum(b.ok for b in buckets) == sum(s.ok for s in rows)
        for code in ("503", "504", "timeout"):
            assert sum(b.failed.get(code, 0) for b in buckets) == sum(
                s.failed.get(code, 0) for s in rows
            )
        for bucket in buckets:
            inside = [s for s in rows if bucket.t <= s.t < bucket.t + width]
            assert bucket.t % width == 0 and len(inside) == bucket.seconds
            p99s = [s.p99_ms for s in inside if s.p99_ms is not None]
            assert bucket.p99_ms == (max(p99s) if p99s else None)
            mean = sum(s.target_rps for s in inside) / len(inside)
            assert bucket.target_rps == pytest.approx(mean)


def test_a_long_run_is_kept_per_bucket_and_the_report_stops_growing():
    hour = record([TrafficSecond(t, "m", 100.0, 100, 100) for t in range(3600)])
    day = record([TrafficSecond(t, "m", 100.0, 100, 100) for t in range(86_400)])
    assert hour.to_dict()["traffic_bucket_s"] == 5  # 720 buckets
    assert day.to_dict()["traffic_bucket_s"] == 120
    sizes = [len(json.dumps(t.to_dict())) for t in (hour, day)]
    assert sizes[1] < sizes[0] * 1.5  # 24 times the seconds
    # a report read back and written again keeps its buckets (a pytest-xdist worker's
    # scenarios are read by the controller, which writes the report)
    again = Timeline.from_dict(json.loads(json.dumps(day.to_dict())))
    assert again.to_dict() == day.to_dict()
    assert again.end == day.end == 86_400


def test_a_second_downsampling_keeps_the_first_buckets_exact():
    timeline = record([TrafficSecond(t, "m", float(t % 7), t % 5, t % 5) for t in range(5000)])
    once = Timeline.from_dict(timeline.to_dict(max_points=1000))  # 5 s buckets
    twice = once.downsampled(max_points=300)  # 5 s -> 30 s, a multiple of it
    assert (once.traffic_bucket, twice.traffic_bucket) == (5, 30)
    direct = timeline.downsampled(max_points=300).traffic_for("m")
    rows = twice.traffic_for("m")
    assert [(b.t, b.sent, b.seconds) for b in rows] == [(b.t, b.sent, b.seconds) for b in direct]
    assert [b.target_rps for b in rows] == pytest.approx([b.target_rps for b in direct])


@pytest.mark.parametrize(
    ("spans", "current", "max_points", "width"),
    [
        ([(0, 999)], 1, 1000, 1),
        ([(0, 1000)], 1, 1000, 2),
        ([(0, 3599)], 1, 1000, 5),
        ([(0, 3599), (1800, 14_399)], 1, 1000, 15),
        ([(0, 3599)], 2, 100, 60),  # 2 s rows: 5, 15 are not multiples of 2
        ([(0, 10 * 86_400)], 1, 100, 10_800),  # past an hour: multiples of an hour
        ([(0, 699)], 7, 10, 25_200),  # a width no list holds: multiples of it and an hour
    ],
)
def test_bucket_width_is_the_narrowest_that_fits(spans, current, max_points, width):
    assert bucket_width(spans, current, max_points) == width
    assert width in BUCKET_WIDTHS or width % 3600 == 0


def test_old_per_second_reports_still_load():
    old = {  # report.json of earlier versions: one object per second, no traffic_bucket_s
        "traffic": [
            {"t": 0, "model": "m", "target_rps": 2.0, "sent": 2, "ok": 2, "failed": {}},
            {
                "t": 1,
                "model": "m",
                "target_rps": 2.0,
                "sent": 2,
                "ok": 1,
                "failed": {"503": 1},
                "p50_ms": 5.0,
                "p95_ms": 9.0,
                "p99_ms": 9.5,
            },
        ],
        "replicas": [{"t": 0, "ref": "model/m", "spec": 1, "status": 1, "available": 1}],
    }
    timeline = Timeline.from_dict(old)
    assert timeline.traffic_bucket == 1
    assert timeline.traffic_for("m") == [
        TrafficSecond(0, "m", 2.0, 2, 2),
        TrafficSecond(1, "m", 2.0, 2, 1, {"503": 1}, 5.0, 9.0, 9.5),
    ]
    assert timeline.to_dict()["traffic"] == [
        {
            "model": "m",
            "t": [0, 1],
            "target_rps": [2.0, 2.0],
            "sent": [2, 2],
            "ok": [2, 1],
            "failed": {"503": [0, 1]},
            "p50_ms": [None, 5.0],
            "p95_ms": [None, 9.0],
            "p99_ms": [None, 9.5],
        }
    ]


def test_a_column_of_another_length_is_refused_by_model_and_name():
    data = Timeline.from_dict({}).to_dict()
    data["traffic"] = [{"model": "m", "t": [0, 1], "target_rps": [1.0], "sent": [1, 1]}]
    with pytest.raises(ValueError, match="traffic of model 'm': target_rps has 1 values, t has 2"):
        Timeline.from_dict(data)


def test_table_of_bucketed_rows_shows_rates():
    timeline = record([TrafficSecond(t, "m", 10.0, 10, 10) for t in range(3000)])
    bucketed = Timeline.from_dict(timeline.to_dict(max_points=100))  # 30 s buckets
    assert bucketed.traffic_bucket == 30
    table = bucketed.table(0, 600, models=["m"])
    assert "  10.0 300/0" in table  # 300 requests in 30 s: 10 a second


def hpa_sample(t: float, desired: int) -> HPASample:
    return HPASample(t, "hpa/m", desired, desired, {"infer_rps": t % 13}, {})


def test_thinned_hpa_samples_keep_every_decision():
    samples = [hpa_sample(15 * i, 1 + (i >= 500) + (i >= 900)) for i in range(1000)]
    kept = thin_samples(samples, 50)
    assert len(kept) == 50 and kept == sorted(kept, key=lambda s: s.t)
    assert {0, 15 * 500, 15 * 900, 15 * 999} <= {s.t for s in kept}
    flapping = [hpa_sample(15 * i, 1 + i % 2) for i in range(1000)]
    assert len(thin_samples(flapping, 50)) == 50


def test_a_report_says_how_many_hpa_syncs_it_kept():
    timeline = Timeline()
    for i in range(1000):
        timeline.record_hpa(hpa_sample(15 * i, 2))
    data = timeline.to_dict()
    assert len(data["hpa"]) == 360 and data["hpa_recorded"] == {"hpa/m": 1000}
    assert Timeline.from_dict(data).to_dict() == data


def test_equal_hpa_conditions_share_one_dict():
    timeline = Timeline()
    able = {"AbleToScale": ("True", "ReadyForNewScale")}
    for t, conditions in ((0, able), (15, dict(able)), (30, {})):
        timeline.record_hpa(HPASample(t, "hpa/m", 1, 1, {}, conditions))
    first, second, third = timeline.hpa_for("hpa/m")
    assert second.conditions is first.conditions and third.conditions == {}
    assert [s.t for s in timeline.hpa] == [0, 15, 30]


@given(st.lists(st.integers(1, 3), max_size=300), st.integers(2, 120))
def test_thinning_keeps_at_most_cap_samples_and_all_decisions_that_fit(desired, cap):
    samples = [hpa_sample(15 * i, d) for i, d in enumerate(desired)]
    kept = thin_samples(samples, cap)
    assert len(kept) == min(cap, len(samples))
    assert [s.t for s in kept] == sorted({s.t for s in kept})
    changes = [s for i, s in enumerate(samples) if i == 0 or s.desired != samples[i - 1].desired]
    if len(changes) < cap:  # the last sample takes a place too
        assert all(s in kept for s in changes)
