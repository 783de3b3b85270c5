"""Load profiles: requests per second over time, built from composable pieces.

A profile is a sequence of segments (``Ramp``, ``Hold``, ``Step``, ``Spike``) laid end to end;
``Ramp(1, 30, "5m") + Hold(30, "10m")`` is a profile. Every segment reduces to linear pieces,
so the rate at any instant and the exact number of requests expected over any interval are
known. The same object drives the twin's arrivals and the Locust shape, and it round-trips
through :meth:`LoadProfile.to_dict` so it can cross a process boundary.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Duration = float | int | str

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
# What one load run may ask for: every second of it is simulated or sent
MAX_PROFILE_SECONDS = 7 * 24 * 3600.0
MAX_RPS = 1_000_000.0
MAX_STEPS = 10_000


class ProfileError(ValueError):
    """A load profile or duration that cannot be understood."""


def parse_duration(value: Duration) -> float:
    """Seconds from ``90``, ``"90"``, ``"90s"``, ``"2m"``, ``"1h30m"`` or ``"500ms"``."""
    if isinstance(value, bool):
        raise ProfileError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ProfileError(
                    f"{value!r} is not a duration (use seconds or e.g. '90s', '2m', '1h30m')"
                ) from None
            # ms divide (13 / 1000 is the float nearest 0.013; 13 * 0.001 is not)
            scale = {"s": 1.0, "m": 60.0, "h": 3600.0}
            seconds = sum(float(n) / 1000 if u == "ms" else float(n) * scale[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds < 0:
        raise ProfileError(f"{value!r} is not a duration (must be finite and >= 0)")
    return seconds


def _positional(number: float) -> str:
    """The shortest fixed-point text that parses back to ``number`` (no exponent notation)."""
    for digits in range(1, 40):
        text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
        if float(text) == number:
            return text
    return f"{number:.60f}".rstrip("0").rstrip(".")


def format_duration(seconds: float) -> str:
    """``"1h2m3s"`` style, the inverse of :func:`parse_duration` for whole seconds."""
    whole = round(seconds)
    if abs(seconds - whole) > 1e-9:
        return f"{_positional(seconds)}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


def _fmt_rate(rps: float) -> str:
    """A rate as ``LoadProfile.parse`` reads it back (no exponent notation)."""
    return f"{rps:.6f}".rstrip("0").rstrip(".")


def _rates(start: float, end: float) -> str:
    return f"{_fmt_rate(start)}-{_fmt_rate(end)}rps"


def _rate(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProfileError(f"{what} must be a number of requests per second, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ProfileError(f"{what} must be >= 0 requests per second, not {value!r}")
    if value > MAX_RPS:
        raise ProfileError(f"{what} {value:g} is above {MAX_RPS:,.0f} requests per second")
    return float(value)


@dataclass(frozen=True)
class Piece:
    """Rate changing linearly from ``start_rps`` to ``end_rps`` over ``duration`` seconds."""

    duration: float
    start_rps: float
    end_rps: float

    def rate_at(self, offset: float) -> float:
        if self.duration == 0:
            return self.end_rps
        return self.start_rps + (self.end_rps - self.start_rps) * (offset / self.duration)

    def requests(self, start: float, end: float) -> float:
        """Expected requests between two offsets inside this piece (trapezoid, exact)."""
        return (self.rate_at(start) + self.rate_at(end)) / 2 * (end - start)


class Segment:
    """One part of a profile; subclasses say how it reduces to linear pieces."""

    def pieces(self) -> list[Piece]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.pieces())

    def __add__(self, other: Segment | LoadProfile) -> LoadProfile:
        return LoadProfile(self) + other


@dataclass(frozen=True, init=False)
class Ramp(Segment):
    """Rate moving linearly from ``from_rps`` to ``to_rps`` over a duration."""

    from_rps: float
    to_rps: float
    over: float

    def __init__(self, from_rps: float, to_rps: float, over: Duration) -> None:
        object.__setattr__(self, "from_rps", _rate(from_rps, "Ramp from_rps"))
        object.__setattr__(self, "to_rps", _rate(to_rps, "Ramp to_rps"))
        object.__setattr__(self, "over", parse_duration(over))

    def pieces(self) -> list[Piece]:
        return [Piece(self.over, self.from_rps, self.to_rps)]

    def describe(self) -> str:
        return f"ramp {_rates(self.from_rps, self.to_rps)} {format_duration(self.over)}"


@dataclass(frozen=True, init=False)
class Hold(Segment):
    """A constant rate for a duration."""

    rps: float
    for_: float

    def __init__(self, rps: float, for_: Duration) -> None:
        object.__setattr__(self, "rps", _rate(rps, "Hold rps"))
        object.__setattr__(self, "for_", parse_duration(for_))

    def pieces(self) -> list[Piece]:
        return [Piece(self.for_, self.rps, self.rps)]

    def describe(self) -> str:
        return f"hold {_fmt_rate(self.rps)}rps {format_duration(self.for_)}"


@dataclass(frozen=True, init=False)
class Step(Segment):
    """A staircase: ``steps`` equal stairs from ``from_rps`` to ``to_rps`` over a duration."""

    from_rps: float
    to_rps: float
    steps: int
    over: float

    def __init__(self, from_rps: float, to_rps: float, steps: int, over: Duration) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
            raise ProfileError(f"Step steps must be an integer 2..{MAX_STEPS}, not {steps!r}")
        object.__setattr__(self, "from_rps", _rate(from_rps, "Step from_rps"))
        object.__setattr__(self, "to_rps", _rate(to_rps, "Step to_rps"))
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "over", parse_duration(over))

    def pieces(self) -> list[Piece]:
        stair = self.over / self.steps
        rise = (self.to_rps - self.from_rps) / (self.steps - 1)
        return [
            Piece(stair, self.from_rps + rise * i, self.from_rps + rise * i)
            for i in range(self.steps)
        ]

    def describe(self) -> str:
        rates = _rates(self.from_rps, self.to_rps)
        return f"step {rates} {self.steps}x {format_duration(self.over)}"


@dataclass(frozen=True, init=False)
class Spike(Segment):
    """``base_rps`` for ``over``, jumping to ``peak_rps`` for ``for_`` starting ``at``."""

    base_rps: float
    peak_rps: float
    over: float
    at: float
    for_: float

    def __init__(
        self, base_rps: float, peak_rps: float, over: Duration, at: Duration, for_: Duration
    ) -> None:
        object.__setattr__(self, "base_rps", _rate(base_rps, "Spike base_rps"))
        object.__setattr__(self, "peak_rps", _rate(peak_rps, "Spike peak_rps"))
        object.__setattr__(self, "over", parse_duration(over))
        object.__setattr__(self, "at", parse_duration(at))
        object.__setattr__(self, "for_", parse_duration(for_))
        if self.at + self.for_ > self.over:
            raise ProfileError(
                f"Spike at {format_duration(self.at)} for {format_duration(self.for_)} "
                f"does not fit in its {format_duration(self.over)}"
            )

    def pieces(self) -> list[Piece]:
        after = self.over - self.at - self.for_
        return [
            Piece(self.at, self.base_rps, self.base_rps),
            Piece(self.for_, self.peak_rps, self.peak_rps),
            Piece(after, self.base_rps, self.base_rps),
        ]

    def describe(self) -> str:
        return (
            f"spike {_rates(self.base_rps, self.peak_rps)} {format_duration(self.over)} "
            f"at {format_duration(self.at)} for {format_duration(self.for_)}"
        )


class LoadProfile:
    """Segments laid end to end; the rate over time of one load run."""

    def __init__(self, *segments: Segment) -> None:
        for segment in segments:
            if not isinstance(segment, Segment):
                raise ProfileError(f"a LoadProfile is made of segments, not {segment!r}")
        self.segments: tuple[Segment, ...] = tuple(segments)
        self._pieces = [p for s in self.segments for p in s.pieces() if p.duration > 0]
        self._starts: list[float] = []
        elapsed = 0.0
        for piece in self._pieces:
            self._starts.append(elapsed)
            elapsed += piece.duration
        if elapsed > MAX_PROFILE_SECONDS:
            raise ProfileError(
                f"a profile of {format_duration(elapsed)} is longer than "
                f"{format_duration(MAX_PROFILE_SECONDS)}"
            )
        self.duration: float = elapsed
        self._ends = [start + piece.duration for start, piece in self.pieces()]

    def __add__(self, other: Segment | LoadProfile) -> LoadProfile:
        tail = other.segments if isinstance(other, LoadProfile) else (other,)
        return LoadProfile(*self.segments, *tail)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoadProfile) and self.segments == other.segments

    def __hash__(self) -> int:
        return hash(self.segments)

    def __repr__(self) -> str:
        # Exact, not describe(): its rounded rates would name a different profile, and a
        # failing example printed by hypothesis must rebuild the one that failed.
        return f"LoadProfile({', '.join(map(repr, self.segments))})"

    def describe(self) -> str:
        return ", ".join(s.describe() for s in self.segments)

    @property
    def peak_rps(self) -> float:
        return max((max(p.start_rps, p.end_rps) for p in self._pieces), default=0.0)

    def pieces(self) -> Iterator[tuple[float, Piece]]:
        """``(start_time, piece)`` for every non-empty linear piece."""
        return zip(self._starts, self._pieces, strict=True)

    def rate_at(self, t: float) -> float:
        """Target requests per second at ``t`` seconds into the run (0 outside it)."""
        if t < 0 or t >= self.duration:
            return 0.0
        for start, piece in self.pieces():
            if t < start + piece.duration:
                return piece.rate_at(t - start)
        return 0.0

    def requests_between(self, t0: float, t1: float) -> float:
        """Expected number of requests sent in ``[t0, t1)`` (exact for linear pieces)."""
        total = 0.0
        # the twin asks every second: start at the first piece not over by t0
        for i in range(bisect.bisect_right(self._ends, t0), len(self._pieces)):
            start, piece = self._starts[i], self._pieces[i]
            if start >= t1:
                break
            lo, hi = max(t0, start), min(t1, self._ends[i])
            if hi > lo:
                total += piece.requests(lo - start, hi - start)
        return total

    def requests_per_second(self, t0: float, count: int) -> list[float]:
        """Expected requests in each of the ``count`` seconds from ``t0``, as
        :meth:`requests_between` gives them one by one (the twin asks for spans of seconds)."""
        return [self.requests_between(t0 + i, t0 + i + 1) for i in range(count)]

    def to_dict(self) -> dict:
        return {"segments": [_segment_to_dict(s) for s in self.segments]}

    @classmethod
    def from_dict(cls, data: dict) -> LoadProfile:
        segments = data.get("segments") if isinstance(data, dict) else None
        if not isinstance(segments, list):
            raise ProfileError(f"a profile is {{'segments': [...]}}, not {data!r:.80}")
        return cls(*(_segment_from_dict(s) for s in segments))

    @classmethod
    def parse(cls, text: str) -> LoadProfile:
        """Parse ``"ramp 1-30rps 5m, hold 10m, ramp 30-1rps 5m"``.

        Forms: ``ramp A-Brps D``, ``hold [Rrps] D`` (without a rate: the previous segment's
        final rate), ``step A-Brps Nx D``, ``spike A-Brps D at T for F``.
        """
        if not isinstance(text, str):
            raise ProfileError(f"a profile is text such as 'hold 5rps 1m', not {text!r:.80}")
        segments: list[Segment] = []
        for index, raw in enumerate(text.split(","), start=1):
            part = " ".join(raw.split())
            if not part:
                raise ProfileError(f"profile {text!r}: segment {index} is empty")
            try:
                segments.append(_parse_segment(part, segments))
            except ProfileError as error:
                raise ProfileError(
                    f"profile {text!r}, segment {index} ({part!r}): {error}"
                ) from None
        return cls(*segments)


def _final_rps(segments: list[Segment]) -> float:
    if not segments:
        raise ProfileError("'hold D' without a rate needs a segment before it")
    return segments[-1].pieces()[-1].end_rps


_RATES = r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)rps"
_FORMS = {
    "ramp": re.compile(rf"^ramp {_RATES} (\S+)$"),
    "hold": re.compile(r"^hold(?: (\d+(?:\.\d+)?)rps)? (\S+)$"),
    "step": re.compile(rf"^step {_RATES} (\d+)x (\S+)$"),
    "spike": re.compile(rf"^spike {_RATES} (\S+) at (\S+) for (\S+)$"),
}
_USAGE = {
    "ramp": "ramp A-Brps DURATION",
    "hold": "hold [Rrps] DURATION",
    "step": "step A-Brps Nx DURATION",
    "spike": "spike A-Brps DURATION at T for F",
}


def _parse_segment(part: str, before: list[Segment]) -> Segment:
    kind = part.split(" ", 1)[0].lower()
    form = _FORMS.get(kind)
    if form is None:
        raise ProfileError(f"unknown segment {kind!r}; expected one of {', '.join(_FORMS)}")
    match = form.match(part.lower())
    if match is None:
        raise ProfileError(f"expected '{_USAGE[kind]}'")
    g = match.groups()
    if kind == "ramp":
        return Ramp(float(g[0]), float(g[1]), g[2])
    if kind == "hold":
        return Hold(float(g[0]) if g[0] is not None else _final_rps(before), g[1])
    if kind == "step":
        return Step(float(g[0]), float(g[1]), int(g[2]), g[3])
    return Spike(float(g[0]), float(g[1]), g[2], g[3], g[4])


def _segment_to_dict(segment: Segment) -> dict:
    fields = {k: v for k, v in vars(segment).items()}
    return {"type": type(segment).__name__, **fields}


_SEGMENT_TYPES: dict[str, type[Segment]] = {c.__name__: c for c in (Ramp, Hold, Step, Spike)}


def _segment_from_dict(data: dict) -> Segment:
    if not isinstance(data, dict):
        raise ProfileError(f"a segment is a mapping, not {data!r:.80}")
    fields = dict(data)
    kind = _SEGMENT_TYPES.get(str(fields.pop("type", "")))
    if kind is None:
        raise ProfileError(f"unknown segment type in {data!r:.80}")
    try:
        return kind(**fields)
    except TypeError:
        raise ProfileError(f"{kind.__name__}: wrong fields in {data!r:.80}") from None


def profile_of(value: LoadProfile | Segment | Iterable[Segment] | str) -> LoadProfile:
    """Accept the forms users write: a profile, one segment, a list of them, or text."""
    if isinstance(value, LoadProfile):
        return value
    if isinstance(value, Segment):
        return LoadProfile(value)
    if isinstance(value, str):
        return LoadProfile.parse(value)
    return LoadProfile(*value)
