"""Traffic traces: the request rate of real models over time, replayed as load profiles.

A :class:`Trace` holds, per model, the rate samples someone measured (``(t, rps)``, ``t`` in
seconds from the trace's start). Between two samples the rate moves linearly, which is what a
``rate(...[1m])`` series sampled every step says about the interval, so each model becomes a
:class:`~.profile.LoadProfile` of ramps that the twin and Locust follow exactly.

Three sources, one parser each:

* CSV with a header: ``time,rps`` (one model), ``time,model,rps`` (long form) or
  ``time,<model>,<model>...`` (one column per model). ``time`` is seconds (any origin, e.g.
  Unix time) or an ISO 8601 timestamp;
* the JSON of a Prometheus ``/api/v1/query_range`` answer (``resultType: matrix``), one series per
  ``model`` label, as ``sum by (model) (rate(seldon_model_infer_total[1m]))`` gives;
* a Prometheus URL, queried directly (:func:`query_prometheus`).

A trace can be scaled in rate and in time (:meth:`Trace.scaled`); a source string may carry the
scaling after ``#``: ``"day.csv#rate=2,duration=1h"``.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import json
import math
import time as clock
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .profile import (
    Hold,
    LoadProfile,
    ProfileError,
    Ramp,
    Segment,
    format_duration,
    parse_duration,
)

DEFAULT_QUERY = "sum by (model) (rate(seldon_model_infer_total[1m]))"
DEFAULT_WINDOW = 24 * 3600.0
DEFAULT_STEP = 60.0
QUERY_RANGE = "/api/v1/query_range"
# Prometheus refuses a range query of more than 11,000 points per series
# (prometheus/prometheus web/api/v1/api.go, "exceeded maximum resolution of 11,000 points")
MAX_POINTS = 11_000

Samples = tuple[tuple[float, float], ...]


class TraceError(ValueError):
    """A trace that cannot be read; the message names the source and the place in it."""


class SampledProfile(LoadProfile):
    """A profile of many ramps, looked up by a cursor (bisection when it jumps).

    ``LoadProfile`` scans its pieces for a rate and sums the pieces an interval overlaps, fine
    for a handful of segments; a day sampled every minute has 1,440 pieces per model and the
    twin asks for every second's requests of every model (1.7 M calls for a day of 20): two
    prefix sums answer any interval, and consecutive intervals stay in the piece they were in.
    """

    def __init__(self, *segments: Segment) -> None:
        super().__init__(*segments)
        # per piece: requests before its start, its start rate, half its slope, so the
        # requests from a piece's start to ``x`` s into it are ``x * (rate + half_slope * x)``
        self._before = [0.0]
        self._rate0: list[float] = []
        self._half_slope: list[float] = []
        for _, piece in self.pieces():
            self._before.append(self._before[-1] + piece.requests(0.0, piece.duration))
            self._rate0.append(piece.start_rps)
            self._half_slope.append((piece.end_rps - piece.start_rps) / piece.duration / 2)
        self._cursor = 0
        self._last = (0.0, 0.0)

    def __add__(self, other: Segment | LoadProfile) -> LoadProfile:
        return SampledProfile(*super().__add__(other).segments)

    def rate_at(self, t: float) -> float:
        if t < 0 or t >= self.duration:
            return 0.0
        i = bisect.bisect_right(self._ends, t)
        return self._pieces[i].rate_at(t - self._starts[i])

    def requests_between(self, t0: float, t1: float) -> float:
        # the twin asks for consecutive intervals: each one starts where the last one ended
        last_t, before = self._last
        if t0 != last_t:
            before = self._prefix(t0)
        total = self._prefix(t1)
        self._last = (t1, total)
        return total - before if total > before else 0.0

    def requests_per_second(self, t0: float, count: int) -> list[float]:
        prefix = self._prefix
        totals = [prefix(t0 + k) for k in range(count + 1)]
        self._last = (t0 + count, totals[-1])
        return [b - a if b > a else 0.0 for a, b in itertools.pairwise(totals)]

    def _prefix(self, t: float) -> float:
        if t <= 0:
            return 0.0
        if t >= self.duration:
            return self._before[-1]
        i = self._cursor
        if not self._starts[i] <= t < self._ends[i]:
            i = self._cursor = bisect.bisect_right(self._ends, t)
        x = t - self._starts[i]
        return self._before[i] + x * (self._rate0[i] + self._half_slope[i] * x)


@dataclass(frozen=True)
class Trace:
    """Per-model rate samples from one source, all on the same clock starting at 0."""

    series: Mapping[str, Samples]
    source: str

    @property
    def models(self) -> list[str]:
        return sorted(self.series)

    @property
    def duration(self) -> float:
        return max((s[-1][0] for s in self.series.values() if s), default=0.0)

    def peak_rps(self, model: str | None = None) -> float:
        models = [model] if model is not None else self.models
        return max((rps for m in models for _, rps in self.series[m]), default=0.0)

    def scaled(self, *, rate: float = 1.0, time: float = 1.0) -> Trace:
        """Rates multiplied by ``rate``, times by ``time`` (0.5: the day replays in 12 hours)."""
        for name, factor in (("rate", rate), ("time", time)):
            if not (math.isfinite(factor) and factor > 0):
                raise TraceError(f"{self.source}: {name} scale must be a number > 0, not {factor}")
        return Trace(
            {m: tuple((t * time, r * rate) for t, r in s) for m, s in self.series.items()},
            self.source,
        )

    def profile(self, model: str) -> LoadProfile:
        """The model's load: 0 until its first sample, then linear between samples."""
        samples = self.series.get(model)
        if samples is None:
            raise TraceError(
                f"{self.source}: no model {model!r} in the trace (it has {', '.join(self.models)})"
            )
        segments: list[Segment] = []
        if samples[0][0] > 0:
            segments.append(Hold(0, samples[0][0]))
        for (t0, r0), (t1, r1) in itertools.pairwise(samples):
            segments.append(Ramp(r0, r1, t1 - t0))
        return SampledProfile(*segments)

    def profiles(self) -> dict[str, LoadProfile]:
        return {model: self.profile(model) for model in self.models}

    def describe(self) -> str:
        return (
            f"trace {self.source}: {len(self.series)} model(s) over "
            f"{format_duration(self.duration)}, peak {self.peak_rps():g} rps"
        )


