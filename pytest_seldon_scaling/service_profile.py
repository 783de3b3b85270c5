"""Service profiles: how one replica of a real model serves, for the twin to serve alike.

``seldon-scaling calibrate`` measures a profile and writes it as JSON (one model per file);
``plan --service-profile``, ``tune --profile`` and the plugin's ``--seldon-service-profile``
read it with :func:`read_service_profile`, the one parser. Every twin takes the profiles the
same way: :func:`choose_profiles` picks each model's profile, :func:`serve_with` hands them to
the twin's traffic engine (``TrafficEngine.service``) as :func:`engine_service` turns them
into a :class:`~.twin.traffic.ServiceTime`: the rate of one replica, its workers, and the
measured service-time percentiles as the latencies of requests that do not queue.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .manifests import Manifest
    from .twin import TwinCluster
    from .twin.traffic import ServiceTime

# The profile's percentiles, each standing for the band of quantiles nearest to it: the
# bands meet halfway between the percentiles, so a weighted quantile at 0.5, 0.95 or 0.99 of
# the points lands well inside its own band and gives back the measured figure.
PERCENTILES = (
    (0.50, "service_time_p50_ms"),
    (0.95, "service_time_p95_ms"),
    (0.99, "service_time_p99_ms"),
)


@dataclass(frozen=True)
class ServiceProfile:
    """How one replica of the model serves: what the twin needs instead of its defaults."""

    model: str
    service_time_p50_ms: float
    service_time_p95_ms: float
    service_time_p99_ms: float
    concurrency_per_replica: int
    saturation_rps: float
    max_p99_ms: float
    source: str = field(default="", compare=False)  # the file it was read from, not written

    def twin_service(self) -> tuple[float, int]:
        """(service time, workers) for the twin's traffic engine (``TrafficEngine.service``).

        The twin serves in constant time with whole workers, so it takes ``concurrency``
        workers each busy ``concurrency / saturation`` s: one twin replica then saturates at
        the measured rate (the figure the HPA is sized on), with a service time close to the
        measured median.
        """
        seconds = self.service_time_p50_ms / 1000
        if self.saturation_rps > 0:
            seconds = self.concurrency_per_replica / self.saturation_rps
        return seconds, self.concurrency_per_replica

    def describe(self) -> str:
        seconds, workers = self.twin_service()
        where = f" ({self.source})" if self.source else ""
        return (
            f"{self.model}{where}: p50 {self.service_time_p50_ms:g} ms, "
            f"p99 {self.service_time_p99_ms:g} ms, {workers} worker(s) of "
            f"{seconds * 1000:.3g} ms per replica"
        )

    def to_json(self) -> str:
        data = asdict(self)
        del data["source"]
        return json.dumps(data, indent=2) + "\n"


# field: (type, test, what a good value is)
_CHECKS: dict[str, tuple[type, Any, str]] = {
    "model": (str, lambda v: bool(v), "a model name"),
    "service_time_p50_ms": (float, lambda v: 0 < v < math.inf, "a number of ms > 0"),
    "service_time_p95_ms": (float, lambda v: 0 < v < math.inf, "a number of ms > 0"),
    "service_time_p99_ms": (float, lambda v: 0 < v < math.inf, "a number of ms > 0"),
    "concurrency_per_replica": (int, lambda v: v >= 1, "a whole number ≥ 1"),
    "saturation_rps": (float, lambda v: 0 <= v < math.inf, "a number of rps ≥ 0"),
    "max_p99_ms": (float, lambda v: 0 < v < math.inf, "a number of ms > 0"),
}


def parse_service_profile(data: Any, source: str) -> ServiceProfile:
    """A profile from the JSON ``calibrate`` writes (pure); ``ValueError`` names the field."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: not a service profile (expected a JSON object)")
    missing = [name for name in _CHECKS if name not in data]
    if missing:
        raise ValueError(f"{source}: service profile lacks {', '.join(missing)}")
    values: dict[str, Any] = {}
    for name, (kind, good, wanted) in _CHECKS.items():
        value = data[name]
        numeric = kind is not str and isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and numeric and value != int(value):
            numeric = False
        if not (isinstance(value, str) if kind is str else numeric) or not good(value):
            raise ValueError(f"{source}: field {name}: must be {wanted}, not {value!r}")
        values[name] = kind(value)
    if not values["service_time_p50_ms"] <= values["service_time_p95_ms"]:
        raise ValueError(f"{source}: field service_time_p95_ms: below service_time_p50_ms")
    if not values["service_time_p95_ms"] <= values["service_time_p99_ms"]:
        raise ValueError(f"{source}: field service_time_p99_ms: below service_time_p95_ms")
    return ServiceProfile(**values, source=source)


