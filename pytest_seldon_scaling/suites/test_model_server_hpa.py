"""Model and Server HPA together (single-model serving).

For every Model HPA whose Server has an HPA on the same ``infer_rps`` metric: ramp to the
HPA's capacity and back. Model and Server replicas must move together; a Model that scales
before its Server shows ``ScheduleFailed`` while its loaded replicas keep serving, then recovers.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.expect import (
    converges,
    schedule_failed_intervals,
    still_serving,
    zero_downtime,
)
from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.scenario import (
    Steps,
    hpa_profile,
    model_ready_at_end,
    objects_for,
    settle_seconds,
    wait_ready,
)

APPROACH = "Model and Server HPA"


@pytest.fixture(scope="module")
def scenario(paired_hpa_case, seldon_session, seldon_manifests) -> Steps:
    case = paired_hpa_case
    settings = seldon_session.settings
    setup = build_setup(seldon_manifests, settings.core_version)
    model, server = f"model/{case.model.name}", f"server/{case.server.name}"
    profile, peak = hpa_profile(case, settings)
    steps = Steps(f"model-server-hpa/{case.id}")
    settle = settle_seconds(settings.hold)
    within = settings.ramp + settings.convergence_time
    with seldon_session.open(
        steps.name, approach=APPROACH, description=f"{profile.describe()} against {model}"
    ) as cluster:
        cluster.apply(
            *objects_for(
                seldon_manifests, setup, case.server, case.model, case.hpa, case.server_hpa
            )
        )
        wait_ready(cluster, model, settings.convergence_time)
        run = cluster.load(case.model.name, profile)
        load_started = cluster.now()
        steps.check(
            "MSHPA-01",
            lambda: (
                converges(cluster, server, case.max_replicas, within=within, stable_for=settle),
                converges(
                    cluster,
                    model,
                    case.max_replicas,
                    within=within,
                    stable_for=settle,
                    field="available",
                ),
            ),
            peak_rps=peak,
            expected_replicas=case.max_replicas,
        )
        result = run.wait()
        intervals = [
            span
            for span in schedule_failed_intervals(cluster.timeline, case.model.name)
            if span[0] >= load_started
        ]
        if intervals:
            steps.check(
                "MSHPA-02",
                lambda: (
                    [still_serving(cluster, case.model.name, during=span) for span in intervals]
                    and model_ready_at_end(cluster, model)
                ),
                schedule_failed=[list(span) for span in intervals],
            )
        else:
            steps.skip(
                "MSHPA-02",
                "the Model never got ahead of its Server in this run, so ScheduleFailed "
                "never arose (nothing to check)",
            )
        steps.check(
            "MSHPA-03",
            lambda: zero_downtime(run, max_p99_ms=settings.max_p99_ms),
            load=result.to_dict(),
        )
        steps.check(
            "MSHPA-04",
            lambda: (
                converges(
                    cluster,
                    model,
                    case.min_replicas,
                    within=settings.convergence_time,
                    stable_for=settle,
                ),
                converges(
                    cluster,
                    server,
                    case.min_replicas,
                    within=settings.convergence_time,
                    stable_for=settle,
                ),
            ),
        )
    return steps


@pytest.mark.seldon_check("MSHPA-01", "Model and Server scale up together to maxReplicas")
def test_model_and_server_scale_together(scenario, seldon_evidence):
    scenario.report("MSHPA-01", seldon_evidence)


@pytest.mark.seldon_check(
    "MSHPA-02", "A Model ahead of its Server is ScheduleFailed but keeps serving, then recovers"
)
def test_schedule_failed_while_serving_then_recovers(scenario, seldon_evidence):
    scenario.report("MSHPA-02", seldon_evidence)


@pytest.mark.seldon_check("MSHPA-03", "No request fails while Model and Server scale")
def test_no_failed_requests(scenario, seldon_evidence):
    scenario.report("MSHPA-03", seldon_evidence)


@pytest.mark.seldon_check("MSHPA-04", "After the load Model and Server return to minReplicas")
def test_both_return_to_min(scenario, seldon_evidence):
    scenario.report("MSHPA-04", seldon_evidence)
