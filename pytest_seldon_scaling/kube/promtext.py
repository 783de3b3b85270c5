"""Prometheus text exposition format, and per-replica placement from the Seldon agents' metrics.

Each Core 2 agent serves ``seldon_loaded_model_gauge{server, server_replica, model_internal}``
on port 9006; a value of 1 means that model version is loaded on that server replica.
``model_internal`` is ``<model>_<version>`` (``irisa0_1``); placement reports the model name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

LOADED_MODEL_GAUGE = "seldon_loaded_model_gauge"

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>.*)\}})?\s+(?P<value>\S+)(?:\s+\S+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_VERSION_SUFFIX = re.compile(r"_\d+$")


class MetricsParseError(ValueError):
    """A line of the exposition text that is not a comment, blank, or a valid sample."""


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


def parse_value(text: str) -> float:
    special = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    if text in special:
        return special[text]
    return float(text)


def _parse_labels(text: str, line_number: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None:
            raise MetricsParseError(f"line {line_number}: malformed labels {{{text}}}")
        raw = match.group(2)
        labels[match.group(1)] = re.sub(r"\\[\\\"n]", lambda m: _ESCAPES[m.group(0)], raw)
        position = match.end()
    return labels


def parse_prometheus_text(text: str) -> list[Sample]:
    """Every sample in Prometheus text format (version 0.0.4); comments and blanks skipped."""
    samples = []
    # only "\n" ends a line: label values may hold "\r" or other Unicode line separators
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise MetricsParseError(f"line {number}: not a metric sample: {line!r}")
        try:
            value = parse_value(match.group("value"))
        except ValueError:
            raise MetricsParseError(
                f"line {number}: value {match.group('value')!r} is not a number"
            ) from None
        labels = _parse_labels(match.group("labels") or "", number)
        samples.append(Sample(match.group("name"), value, labels))
    return samples


def model_name(model_internal: str) -> str:
    """``irisa0_1`` -> ``irisa0`` (the agent appends ``_<version>``)."""
    return _VERSION_SUFFIX.sub("", model_internal)


def placement_from_samples(
    samples: Iterable[Sample], server: str | None = None
) -> dict[int, list[str]]:
    """``{server_replica: [model, ...]}`` for models whose loaded gauge is positive.

    A replica that reports the gauge only at 0 still appears (with no models), so an empty
    replica is distinguishable from one that was not read.
    """
    placement: dict[int, set[str]] = {}
    for sample in samples:
        if sample.name != LOADED_MODEL_GAUGE:
            continue
        if server is not None and sample.labels.get("server", server) != server:
            continue
        replica_label = sample.labels.get("server_replica")
        if replica_label is None or not replica_label.isdigit():
            raise MetricsParseError(
                f"{LOADED_MODEL_GAUGE} sample without a numeric server_replica: {sample.labels}"
            )
        models = placement.setdefault(int(replica_label), set())
        if sample.value > 0 and "model_internal" in sample.labels:
            models.add(model_name(sample.labels["model_internal"]))
    return {replica: sorted(models) for replica, models in sorted(placement.items())}


def merge_placements(parts: Iterable[dict[int, list[str]]]) -> dict[int, list[str]]:
    """Combine the placement read from each pod (each agent reports only its own replica)."""
    merged: dict[int, set[str]] = {}
    for part in parts:
        for replica, models in part.items():
            merged.setdefault(replica, set()).update(models)
    return {replica: sorted(models) for replica, models in sorted(merged.items())}
