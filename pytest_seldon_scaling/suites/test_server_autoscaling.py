"""Core 2 native server autoscaling.

For every Server without a Server HPA that hosts a Model: under steady load, scale the Model to
3 replicas (as far as the Server's bounds allow) and back to 1. The scheduler must grow the
Server to the largest model replica count and shrink it again, draining without dropping a
request.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.expect import ExpectationFailed, converges, zero_downtime
from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.load.profile import Hold
from pytest_seldon_scaling.scenario import (
    Steps,
    bounded,
    objects_for,
    settle_seconds,
    wait_ready,
)

APPROACH = "Server native autoscaling"
MODEL_REPLICAS = 3
STEADY_RPS = 2.0
DRAIN_ALLOWANCE_SECONDS = 150.0


@pytest.fixture(scope="module")
def scenario(server_case, seldon_session, seldon_manifests) -> Steps:
    settings = seldon_session.settings
    if not settings.server_autoscaling:
        pytest.skip(
            "native server autoscaling is off (helm autoscaling.autoscalingServerEnabled=false, "
            "--seldon-server-autoscaling=false)"
        )
    case = server_case
    setup = build_setup(seldon_manifests, settings.core_version)
    model, server = f"model/{case.model.name}", f"server/{case.server.name}"
    grown = max(case.replicas, bounded(case.max_replicas, MODEL_REPLICAS))
    shrunk = max(case.min_replicas, 1, min(case.replicas, 1))
    settle = settle_seconds(settings.hold)
    steps = Steps(f"server-autoscaling/{case.id}")
    # long enough for both convergences at their slowest, then for the scaled-down pod's
    # drain, which may take up to its termination grace period (the twin's 120 s default)
    length = 2 * (settings.convergence_time + settle) + DRAIN_ALLOWANCE_SECONDS
    with seldon_session.open(
        steps.name,
        approach=APPROACH,
        description=f"{case.model.display} scaled to {MODEL_REPLICAS} and back on {server}",
    ) as cluster:
        cluster.apply(*objects_for(seldon_manifests, setup, case.server, case.model))
        wait_ready(cluster, model, settings.convergence_time)
        run = cluster.load(case.model.name, Hold(STEADY_RPS, length))
        cluster.scale(model, MODEL_REPLICAS)
        steps.check(
            "SNA-01",
            lambda: converges(
                cluster, server, grown, within=settings.convergence_time, stable_for=settle
            ),
            model_replicas=MODEL_REPLICAS,
            server_bounds=[case.min_replicas, case.max_replicas],
            expected_server_replicas=grown,
        )
        scaled_down_at = cluster.now()
        cluster.scale(model, 1)
        steps.check(
            "SNA-02",
            lambda: converges(
                cluster, server, shrunk, within=settings.convergence_time, stable_for=settle
            ),
            expected_server_replicas=shrunk,
        )
        result = run.wait()
        steps.check(
            "SNA-03",
            lambda: zero_downtime(
                run, during=(scaled_down_at, cluster.now()), max_p99_ms=settings.max_p99_ms
            ),
            load=result.to_dict(),
        )
        steps.check("SNA-04", lambda: within_bounds(cluster, server, case))
    return steps


def within_bounds(cluster, server: str, case) -> None:
    replicas = [s.spec for s in cluster.timeline.replica_series(server) if s.spec is not None]
    lowest, highest = max(1, case.min_replicas), max(case.replicas, case.max_replicas)
    outside = [r for r in replicas if not lowest <= r <= highest]
    if outside:
        raise ExpectationFailed(
            f"{server} went to {outside[0]} replicas, outside its bounds [{lowest}, {highest}]"
        )


@pytest.mark.seldon_check(
    "SNA-01", "The Server grows to the largest model replica count within its bounds"
)
def test_server_follows_model_replicas_up(scenario, seldon_evidence):
    scenario.report("SNA-01", seldon_evidence)


@pytest.mark.seldon_check("SNA-02", "The Server shrinks back when the Model scales down")
def test_server_shrinks_back(scenario, seldon_evidence):
    scenario.report("SNA-02", seldon_evidence)


@pytest.mark.seldon_check("SNA-03", "Scale-down drains replicas without a failed request")
def test_scale_down_drains_without_failures(scenario, seldon_evidence):
    scenario.report("SNA-03", seldon_evidence)


@pytest.mark.seldon_check("SNA-04", "The Server never leaves its bounds and never goes below 1")
def test_server_stays_within_bounds(scenario, seldon_evidence):
    scenario.report("SNA-04", seldon_evidence)
