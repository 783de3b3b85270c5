"""The results stream: lines survive any chunking, bad lines are named, seconds merge right."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.load import stream
from pytest_seldon_scaling.load.profile import Hold, LoadProfile, Ramp


def second(t: int, **fields) -> dict:
    return {"type": "second", "t": t, "target_rps": 10.0, "sent": 10, "ok": 10, "failed": {},
            "missed": 0, **fields}  # fmt: skip


def row(t: int, sent: int = 5, ok: int = 5, failed=None, latency=((1.0, 5),), busy=1) -> dict:
    return {
        "t": t,
        "sent": sent,
        "missed": 0,
        "ok": ok,
        "failed": failed or {},
        "latency": [list(x) for x in latency],
        "busy": busy,
    }


def test_messages_round_trip():
    message = second(3, failed={"503": 2}, p99_ms=12.0)
    assert stream.parse_message(stream.encode(message)) == message


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a results message"),
        (b'{"type": "nonsense"}', "not a results message"),
        (b'{"type": "second", "t": 1}', "without a valid 'target_rps'"),
        (b'{"type": "started"}', "without t0"),
    ],
)
def test_bad_lines_say_what_is_wrong(line, complaint):
    with pytest.raises(stream.StreamError, match=complaint):
        stream.parse_message(line)


def test_negative_or_fractional_failure_counts_are_refused():
    with pytest.raises(stream.StreamError, match="503=-1"):
        stream.parse_message(stream.encode(second(1, failed={"503": -1})))


def test_infinite_numbers_are_refused_before_they_reach_the_pipe():
    with pytest.raises(ValueError):
        stream.encode(second(1, target_rps=float("inf")))


@given(st.lists(st.integers(0, 50), max_size=30), st.lists(st.integers(1, 40), max_size=60))
def test_lines_come_out_whole_however_the_pipe_cuts_them(ts, cuts):
    data = b"".join(stream.encode(second(t)) for t in ts)
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    buffer, lines = b"", []
    for chunk in chunks:
        complete, buffer = stream.split_lines(buffer, chunk)
        lines += complete
    assert buffer == b""
    assert [stream.parse_message(line)["t"] for line in lines] == ts


@pytest.mark.parametrize(
    ("after", "offset", "expected_clock"),
    [(1000.2, 3.5, 1004.0), (1000.0, 0.0, 1000.0), (1000.0, -999.25, 1.0)],
)
def test_second_zero_lands_on_a_whole_second_of_the_callers_clock(after, offset, expected_clock):
    start = stream.first_start(after, offset)
    assert start >= after
    assert start + offset == pytest.approx(expected_clock)


def test_rows_of_all_processes_merge_into_one_second():
    merger = stream.SecondMerger(LoadProfile(Hold(20, 3)), processes=2)
    assert merger.add("w1", [row(0, latency=[(1.0, 5)])], now=0) == []
    merged = merger.add("w2", [row(0, failed={"503": 1}, ok=4, latency=[(9.0, 5)])], now=0.1)
    assert merged == [
        {
            "type": "second",
            "t": 0,
            "target_rps": 20.0,
            "sent": 10,
            "ok": 9,
            "failed": {"503": 1},
            "missed": 0,
            "busy": 2,
            "lag_ms": 0.0,
            "p50_ms": 1.0,
            "p95_ms": 9.0,
            "p99_ms": 9.0,
            "reported": 2,
        }
    ]


def test_seconds_come_out_in_order_and_duplicates_are_ignored():
    merger = stream.SecondMerger(LoadProfile(Hold(20, 3)), processes=1)
    assert [r["t"] for r in merger.add("w", [row(1), row(2)], now=0)] == []
    assert [r["t"] for r in merger.add("w", [row(0), row(1)], now=0)] == [0, 1, 2]
    assert merger.complete
    assert merger.add("w", [row(2)], now=1) == []


def test_a_silent_process_delays_a_second_only_for_the_patience():
    merger = stream.SecondMerger(LoadProfile(Hold(20, 2)), processes=2, patience=5)
    assert merger.add("w1", [row(0)], now=10) == []
    assert merger.flush_stale(now=14) == []
    [late] = merger.flush_stale(now=15)
    assert (late["t"], late["sent"], late["reported"]) == (0, 5, 1)


def test_target_is_the_profiles_count_for_that_second():
    merger = stream.SecondMerger(LoadProfile(Ramp(0, 10, 2)), processes=1)
    rows = merger.add("w", [row(0), row(1)], now=0)
    assert [r["target_rps"] for r in rows] == [2.5, 7.5]
