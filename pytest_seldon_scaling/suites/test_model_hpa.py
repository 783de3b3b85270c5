"""Model HPA on ``infer_rps`` (AverageValue), multi-model serving.

For every Model HPA in the manifests: ramp the load to the HPA's capacity (maxReplicas ×
averageValue), hold, ramp back down and stay low past the scale-down stabilization window.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.expect import converges, follows_hpa, zero_downtime
from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.scenario import (
    Steps,
    hpa_profile,
    objects_for,
    settle_seconds,
    spec_replicas_always_set,
    wait_ready,
)

APPROACH = "Model HPA"


@pytest.fixture(scope="module")
def scenario(model_hpa_case, seldon_session, seldon_manifests) -> Steps:
    case = model_hpa_case
    settings = seldon_session.settings
    setup = build_setup(seldon_manifests, settings.core_version)
    model = f"model/{case.model.name}"
    profile, peak = hpa_profile(case, settings)
    steps = Steps(f"model-hpa/{case.id}")
    description = f"{profile.describe()} against {case.model.display} ({case.hpa.display})"
    settle = settle_seconds(settings.hold)
    with seldon_session.open(steps.name, approach=APPROACH, description=description) as cluster:
        cluster.apply(*objects_for(seldon_manifests, setup, case.server, case.model, case.hpa))
        wait_ready(cluster, model, settings.convergence_time)
        run = cluster.load(case.model.name, profile)
        steps.check(
            "MHPA-01",
            lambda: converges(
                cluster,
                model,
                case.max_replicas,
                within=settings.ramp + settings.convergence_time,
                stable_for=settle,
                field="available",
            ),
            peak_rps=peak,
            expected_replicas=case.max_replicas,
        )
        result = run.wait()
        steps.check(
            "MHPA-02",
            lambda: follows_hpa(
                cluster, f"hpa/{case.hpa.name}", timing_tolerance=settings.convergence_time
            ),
        )
        steps.check(
            "MHPA-03",
            lambda: zero_downtime(run, max_p99_ms=settings.max_p99_ms),
            load=result.to_dict(),
        )
        steps.check("MHPA-04", lambda: spec_replicas_always_set(cluster, model))
        steps.check(
            "MHPA-05",
            lambda: converges(
                cluster,
                model,
                case.min_replicas,
                within=settings.convergence_time,
                stable_for=settle,
            ),
            expected_replicas=case.min_replicas,
        )
    return steps


@pytest.mark.seldon_check("MHPA-01", "At the HPA's capacity load the Model reaches maxReplicas")
def test_reaches_max_replicas_at_capacity(scenario, seldon_evidence):
    scenario.report("MHPA-01", seldon_evidence)


@pytest.mark.seldon_check("MHPA-02", "Every HPA sync decides what the HPA algorithm predicts")
def test_replicas_follow_the_hpa_prediction(scenario, seldon_evidence):
    scenario.report("MHPA-02", seldon_evidence)


@pytest.mark.seldon_check("MHPA-03", "No request fails while the Model scales up and down")
def test_no_failed_requests_during_scale_events(scenario, seldon_evidence):
    scenario.report("MHPA-03", seldon_evidence)


@pytest.mark.seldon_check("MHPA-04", "The Model keeps spec.replicas set (the HPA reads /scale)")
def test_model_keeps_spec_replicas(scenario, seldon_evidence):
    scenario.report("MHPA-04", seldon_evidence)


@pytest.mark.seldon_check("MHPA-05", "After the load the Model returns to minReplicas")
def test_returns_to_min_replicas(scenario, seldon_evidence):
    scenario.report("MHPA-05", seldon_evidence)
