"""A realistic run to report on: a Model HPA ramp with a ScheduleFailed episode and a drain."""

from __future__ import annotations

import math

import pytest

from pytest_seldon_scaling.load.profile import Hold, LoadProfile, Ramp
from pytest_seldon_scaling.load.result import summarize
from pytest_seldon_scaling.report import CheckResult, RunFacts, ScenarioRecord
from pytest_seldon_scaling.timeline import HPASample, Timeline, TrafficSecond

REASON = "Failed to schedule model as no matching server had enough suitable replicas"


def model_hpa_timeline() -> tuple[Timeline, LoadProfile]:
    """Ramp 1-9 rps over 2 minutes, hold, ramp down; HPA averageValue 3, server max 2."""
    profile = Ramp(1, 9, "2m") + Hold(9, "2m") + Ramp(9, 1, "2m")
    timeline = Timeline()
    model, server, hpa = "model/irisa0", "server/mlserver", "hpa/irisa0-hpa"
    timeline.record_replicas(0, model, 1, 1, 1)
    timeline.record_replicas(0, server, 1, 1)
    timeline.record_condition(0, model, "ModelReady", "True", "", "ModelAvailable")
    replicas = 1
    for t in range(int(profile.duration)):
        target = profile.rate_at(t)
        sent = round(target)
        failed = {"503": 2} if t in (200, 201) else {}
        timeline.record_traffic(
            TrafficSecond(
                t,
                "irisa0",
                target,
                sent=sent,
                ok=sent - sum(failed.values()),
                failed=failed,
                p50_ms=8.0,
                p95_ms=15.0,
                p99_ms=22.0,
            )
        )
        if t % 15 == 0:
            desired = min(3, max(1, math.ceil(target / 3)))
            if t > 300:  # scale-down stabilization
                desired = max(desired, replicas if t < 330 else desired)
            timeline.record_hpa(HPASample(t, hpa, replicas, desired, {"infer_rps": target}, {}))
            if desired != replicas:
                replicas = desired
                timeline.record_replicas(t, model, replicas, min(replicas, 2), min(replicas, 2))
                timeline.record_replicas(t + 1, server, min(replicas, 2), min(replicas, 2))
                if replicas > 2:
                    timeline.record_condition(
                        t + 2, model, "ModelReady", "False", REASON, "ScheduleFailed"
                    )
                else:
                    timeline.record_replicas(t + 5, model, replicas, replicas, replicas)
                    timeline.record_condition(
                        t + 5, model, "ModelReady", "True", "", "ModelAvailable"
                    )
    timeline.record_event(200, server, "Draining", "replica 1 draining")
    return timeline, profile


@pytest.fixture
def facts() -> RunFacts:
    return RunFacts(
        backend="twin",
        core_version="2.10.0",
        seed=42,
        namespace="seldon-mesh",
        manifests_digest="sha256:0123abcd",
        pytest_version="8.3.0",
        python_version="3.11.2",
        plugin_version="0.1.0",
        started=1_790_000_000.0,
        ended=1_790_000_012.5,
    )


@pytest.fixture
def checks() -> list[CheckResult]:
    return [
        CheckResult(
            "model-hpa.follows-prediction",
            "model-hpa",
            "Model replicas follow the HPA prediction sync by sync",
            "passed",
            0.4,
            evidence={"syncs": 24},
            scenario="model-hpa ramp",
        ),
        CheckResult(
            "model-hpa.zero-downtime",
            "model-hpa",
            "No request fails while the Model scales up and down",
            "failed",
            0.2,
            message="4 of 2160 requests to irisa0 failed in the whole run (4x 503)\n"
            "t(s)  irisa0 rps ok/fail\n 200  9.0 7/2 <ScheduleFailed & drain>",
            evidence={"first_failure": 200},
            scenario="model-hpa ramp",
        ),
        CheckResult(
            "model-and-server-hpa.schedule-failed",
            "model-and-server-hpa",
            "A Model that outgrows its Server shows ScheduleFailed while serving",
            "passed",
            0.3,
        ),
        CheckResult(
            "model-hpa.spec-replicas-set",
            "model-hpa",
            "The Model keeps spec.replicas set",
            "passed",
            0.01,
        ),
        CheckResult(
            "lag-autoscaling.scales",
            "lag-autoscaling",
            "Core lag-based model autoscaling scales up and down",
            "skipped",
            0.0,
            message="not supported by Core 2 2.10.0: removed in 2.10",
        ),
        CheckResult(
            "server-native.drain",
            "server-native",
            "Server scale-down drains with zero failed requests",
            "error",
            0.1,
            message="ClusterError: get server/mlserver: connection refused",
        ),
    ]


@pytest.fixture
def scenarios() -> list[ScenarioRecord]:
    timeline, profile = model_hpa_timeline()
    load = summarize("irisa0", profile, timeline.traffic_for("irisa0"))
    return [
        ScenarioRecord(
            "model-hpa ramp",
            timeline,
            [load],
            approach="model-hpa",
            description="Ramp to the HPA's capacity and back.",
        )
    ]
