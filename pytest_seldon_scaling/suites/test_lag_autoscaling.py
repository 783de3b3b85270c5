"""Core 2 lag-based model autoscaling (the agent's inference lag and inactivity triggers).

Force-disabled in agent and scheduler since Core 2 v2.10.0 (SeldonIO/seldon-core PR #6814:
models scaled to 0 on quiet load never came back), whatever the helm values say. On 2.9 with
``autoscaling.autoscalingModelEnabled=true`` a Model with min/max replicas scales up one replica
at a time under lag and back down after inactivity, without its Model spec changing.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.expect import ExpectationFailed
from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.load.profile import Hold
from pytest_seldon_scaling.scenario import (
    Steps,
    bounded,
    objects_for,
    renamed,
    wait_ready,
)

APPROACH = "Core lag-based model autoscaling"
INACTIVITY = 600.0  # helm SELDON_MODEL_INACTIVE_SECONDS_THRESHOLD
LAG_RPS = 600.0


@pytest.fixture(scope="module")
def scenario(server_case, seldon_session, seldon_manifests) -> Steps:
    settings = seldon_session.settings
    if settings.core_version != "2.9":
        pytest.skip(
            f"not supported by Core 2 {settings.core_version}: lag-based model autoscaling is "
            "force-disabled in agent and scheduler since v2.10.0 (SeldonIO/seldon-core #6814)"
        )
    if not settings.model_autoscaling:
        pytest.skip(
            "lag-based model autoscaling is off (helm autoscaling.autoscalingModelEnabled=false);"
            " run with --seldon-model-autoscaling=true"
        )
    case = server_case
    setup = build_setup(seldon_manifests, settings.core_version)
    top = bounded(case.max_replicas, 3) or 3
    name = f"{case.model.name}-lag"
    model = f"model/{name}"
    steps = Steps(f"lag-autoscaling/{case.id}")
    with seldon_session.open(steps.name, approach=APPROACH, core_version="2.9") as cluster:
        cluster.apply(
            *objects_for(seldon_manifests, setup, case.server),
            renamed(case.model, name, replicas=1, minReplicas=1, maxReplicas=top),
        )
        wait_ready(cluster, model, settings.convergence_time)
        run = cluster.load(
            name, Hold(settings.peak_rps or LAG_RPS, 120) + Hold(0, INACTIVITY + 180)
        )
        steps.check(
            "LAG-01",
            lambda: cluster.wait_until(
                lambda: status_replicas(cluster, model) >= 2, 120, what=f"{model} lag scale-up"
            ),
        )
        steps.check(
            "LAG-02",
            lambda: cluster.wait_until(
                lambda: status_replicas(cluster, model) == 1,
                INACTIVITY + 180,
                what=f"{model} back to 1 replica after {INACTIVITY:g}s without requests",
            ),
        )
        run.wait()
        steps.check("LAG-03", lambda: spec_unchanged(cluster, model, 1))
    return steps


def status_replicas(cluster, ref: str) -> int:
    return int((cluster.get(ref).get("status") or {}).get("replicas") or 0)


def spec_unchanged(cluster, ref: str, replicas: int) -> None:
    specs = {s.spec for s in cluster.timeline.replica_series(ref)}
    if specs != {replicas}:
        raise ExpectationFailed(
            f"{ref} spec.replicas changed ({sorted(specs)}): lag autoscaling must only change "
            "the scheduler's replicas, never the Model resource"
        )


@pytest.mark.seldon_check("LAG-01", "Inference lag scales the Model up")
def test_scales_up_under_lag(scenario, seldon_evidence):
    scenario.report("LAG-01", seldon_evidence)


@pytest.mark.seldon_check("LAG-02", "Inactivity scales the Model back down")
def test_scales_down_after_inactivity(scenario, seldon_evidence):
    scenario.report("LAG-02", seldon_evidence)


@pytest.mark.seldon_check("LAG-03", "Lag autoscaling never changes the Model's spec.replicas")
def test_model_spec_unchanged(scenario, seldon_evidence):
    scenario.report("LAG-03", seldon_evidence)