def read_service_profile(path: Path) -> ServiceProfile:
    """A profile ``calibrate`` wrote; ``ValueError`` names the file and the field."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a service profile ({error})") from None
    return parse_service_profile(data, str(path))


def choose_profiles(
    profiles: Sequence[ServiceProfile], models: Sequence[str]
) -> dict[str, ServiceProfile]:
    """Each model's profile: its own, else the one spare profile (pure).

    A profile serves the model it names; one naming none of ``models`` (calibrated as
    ``iris``, served as ``iris-shared``) serves every model without its own. Two spare
    profiles would be a guess: an error. Models without a profile keep the twin's defaults.
    """
    own = {p.model: p for p in profiles if p.model in models}
    spare = [p for p in profiles if p.model not in models]
    if len(spare) > 1:
        raise ValueError(
            f"{len(spare)} service profiles ({', '.join(p.source or p.model for p in spare)}) "
            f"are for none of the models ({', '.join(models) or 'none'}); give at most one "
            "to serve the models without their own"
        )
    chosen = {m: own.get(m) or (spare[0] if spare else None) for m in models}
    return {m: p for m, p in chosen.items() if p is not None}


def profiles_for_manifests(
    profiles: Sequence[ServiceProfile], manifests: Sequence[Manifest]
) -> dict[str, ServiceProfile]:
    """:func:`choose_profiles` over the Models of ``manifests``, or of the package's default
    manifests when none are given (what the suites then test)."""
    if not profiles:
        return {}
    if not manifests:
        from .manifests import load_manifests
        from .resources import default_manifests

        manifests = load_manifests(default_manifests())
    return choose_profiles(profiles, sorted({m.name for m in manifests if m.kind == "Model"}))


def add_service_profile_option(
    parser: argparse.ArgumentParser, *names: str, models: str, dest: str = "service_profile"
) -> None:
    """The commands' ``--service-profile FILE`` (repeatable), read by
    :func:`read_service_profile`; ``models`` says which Models a spare profile serves."""
    parser.add_argument(
        *(names or ("--service-profile",)),
        dest=dest,
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="service profile from 'seldon-scaling calibrate': the twin serves its Model like "
        f"the measured one (repeatable); one naming none of {models} serves every one of them "
        "without its own",
    )


def serve_cluster_models(
    cluster: TwinCluster, profiles: Sequence[ServiceProfile]
) -> dict[str, ServiceProfile]:
    """:func:`choose_profiles` over the Models applied on ``cluster``, handed to it with
    :func:`serve_with`; the choice. ``ValueError`` as :func:`choose_profiles` raises it."""
    chosen = choose_profiles(profiles, sorted(m["metadata"]["name"] for m in cluster.list("model")))
    serve_with(cluster, chosen)
    return chosen


def served_lines(chosen: Mapping[str, ServiceProfile]) -> list[str]:
    """What a command prints of the Models it serves as profiled, one line each."""
    return [f"  model/{m} served as profiled: {p.describe()}" for m, p in sorted(chosen.items())]


def serve_with(cluster: TwinCluster, chosen: Mapping[str, ServiceProfile]) -> None:
    """The one way a twin takes service profiles: the traffic engine's per-model
    :class:`~.twin.traffic.ServiceTime` (rate, workers, and the measured latencies)."""
    cluster.traffic.service.update({m: engine_service(p) for m, p in chosen.items()})


def engine_service(profile: ServiceProfile) -> ServiceTime:
    """The profile as the engine serves it (pure): the rate-setting service time and workers of
    :meth:`ServiceProfile.twin_service`, and the measured percentiles as latency points.

    Each measured percentile becomes a point weighted by its band of quantiles (bands meet
    halfway between the percentiles: 0-0.725 for p50, 0.725-0.97 for p95, 0.97-1 for p99), so
    the engine's weighted quantiles of a second without queueing give back p50, p95 and p99.
    """
    from .twin.traffic import ServiceTime

    seconds, workers = profile.twin_service()
    quantiles = [q for q, _ in PERCENTILES]
    edges = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(quantiles)), 1.0]
    points = tuple(
        (getattr(profile, name) / 1000, edges[i + 1] - edges[i])
        for i, (_, name) in enumerate(PERCENTILES)
    )
    return ServiceTime(seconds, workers, points)
