"""Scenarios the conformance suites derive from a user's manifests, and their checks.

A scenario (one load profile against one HPA, say) is expensive on a real cluster, so each runs
once and several checks report on it. :class:`Steps` runs the assertions in order as the
scenario unfolds, keeps each outcome, and hands it to the check test that reports it, so every
check keeps its own status, message and evidence in the report.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from .cluster import SeldonCluster
from .conditions import condition, is_ready
from .expect import ExpectationFailed
from .load.profile import Hold, LoadProfile, Ramp
from .manifests import Manifest
from .quantity import parse_quantity
from .settings import SeldonSettings
from .setup import ServerView, Setup, hosted_models
from .twin.operator import ScalingSpecError, validated_scaling_spec

INFER_RPS = "infer_rps"


class Steps:
    """Outcomes of a scenario's checks, by check ID."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.outcomes: dict[str, BaseException | str | None] = {}
        self.evidence: dict[str, dict] = {}

    def check(self, check_id: str, assertion: Callable[[], Any], **evidence: Any) -> Any:
        """Run one assertion now; a failure is kept for the check, the scenario goes on."""
        self.evidence[check_id] = dict(evidence)
        try:
            value = assertion()
        except AssertionError as failure:
            self.outcomes[check_id] = failure
            at = getattr(failure, "at", None)
            if at is not None:
                self.evidence[check_id]["failed_at"] = at  # flagged on the scenario's charts
            return None
        self.outcomes[check_id] = None
        return value

    def skip(self, check_id: str, reason: str) -> None:
        self.outcomes[check_id] = reason

    def report(self, check_id: str, evidence: dict) -> None:
        """Inside the check's test: pass, fail with the kept message, or skip with the reason."""
        __tracebackhide__ = True  # the failure is the check's message, not this frame
        evidence.update(self.evidence.get(check_id, {}))
        evidence["scenario"] = self.name
        if check_id not in self.outcomes:
            pytest.fail(f"{check_id}: the scenario stopped before this check ran", pytrace=False)
        outcome = self.outcomes[check_id]
        if isinstance(outcome, str):
            pytest.skip(outcome)
        if outcome is not None:
            # The check's message and timeline table, not the frames of the scenario fixture.
            pytest.fail(str(outcome) or repr(outcome), pytrace=False)


# -- what the manifests describe --------------------------------------------------------------


@dataclass(frozen=True)
class ModelHPACase:
    """A Model HPA on ``infer_rps`` (AverageValue) and what it scales."""

    hpa: Manifest
    model: Manifest
    server: ServerView | None
    average_value: float
    min_replicas: int
    max_replicas: int
    server_hpa: Manifest | None = None

    @property
    def id(self) -> str:
        return self.hpa.name

    @property
    def capacity_rps(self) -> float:
        """The load at which the HPA asks for maxReplicas: maxReplicas × averageValue."""
        return self.max_replicas * self.average_value


