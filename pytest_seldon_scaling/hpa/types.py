"""Plain data of the HPA controller: the objects it reads, its history, its results."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..quantity import QuantityError, milli_value, parse_quantity

MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)
MAX_INT64 = 2**63 - 1

DEFAULT_CPU_UTILIZATION = 80
CPU_INITIALIZATION_PERIOD = 300.0
DELAY_OF_INITIAL_READINESS_STATUS = 30.0
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0


class HPAError(ValueError):
    """An HPA manifest the controller cannot work with."""


class MetricUnavailable(Exception):
    """A metric could not be read (no adapter rule, API error, ...): the HPA's metric error."""


class MetricFailure(Exception):
    """A metric yielded no proposal; ``reason`` is the ScalingActive reason it sets."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --------------------------------------------------------------------------------------------
# plain data


@dataclass(frozen=True)
class Scale:
    """The target's ``/scale`` subresource as the HPA reads it."""

    spec_replicas: int
    status_replicas: int = 0
    selector: str = ""

    @classmethod
    def of(cls, value: Scale | Mapping) -> Scale:
        """Accept a Scale, ``{"spec_replicas":..}`` or an ``autoscaling/v1`` Scale object."""
        if isinstance(value, Scale):
            return value
        if "spec_replicas" in value:
            return cls(
                int(value["spec_replicas"]),
                int(value.get("status_replicas") or 0),
                value.get("selector") or "",
            )
        spec, status = value.get("spec") or {}, value.get("status") or {}
        return cls(
            int(spec.get("replicas") or 0),
            int(status.get("replicas") or 0),
            status.get("selector") or "",
        )


@dataclass(frozen=True)
class Pod:
    """A pod as the HPA's pod lister sees it.

    ``ready`` is the Ready condition (``None``: no Ready condition), ``ready_transition`` its
    lastTransitionTime and ``start_time`` the pod's start (``None``: not started), all in the
    same seconds as ``now``. ``labels=None`` means "selected by the HPA's selector".
    ``containers`` maps container name to its resource requests; ``requests`` is a shorthand
    for a single container named ``main``.
    """

    name: str
    phase: str = "Running"
    ready: bool | None = True
    ready_transition: float | None = None
    start_time: float | None = None
    deleted: bool = False
    labels: Mapping[str, str] | None = None
    containers: Mapping[str, Mapping[str, object]] | None = None
    requests: Mapping[str, object] | None = None
    sidecars: frozenset[str] = frozenset()

    def container_requests(self) -> Mapping[str, Mapping[str, object]]:
        if self.containers is not None:
            return self.containers
        return {"main": self.requests or {}}


@dataclass(frozen=True)
class PodMetric:
    """One pod's sample: value, when it was taken and over which window (CPU readiness)."""

    value: object
    timestamp: float | None = None
    window: float = 60.0


@dataclass(frozen=True)
class Tolerances:
    """Per-direction tolerance; ``is_within`` is inclusive on both ends, in float64."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


DEFAULT_TOLERANCES = Tolerances()


@dataclass
class Recommendation:
    replicas: int
    timestamp: float


@dataclass
class ScaleEvent:
    change: int
    timestamp: float
    outdated: bool = False


@dataclass(frozen=True)
class MetricProposal:
    replicas: int
    metric_name: str
    status: dict


@dataclass
class SyncResult:
    """What one reconcile decided, and the HPA status it would write."""

    current_replicas: int
    desired_replicas: int
    rescaled: bool
    conditions: dict[str, tuple[str, str]]
    current_metrics: list[dict]
    reason: str = ""
    proposal: int | None = None
    error: str | None = None
    events: list[tuple[str, str, str]] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def metric_values(self) -> dict[str, float]:
        """Current value per metric name (value, average value or utilization %)."""
        return {
            name: value for name, value in map(_metric_status_value, self.current_metrics) if name
        }


# --------------------------------------------------------------------------------------------
# quantities


def _to_int32(value: float) -> int:
    if math.isnan(value):
        return MIN_INT32
    if value >= MAX_INT32:
        return MAX_INT32
    if value <= MIN_INT32:
        return MIN_INT32
    return int(value)


def _ceil32(value: float) -> int:
    return _to_int32(math.ceil(value)) if math.isfinite(value) else _to_int32(value)


def format_milli(milli: int) -> str:
    """``resource.NewMilliQuantity(v, DecimalSI).String()``: canonical decimal SI text."""
    if milli == 0:
        return "0"
    sign = "-" if milli < 0 else ""
    magnitude = abs(milli)
    # the largest SI suffix that leaves a whole number (integers only: this runs every sync)
    for exponent, suffix in _SI_SUFFIXES:
        unit = 1000 * 10**exponent
        if magnitude % unit == 0:
            return f"{sign}{magnitude // unit}{suffix}"
    return f"{sign}{magnitude}m"


_SI_SUFFIXES = ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k"), (0, ""))


def _observed_milli(value: object, what: str) -> int:
    try:
        return milli_value(value if not isinstance(value, PodMetric) else value.value)  # type: ignore[arg-type]
    except (QuantityError, TypeError) as error:
        raise MetricUnavailable(f"{what}: {value!r} is not a metric value") from error


def _metric_status_value(status: Mapping) -> tuple[str, float]:
    if not status:
        return "", 0.0
    body = status.get(_STATUS_KEY.get(status.get("type", ""), ""), {})
    name = (body.get("metric") or {}).get("name") or body.get("name") or ""
    current = body.get("current") or {}
    if "averageUtilization" in current:
        return name, float(current["averageUtilization"])
    for key in ("value", "averageValue"):
        if key in current:
            return name, _quantity_float(current[key])
    return name, 0.0


def _quantity_float(text: object) -> float:
    """``float(parse_quantity(text))``, with a fast path for what :func:`format_milli` writes
    most (``"1500m"``): int / int is correctly rounded, as the Fraction's float is."""
    if isinstance(text, str) and text.endswith("m") and text[:-1].isdigit():
        return int(text[:-1]) / 1000
    return float(parse_quantity(text))


_STATUS_KEY = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "External": "external",
}
