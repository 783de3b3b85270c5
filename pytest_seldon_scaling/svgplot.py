"""Time-series charts as inline SVG text, so a report is one self-contained HTML page.

Pure functions from data to markup: no JavaScript, no fonts or styles fetched from anywhere.
A chart is a stack of :class:`Series` (lines, step lines for replica counts, bars for failed
requests) over a shared time axis, with numbered :class:`Marker` flags for moments such as
condition changes. Every ``<svg>`` carries ``data-points`` (how many data points it draws) so
a browser test can tell a chart with data from an empty frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
FAILED_COLOUR = "#d62728"


@dataclass(frozen=True)
class Series:
    """One line of a chart. ``style``: ``line``, ``step`` (value held until the next point),
    ``bar`` (one bar per point, ``bar_width`` x units wide) or ``dots``.

    Points are drawn in time order; points at one time keep the order given, so a step line
    ends a moment at the last value recorded for it. ``dash`` is an SVG dash pattern
    (``dashed`` picks ``"6 4"``), ``width`` the stroke width and ``opacity`` its alpha: lines
    that may coincide (spec and available replicas) stay apart by dash, width and alpha, and
    ``offset`` draws a series a few pixels higher so equal counts of several objects show.
    """

    label: str
    points: Sequence[tuple[float, float]]
    colour: str = PALETTE[0]
    style: str = "line"
    dashed: bool = False
    dash: str = ""
    width: float = 1.8
    opacity: float = 1.0
    offset: float = 0.0  # pixels up: equal values of several series stay side by side
    bar_width: float = 1.0  # x units: a bar of a bucketed series spans its bucket

    @property
    def dash_pattern(self) -> str:
        return self.dash or ("6 4" if self.dashed else "")


@dataclass(frozen=True)
class Marker:
    """A moment on the time axis, drawn as a numbered flag with a tooltip; a marker with a
    ``symbol`` shows it instead of a number (and takes no number)."""

    x: float
    label: str
    colour: str = FAILED_COLOUR
    symbol: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """What one chart draws, whatever draws it: :func:`render` as SVG for the report, or
    ``seldon-scaling plan --plot FILE.png`` with matplotlib, so both show the same series."""

    title: str
    series: Sequence[Series]
    markers: Sequence[Marker] = ()
    x_range: tuple[float, float] | None = None
    y_label: str = ""
    x_label: str = "time (s)"
    integer_y: bool = False


def render(spec: ChartSpec) -> str:
    """The SVG of ``spec`` (see :func:`chart`)."""
    return chart(
        spec.title,
        spec.series,
        markers=spec.markers,
        x_range=spec.x_range,
        y_label=spec.y_label,
        x_label=spec.x_label,
        integer_y=spec.integer_y,
    )


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"tick range must be finite, not [{lo}, {hi}]")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw - 1e-12)
    index = math.floor(lo / step)
    if math.isclose((index + 1) * step, lo, rel_tol=0.0, abs_tol=step * 1e-9):
        index += 1  # lo sits on a tick that division put just below it
    first = index * step
    ticks = []
    value = first
    while value <= hi + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi - 1e-9:
        ticks.append(round(value, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:g}"


def _time_labels(ticks: Sequence[float]) -> list[str]:
    """Seconds, or whole minutes when every tick falls on one."""
    if len(ticks) > 1 and all(t % 60 == 0 for t in ticks) and ticks[-1] >= 120:
        return [f"{t / 60:.0f}m" for t in ticks]
    return [f"{_fmt(t)}s" for t in ticks]


def chart(
    title: str,
    series: Sequence[Series],
    *,
    markers: Sequence[Marker] = (),
    x_range: tuple[float, float] | None = None,
    y_label: str = "",
    x_label: str = "time (s)",
    integer_y: bool = False,
    width: int = 960,
    height: int = 260,
) -> str:
    """An SVG chart of ``series`` over time, with a legend, axis titles and numbered
    ``markers``."""
    left, right, bottom = 56, 16, 48
    legend, rows = _legend(series, left, width - right)
    top = 30 + 16 * rows
    height += 16 * (rows - 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] + [m.x for m in markers]
    ys = [y for s in series for _, y in s.points]
    if x_range is None:
        x_range = (min(xs, default=0.0), max(xs, default=1.0))
    x0, x1 = x_range
    if x1 <= x0:
        x1 = x0 + 1
    y_top = max(ys, default=1.0)
    y_ticks = nice_ticks(0.0, max(y_top, 1.0 if integer_y else 1e-9) * 1.05, 5)
    if integer_y:
        y_ticks = sorted({math.ceil(t) for t in y_ticks})
    y1 = y_ticks[-1] or 1.0

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / y1 * plot_h

    count = sum(len(s.points) for s in series)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'data-points="{count}" data-series="{len(series)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#ccc"/>',
        f'<text x="{left}" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in y_ticks:
        y = py(tick)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{_fmt(tick)}</text>"
        )
    x_ticks = [t for t in nice_ticks(x0, x1, 10) if x0 - 1e-9 <= t <= x1 + 1e-9]
    for tick, label in zip(x_ticks, _time_labels(x_ticks), strict=True):
        x = px(tick)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
            f'stroke="#999"/><text x="{x:.1f}" y="{top + plot_h + 16}" font-size="11" '
            f'text-anchor="middle">{label}</text>'
        )
    if x_label:
        out.append(
            f'<text class="x-label" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 32}" '
            f'font-size="11" text-anchor="middle">{escape(x_label)}</text>'
        )
    if y_label:
        out.append(
            f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
        )
    out.append("".join(_draw(s, px, py) for s in series))
    number = 0
    for marker in markers:
        if not marker.symbol:
            number += 1
        flag = marker.symbol or str(number)
        tip = f"t={_fmt(marker.x)}s {marker.label}"
        tip = tip if marker.symbol else f"[{number}] {tip}"
        x = px(marker.x)
        out.append(
            f'<g class="marker"><title>{escape(tip)}'
            f'</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" '
            f'stroke="{marker.colour}" stroke-dasharray="2 3" stroke-width="1"/>'
            f'<rect x="{x - 8:.1f}" y="{top - 13}" width="16" height="12" rx="2" '
            f'fill="{marker.colour}"/><text x="{x:.1f}" y="{top - 4}" font-size="9" '
            f'fill="#fff" text-anchor="middle">{escape(flag)}</text></g>'
        )
    out.append(legend)
    out.append("</svg>")
    return "".join(out)


def _draw(series: Series, px, py) -> str:
    if not series.points:
        return ""
    colour, label = series.colour, escape(series.label)
    dash = f' stroke-dasharray="{series.dash_pattern}"' if series.dash_pattern else ""
    alpha = f' stroke-opacity="{series.opacity:g}"' if series.opacity < 1 else ""
    points = sorted(series.points, key=lambda point: point[0])
    if series.style == "bar":
        bar = series.bar_width
        bars = [
            f'<rect x="{px(x):.1f}" y="{py(y):.1f}" width="{max(1.0, px(x + bar) - px(x)):.1f}" '
            f'height="{py(0) - py(y):.1f}" fill="{colour}"/>'
            for x, y in points
            if y > 0
        ]
        return f'<g class="series" data-label="{label}">{"".join(bars)}</g>'
    if series.style == "dots":
        dots = [
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}"/>'
            for x, y in points
        ]
        return f'<g class="series" data-label="{label}">{"".join(dots)}</g>'
    coords: list[tuple[float, float]] = []
    for index, (x, y) in enumerate(points):
        if series.style == "step" and index:
            coords.append((px(x), py(points[index - 1][1]) - series.offset))
        coords.append((px(x), py(y) - series.offset))
    text = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return (
        f'<polyline class="series" data-label="{label}" points="{text}" fill="none" '
        f'stroke="{colour}" stroke-width="{series.width:g}"{dash}{alpha}/>'
    )


def _legend(series: Sequence[Series], left: float, right: float) -> tuple[str, int]:
    """The legend markup, wrapped to the chart's width, and how many rows it takes."""
    items = []
    x, y, rows = left, 30.0, 1
    for s in series:
        item_width = 24 + 6.2 * len(s.label)
        if x > left and x + item_width > right:
            x, y, rows = left, y + 16, rows + 1
        swatch = (
            f'<rect x="{x:.0f}" y="{y - 8:.0f}" width="14" height="8" fill="{s.colour}"/>'
            if s.style == "bar"
            else f'<line x1="{x:.0f}" x2="{x + 14:.0f}" y1="{y - 4:.0f}" y2="{y - 4:.0f}" '
            f'stroke="{s.colour}" stroke-width="{max(2.0, s.width):g}"'
            + (f' stroke-dasharray="{s.dash_pattern}"' if s.dash_pattern else "")
            + (f' stroke-opacity="{s.opacity:g}"' if s.opacity < 1 else "")
            + "/>"
        )
        items.append(
            f'{swatch}<text x="{x + 18:.0f}" y="{y:.0f}" font-size="11">{escape(s.label)}</text>'
        )
        x += item_width
    return f'<g class="legend">{"".join(items)}</g>', rows