@dataclass(frozen=True)
class ServerCase:
    """A Server scaled by Core 2 itself (no Server HPA) and a model it hosts."""

    server: ServerView
    model: Manifest
    min_replicas: int
    max_replicas: int  # 4294967295 when unbounded; 0 means no scale-up (2.9)
    replicas: int
    others: tuple[Manifest, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return self.server.name


def _infer_rps_average(hpa: Manifest, model: str) -> float | None:
    for metric in hpa.spec.get("metrics") or []:
        source = metric.get("object") or {}
        described = source.get("describedObject") or {}
        target = source.get("target") or {}
        if (
            metric.get("type") == "Object"
            and (source.get("metric") or {}).get("name") == INFER_RPS
            and described.get("kind") == "Model"
            and described.get("name") == model
            and target.get("type") == "AverageValue"
            and target.get("averageValue") is not None
        ):
            return float(parse_quantity(target["averageValue"]))
    return None


def model_hpa_cases(setup: Setup) -> list[ModelHPACase]:
    """Every Model HPA scaling on its own model's ``infer_rps`` with an AverageValue target."""
    cases = []
    for hpa in setup.hpas:
        target = hpa.spec.get("scaleTargetRef") or {}
        model = setup.models.get(target.get("name", "")) if target.get("kind") == "Model" else None
        if model is None:
            continue
        average = _infer_rps_average(hpa, model.name)
        if average is None:
            continue
        servers = setup.servers_for(model)
        server = servers[0] if servers else None
        server_hpas = setup.hpas_targeting("Server", server.name) if server else []
        cases.append(
            ModelHPACase(
                hpa=hpa,
                model=model,
                server=server,
                average_value=average,
                min_replicas=int(hpa.spec.get("minReplicas") or 1),
                max_replicas=int(hpa.spec["maxReplicas"]),
                server_hpa=next(
                    (h for h in server_hpas if _infer_rps_average(h, model.name) is not None),
                    None,
                ),
            )
        )
    return cases


def server_cases(setup: Setup) -> list[ServerCase]:
    """Servers without a Server HPA that host at least one model (native autoscaling's job)."""
    cases = []
    for server in setup.servers.values():
        if server.from_chart or setup.hpas_targeting("Server", server.name):
            continue
        models = hosted_models(setup, server)
        pinned = [m for m in models if m.spec.get("server") == server.name]
        candidates = pinned or models
        if not candidates:
            continue
        try:
            spec = validated_scaling_spec(
                server.spec.get("replicas"),
                server.spec.get("minReplicas"),
                server.spec.get("maxReplicas"),
                core_version=setup.operator_version,
            )
        except ScalingSpecError:
            continue
        cases.append(
            ServerCase(
                server=server,
                model=candidates[0],
                min_replicas=spec.min_replicas,
                max_replicas=spec.max_replicas,
                replicas=spec.replicas,
                others=tuple(candidates[1:]),
            )
        )
    return cases


def objects_for(
    manifests: Sequence[Manifest], setup: Setup, *keep: Manifest | ServerView | None
) -> list[dict]:
    """The objects a scenario applies: what it names, with ServerConfigs and adapter config."""
    wanted: list[dict] = []
    for item in keep:
        if item is None:
            continue
        manifest = item.manifest if isinstance(item, ServerView) else item
        if manifest is not None and not (isinstance(item, ServerView) and item.from_chart):
            wanted.append(copy.deepcopy(manifest.obj))
    support = [copy.deepcopy(m.obj) for m in manifests if m.kind == "ServerConfig"]
    support += [copy.deepcopy(a.manifest.obj) for a in setup.adapters]
    return support + wanted


def renamed(model: Manifest, name: str, **spec: Any) -> dict:
    """A copy of a Model under another name with spec fields changed (derived scenarios)."""
    obj = copy.deepcopy(model.obj)
    obj["metadata"] = {k: v for k, v in obj.get("metadata", {}).items() if k in ("namespace",)}
    obj["metadata"]["name"] = name
    obj["spec"].update(spec)
    return obj


def bounded(max_replicas: int, wanted: int) -> int:
    """What a Server can grow to for ``wanted`` model replicas, given its validated max."""
    if max_replicas < 1:
        return 0
    return min(wanted, max_replicas)


def settle_seconds(hold: float) -> float:
    """How long the suites let replicas sit before calling them stable."""
    return max(15.0, min(60.0, math.floor(hold / 3)))


# -- steps the suites share -------------------------------------------------------------------


def hpa_profile(case: ModelHPACase, settings: SeldonSettings) -> tuple[LoadProfile, float]:
    """Ramp to the HPA's capacity (or ``--seldon-peak-rps``), hold, ramp down, stay low.

    The low tail outlasts the HPA's scale-down stabilization window plus the convergence time,
    so the scale-down happens under load, where dropped requests would show.
    """
    peak = settings.peak_rps or case.capacity_rps
    low = min(1.0, peak)
    behavior = (case.hpa.spec.get("behavior") or {}).get("scaleDown") or {}
    window = behavior.get("stabilizationWindowSeconds")
    tail = (300.0 if window is None else float(window)) + settings.convergence_time
    if settings.traffic is not None:
        # the recorded shape, its peak scaled to the same peak the ramps would reach
        trace = settings.traffic
        series = case.model.name if case.model.name in trace.series else trace.models[0]
        shape = trace.scaled(rate=peak / (trace.peak_rps(series) or 1.0))
        return shape.profile(series) + Hold(low, tail), peak
    profile = (
        Ramp(low, peak, settings.ramp)
        + Hold(peak, settings.hold)
        + Ramp(peak, low, settings.ramp)
        + Hold(low, tail)
    )
    return profile, peak


def wait_ready(cluster: SeldonCluster, ref: str, timeout: float) -> None:
    """Wait until an object's Ready condition is True (the scenario cannot start otherwise)."""
    cluster.wait_until(lambda: is_ready(cluster.get(ref)), timeout, what=f"{ref} Ready=True")


def model_ready_at_end(cluster: SeldonCluster, ref: str) -> bool:
    obj = cluster.get(ref)
    if not is_ready(obj):
        ready = condition(obj, "ModelReady")
        state = "absent" if ready is None else f"{ready.status} ({ready.message}: {ready.reason})"
        raise ExpectationFailed(
            f"{ref} did not recover: ModelReady={state} at the end of the scenario"
        )
    return True


def spec_replicas_always_set(cluster: SeldonCluster, ref: str) -> None:
    """``spec.replicas`` is set now and was never seen unset during the scenario."""
    spec = cluster.get(ref).get("spec") or {}
    if not isinstance(spec.get("replicas"), int):
        raise ExpectationFailed(
            f"{ref} has no spec.replicas now: an HPA's GET /scale fails (FailedGetScale); "
            "set spec.replicas explicitly on the Model"
        )
    unset = [s.t for s in cluster.timeline.replica_series(ref) if s.spec is None]
    if unset:
        raise ExpectationFailed(f"{ref} had no spec.replicas at t={unset[0]:.0f}s")
