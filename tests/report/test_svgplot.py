"""SVG charts: round ticks, every point drawn, labels escaped."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.svgplot import Marker, Series, chart, nice_ticks


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (0, 10, [0, 2, 4, 6, 8, 10]),
        (0, 360, [0, 100, 200, 300, 400]),
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (5, 5, [5, 5.2, 5.4, 5.6, 5.8, 6]),
    ],
)
def test_nice_ticks(lo, hi, ticks):
    assert nice_ticks(lo, hi) == pytest.approx(ticks)


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(0.001, 1e6, allow_nan=False),
    st.integers(2, 12),
)
def test_ticks_cover_the_range_in_round_steps(lo, span, count):
    ticks = nice_ticks(lo, lo + span, count)
    assert ticks[0] <= lo + 1e-6 * span and ticks[-1] >= lo + span - 1e-6 * span
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    step = ticks[1] - ticks[0]
    assert all(math.isclose(s, step, rel_tol=1e-6, abs_tol=1e-9) for s in steps)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5, 10))


def test_nice_ticks_refuses_infinite_ranges():
    with pytest.raises(ValueError, match="finite"):
        nice_ticks(0, math.inf)


def test_chart_draws_every_series_and_is_valid_svg():
    svg = chart(
        "RPS <target> & achieved",
        [
            Series("target", [(0, 1.0), (10, 5.0), (20, 5.0)], dashed=True),
            Series("replicas", [(0, 1.0), (12, 2.0), (20, 2.0)], style="step"),
            Series("failed", [(7, 2.0), (8, 0.0)], style="bar"),
            Series("desired", [(0, 1.0), (15, 2.0)], style="dots"),
        ],
        markers=[Marker(12, "model/m ModelReady=False <ScheduleFailed>")],
    )
    root = ET.fromstring(svg)  # well-formed XML: labels are escaped
    assert root.get("data-points") == "10" and root.get("data-series") == "4"
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f".//{ns}polyline")
    assert [p.get("data-label") for p in lines] == ["target", "replicas"]
    # a step line holds the old value until the new point: one extra vertex per change
    assert len(lines[1].get("points").split()) == 5
    assert len(root.findall(f".//{ns}g[@data-label='failed']/{ns}rect")) == 1  # zero bars omitted
    assert len(root.findall(f".//{ns}circle")) == 2
    assert "[1] t=12s model/m ModelReady=False &lt;ScheduleFailed&gt;" in svg
    assert "RPS &lt;target&gt; &amp; achieved" in svg


def test_points_land_inside_the_plot_area():
    svg = chart("t", [Series("s", [(0, 0.0), (100, 10.0)])], width=400, height=200)
    points = re.search(r'<polyline[^>]*\spoints="([^"]+)"', svg).group(1).split()
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in points)
    assert x0 == 56 and x1 == 400 - 16  # left and right edges of the plot
    assert y0 > y1  # larger values are higher up


def test_legend_wraps_and_the_chart_grows():
    many = [Series(f"a rather long series label {i}", [(0, 1.0)]) for i in range(12)]
    svg = chart("t", many, width=600, height=200)
    height = int(re.search(r'height="(\d+)"', svg).group(1))
    assert height > 200


def test_empty_chart_is_still_a_chart():
    svg = chart("nothing", [])
    assert 'data-points="0"' in svg
    ET.fromstring(svg)


def _polyline(svg: str, label: str) -> list[tuple[float, float]]:
    root = ET.fromstring(svg)
    for element in root.iter("{http://www.w3.org/2000/svg}polyline"):
        if element.get("data-label") == label:
            return [tuple(map(float, p.split(","))) for p in element.get("points").split()]
    raise AssertionError(f"no polyline {label!r}")


def _value_of_y(svg: str, y: float) -> float:
    """Invert the y axis from the gridline labels the chart drew."""
    ticks = [
        (float(m[1]), float(m[2]))
        for m in re.finditer(r'y1="([\d.]+)" y2="[\d.]+" stroke="#eee"/><text [^>]*>([\d.]+)<', svg)
    ]
    (y_a, v_a), (y_b, v_b) = ticks[0], ticks[-1]
    return v_a + (y - y_a) * (v_b - v_a) / (y_b - y_a)


def test_step_line_ends_each_moment_at_the_last_recorded_value():
    # Two samples at t=10 (3, then back to 1): the line must end at 1, not at the higher one.
    samples = [(0.0, 1.0), (10.0, 3.0), (10.0, 1.0), (1100.0, 1.0)]
    svg = chart("replicas", [Series("model spec", samples, style="step")], integer_y=True)
    drawn = _polyline(svg, "model spec")
    values = [round(_value_of_y(svg, y), 6) for _, y in drawn]
    assert values[-1] == 1.0
    # t=0: 1, held to t=10, up to 3, back to 1 at t=10, held to t=1100
    assert values == [1.0, 1.0, 3.0, 3.0, 1.0, 1.0, 1.0]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 9)), min_size=1, max_size=30))
def test_drawn_step_path_holds_the_data_value_at_every_time(samples):
    points = [(float(t), float(v)) for t, v in samples]
    svg = chart("x", [Series("s", points, style="step")], x_range=(0.0, 60.0), integer_y=True)
    drawn = _polyline(svg, "s")
    in_order = sorted(points, key=lambda p: p[0])  # stable: same-time samples keep their order
    values = [_value_of_y(svg, y) for _, y in drawn]
    assert values[-1] == pytest.approx(in_order[-1][1], abs=0.05)
    recorded = {v for _, v in points}
    assert all(min(abs(v - r) for r in recorded) < 0.05 for v in values)


def test_axis_titles_and_dash_patterns():
    svg = chart(
        "rps",
        [
            Series("achieved", [(0, 1), (5, 2)]),
            Series("target", [(0, 1), (5, 2)], dash="2 3", width=1.2, opacity=0.5),
        ],
        x_label="virtual time (s)",
        y_label="requests/s",
    )
    assert ">virtual time (s)</text>" in svg and ">requests/s</text>" in svg
    assert 'stroke-dasharray="2 3"' in svg and 'stroke-opacity="0.5"' in svg


def test_offset_keeps_equal_series_apart():
    same = [(0.0, 2.0), (10.0, 2.0)]
    svg = chart("r", [Series("a", same, style="step"), Series("b", same, style="step", offset=3)])
    a, b = _polyline(svg, "a"), _polyline(svg, "b")
    assert [x for x, _ in a] == [x for x, _ in b]
    assert all(round(ya - yb, 1) == 3.0 for (_, ya), (_, yb) in zip(a, b, strict=True))