# -- building ------------------------------------------------------------------------------


def _trace(raw: dict[str, list[tuple[float, float]]], source: str) -> Trace:
    """Sort, rebase to the earliest sample and check what the parsers collected."""
    series = {m: sorted(s) for m, s in raw.items() if s}
    if not series:
        raise TraceError(f"{source}: the trace has no samples")
    origin = min(s[0][0] for s in series.values())
    out: dict[str, Samples] = {}
    for model, samples in series.items():
        times = [t for t, _ in samples]
        if len(set(times)) != len(times):
            raise TraceError(f"{source}: model {model!r} has two samples at the same time")
        out[model] = tuple((t - origin, r) for t, r in samples)
    if max(s[-1][0] for s in out.values()) <= 0:
        raise TraceError(f"{source}: the trace needs samples at two different times")
    return Trace(out, source)


def _rate(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"{where}: {text!r} is not a number of requests per second") from None
    if math.isnan(value):
        return 0.0  # rate() over a window with no samples
    if not math.isfinite(value) or value < 0:
        raise TraceError(f"{where}: {text!r} is not a rate >= 0")
    return value


def _time(text: str, where: str) -> float:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TraceError(
            f"{where}: time {text!r} is neither seconds nor an ISO 8601 timestamp"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


# -- parsers -------------------------------------------------------------------------------


def parse_csv(text: str, source: str = "<csv>", *, model: str = "model") -> Trace:
    """``time,rps`` (the one model is ``model``), ``time,model,rps`` or ``time,<m1>,<m2>...``."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise TraceError(f"{source}: empty CSV")
    header = [c.strip() for c in rows[0]]
    if len(header) < 2 or header[0].lower() != "time":
        raise TraceError(
            f"{source}:1: the header must start with 'time' and name the rate columns "
            f"('time,rps', 'time,model,rps' or 'time,<model>,...'), not {','.join(header)!r}"
        )
    lower = [c.lower() for c in header]
    long_form = lower == ["time", "model", "rps"]
    columns = [model] if lower == ["time", "rps"] else header[1:]
    if not long_form and len(set(columns)) != len(columns):
        raise TraceError(f"{source}:1: a model column appears twice in {','.join(header)!r}")
    raw: dict[str, list[tuple[float, float]]] = {} if long_form else {c: [] for c in columns}
    for number, row in enumerate(rows[1:], start=2):
        where = f"{source}:{number}"
        if len(row) != len(header):
            raise TraceError(f"{where}: {len(row)} fields, the header has {len(header)}")
        t = _time(row[0], where)
        if long_form:
            name = row[1].strip()
            if not name:
                raise TraceError(f"{where}: empty model name")
            raw.setdefault(name, []).append((t, _rate(row[2], f"{where}: {name}")))
        else:
            for name, cell in zip(columns, row[1:], strict=True):
                if cell.strip():  # an empty cell: no sample for that model then
                    raw[name].append((t, _rate(cell, f"{where}: {name}")))
    return _trace(raw, source)


def parse_prometheus(
    data: str | bytes | dict, source: str = "<prometheus>", *, label: str = "model"
) -> Trace:
    """The JSON of ``/api/v1/query_range``: one matrix series per value of ``label``."""
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise TraceError(f"{source}: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("status") != "success":
        reason = data.get("error") if isinstance(data, dict) else None
        raise TraceError(f"{source}: status is not 'success' ({reason or 'no error given'})")
    body = data.get("data") or {}
    if body.get("resultType") != "matrix":
        raise TraceError(
            f"{source}: data.resultType is {body.get('resultType')!r}; a range query "
            "(/api/v1/query_range) answers 'matrix'"
        )
    raw: dict[str, list[tuple[float, float]]] = {}
    for index, series in enumerate(body.get("result") or []):
        where = f"{source}: data.result[{index}]"
        metric = series.get("metric") or {}
        name = metric.get(label)
        if not name:
            raise TraceError(
                f"{where}: no {label!r} label (metric {metric}); aggregate with "
                f"'sum by ({label}) (...)'"
            )
        if name in raw:
            raise TraceError(f"{where}: a second series for {label}={name!r}")
        values = series.get("values")
        if not isinstance(values, list):
            raise TraceError(f"{where}: no 'values' list")
        points = raw[name] = []
        for j, point in enumerate(values):
            if not (isinstance(point, list) and len(point) == 2):
                raise TraceError(f'{where}.values[{j}]: expected [timestamp, "value"]')
            points.append((float(point[0]), _rate(str(point[1]), f"{where}.values[{j}]")))
    return _trace(raw, source)


def query_prometheus(url: str, *, now: float | None = None, timeout: float = 30.0) -> Trace:
    """Run a range query against Prometheus at ``url``.

    ``url`` is the server (``http://prometheus:9090``) or a full ``/api/v1/query_range`` URL;
    ``query``, ``start``, ``end`` and ``step`` default to :data:`DEFAULT_QUERY`, the last 24
    hours and 60 s (widened so the range stays under Prometheus's 11,000 points).
    """
    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query))
    end = float(params.get("end") or (clock.time() if now is None else now))
    start = float(params.get("start") or end - DEFAULT_WINDOW)
    step = float(params.get("step") or max(DEFAULT_STEP, math.ceil((end - start) / MAX_POINTS)))
    params.update(
        query=params.get("query") or DEFAULT_QUERY,
        start=_decimal(start),
        end=_decimal(end),
        step=_decimal(step),
    )
    path = parts.path if parts.path.endswith(QUERY_RANGE) else parts.path.rstrip("/") + QUERY_RANGE
    full = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, path, urllib.parse.urlencode(params), "")
    )
    try:
        with urllib.request.urlopen(full, timeout=timeout) as answer:
            body = answer.read()
    except urllib.error.HTTPError as error:
        body = error.read()  # Prometheus explains a bad query in the JSON body of a 400
    except (urllib.error.URLError, OSError) as error:
        raise TraceError(f"{url}: Prometheus unreachable ({error})") from None
    return parse_prometheus(body, f"{parts.scheme}://{parts.netloc}{path} {params['query']!r}")


def _decimal(seconds: float) -> str:
    """Unix time to the millisecond without exponent notation (``:g`` would round it)."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


# -- one entry point -------------------------------------------------------------------------


def load_trace(spec: str, *, now: float | None = None) -> Trace:
    """A trace from ``PATH.csv``, ``PATH.json`` or ``http(s)://...``, scaled per ``#...``.

    After ``#``: ``rate=X`` multiplies rates, ``time=X`` multiplies times, ``duration=D``
    stretches or squeezes the trace to last ``D`` (``"1h"``); e.g. ``day.csv#rate=2,duration=1h``.
    """
    source, _, scaling = spec.partition("#")
    rate, time_factor, duration = 1.0, 1.0, None
    for item in filter(None, (p.strip() for p in scaling.split(","))):
        key, _, value = item.partition("=")
        try:
            if key == "rate":
                rate = float(value)
            elif key == "time":
                time_factor = float(value)
            elif key == "duration":
                duration = parse_duration(value)
            else:
                raise TraceError(f"unknown scaling {key!r} (use rate=, time= or duration=)")
        except (ValueError, ProfileError) as error:
            raise TraceError(f"{spec}: #{item}: {error}") from None
    if source.startswith(("http://", "https://")):
        trace = query_prometheus(source, now=now)
    else:
        path = Path(source)
        try:
            text = path.read_text()
        except OSError as error:
            raise TraceError(f"{source}: cannot read the trace ({error.strerror})") from None
        if path.suffix.lower() == ".json":
            trace = parse_prometheus(text, source)
        elif path.suffix.lower() == ".csv":
            trace = parse_csv(text, source, model=path.stem)
        else:
            raise TraceError(f"{source}: a trace is a .csv, a .json query_range answer or a URL")
    if duration is not None:
        if duration <= 0:
            raise TraceError(f"{spec}: duration must be > 0")
        time_factor = duration / trace.duration
    return trace.scaled(rate=rate, time=time_factor)


def profiles_for(trace: Trace, models: Sequence[str]) -> dict[str, LoadProfile]:
    """Each model's profile from the trace; a one-series trace drives every model named."""
    if len(trace.series) == 1:
        (only,) = trace.series
        return {model: trace.profile(only) for model in models}
    missing = sorted(set(models) - set(trace.series))
    if missing:
        raise TraceError(
            f"{trace.source}: no series for Model {', '.join(missing)} "
            f"(the trace has {', '.join(trace.models)})"
        )
    return {model: trace.profile(model) for model in models}
