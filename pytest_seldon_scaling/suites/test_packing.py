"""Core 2 server packing (``autoscaling.serverPackingEnabled``).

Derived from each natively scaled Server and the Model it hosts: three copies of the Model
(A and B with one replica, C with two) on two Server replicas give ``0: A, C`` and ``1: B, C``.
Scaling C down to one replica empties no replica, so only packing can consolidate: the Server
must end with one replica hosting A, B and C, without dropping a request to A or B.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.expect import ExpectationFailed, packed, zero_downtime
from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.load.profile import Hold
from pytest_seldon_scaling.scenario import (
    Steps,
    is_ready,
    objects_for,
    renamed,
    settle_seconds,
    wait_ready,
)

APPROACH = "Server packing"
STEADY_RPS = 2.0


@pytest.fixture(scope="module")
def scenario(server_case, seldon_session, seldon_manifests) -> Steps:
    settings = seldon_session.settings
    if not settings.packing:
        pytest.skip(
            "packing is off (helm autoscaling.serverPackingEnabled=false); run with "
            "--seldon-packing=true to check it"
        )
    if settings.packing_percentage < 1:
        pytest.skip(
            f"packing percentage {settings.packing_percentage:g} < 1: whether a scale-down "
            "packs is random per event, so the outcome cannot be asserted; run with "
            "--seldon-packing-percentage=1"
        )
    case = server_case
    if 0 < case.max_replicas < 2 or not settings.server_autoscaling:
        pytest.skip(f"{case.server.display} cannot run 2 replicas under native autoscaling")
    setup = build_setup(seldon_manifests, settings.core_version)
    server = f"server/{case.server.name}"
    names = {part: f"{case.model.name}-pack-{part}" for part in "abc"}
    models = [
        renamed(case.model, names["a"], replicas=1, server=case.server.name),
        renamed(case.model, names["b"], replicas=1, server=case.server.name),
        renamed(case.model, names["c"], replicas=2, server=case.server.name),
    ]
    settle = settle_seconds(settings.hold)
    steps = Steps(f"packing/{case.id}")
    with seldon_session.open(
        steps.name, approach=APPROACH, description=f"pack {', '.join(names.values())} on {server}"
    ) as cluster:
        cluster.apply(*objects_for(seldon_manifests, setup, case.server))
        cluster.scale(server, 2)
        wait_ready(cluster, server, settings.convergence_time)
        cluster.apply(*models)
        for name in names.values():
            wait_ready(cluster, f"model/{name}", settings.convergence_time)
        length = 2 * settings.convergence_time + 2 * settle + 300
        runs = [cluster.load(names[p], Hold(STEADY_RPS, length)) for p in "ab"]
        before = cluster.placement(case.server.name)
        packed_at = cluster.now()
        cluster.scale(f"model/{names['c']}", 1)
        steps.check(
            "PACK-01",
            lambda: packed(
                cluster,
                case.server.name,
                1,
                placement={0: list(names.values())},
                within=settings.convergence_time,
            ),
            placement_before={str(k): v for k, v in before.items()},
        )
        results = [run.wait() for run in runs]
        steps.check("PACK-02", lambda: all_ready(cluster, names.values()))
        steps.check(
            "PACK-03",
            lambda: [
                zero_downtime(
                    run, during=(packed_at, cluster.now()), max_p99_ms=settings.max_p99_ms
                )
                for run in runs
            ],
            loads=[r.to_dict() for r in results],
        )
    return steps


def all_ready(cluster, names) -> None:
    unready = [n for n in names if not is_ready(cluster.get(f"model/{n}"))]
    if unready:
        raise ExpectationFailed(f"not Ready after packing: {', '.join(unready)}")


@pytest.mark.seldon_check("PACK-01", "After a model scale-down the Server packs onto 1 replica")
def test_server_consolidates(scenario, seldon_evidence):
    scenario.report("PACK-01", seldon_evidence)


@pytest.mark.seldon_check("PACK-02", "Every packed Model is Ready after consolidation")
def test_models_ready_after_packing(scenario, seldon_evidence):
    scenario.report("PACK-02", seldon_evidence)


@pytest.mark.seldon_check("PACK-03", "Packing moves models without a failed request")
def test_packing_without_failures(scenario, seldon_evidence):
    scenario.report("PACK-03", seldon_evidence)
