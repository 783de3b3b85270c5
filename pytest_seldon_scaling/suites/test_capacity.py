"""Cluster capacity: at every HPA's maxReplicas at once, does every Server pod fit?

Core 2's docs ask for "sufficient resources for creating the total number of desired server
replicas set by the HPA CRs across all the models at a given time". This check schedules every
Server's pods at that maximum (:func:`pytest_seldon_scaling.twin.capacity.max_server_replicas`)
with the requests their ServerConfig's podSpec gives the agent, server and rclone containers,
onto the nodes: ``kind: Node`` manifests among ``--seldon-manifests`` (their
``status.allocatable``; annotations ``seldon-scaling/max-nodes`` and
``seldon-scaling/provisioning-seconds`` let a cluster autoscaler grow that pool), else one kind
node on a GitHub-hosted runner (4 vCPU, 16 GiB, less kind's own pods). A pod that fits nowhere
is reported with the kube-scheduler's message, with what the Models see meanwhile.
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.manifests import Manifest
from pytest_seldon_scaling.twin.capacity import (
    KIND_CI_POOL,
    CapacityError,
    NodePool,
    check_capacity,
    max_server_replicas,
    model_shortfalls,
    pool_from_node,
    server_pod_spec,
)
from pytest_seldon_scaling.twin.cluster import MLSERVER_CAPABILITIES, default_server_config


def _pools(manifests: list[Manifest]) -> list[NodePool]:
    pools = []
    for node in (m for m in manifests if m.kind == "Node"):
        try:
            pools.append(pool_from_node(node.obj, node.display))
        except CapacityError as error:
            pytest.fail(f"{node.where()}: {error}", pytrace=False)
    return pools or [KIND_CI_POOL]


def _server_config_spec(manifests: list[Manifest], name: str) -> dict:
    for config in manifests:
        if config.kind == "ServerConfig" and config.name == name:
            return config.spec.get("podSpec") or {}
    # the setup chart's ServerConfigs (mlserver, triton) as the twin installs them
    return default_server_config(name, MLSERVER_CAPABILITIES, "")["spec"]["podSpec"]


@pytest.mark.seldon_check(
    "CAP-01", "At every HPA's maxReplicas at once, every Server pod fits on the nodes"
)
def test_every_server_pod_fits_at_max_replicas(seldon_manifests, seldon_settings, request):
    servers = {m.name: m.spec for m in seldon_manifests if m.kind == "Server"}
    if not servers:
        pytest.skip("no Server in the manifests")
    models = {m.name: m.spec for m in seldon_manifests if m.kind == "Model"}
    hpas = [m.obj for m in seldon_manifests if m.kind == "HorizontalPodAutoscaler"]
    native = seldon_settings.server_autoscaling and seldon_settings.core_version != "2.8"
    pods = max_server_replicas(servers, models, hpas, server_autoscaling=native)
    specs = {
        name: server_pod_spec(
            _server_config_spec(seldon_manifests, str(spec.get("serverConfig") or "mlserver")),
            spec.get("podSpec"),
        )
        for name, spec in servers.items()
    }
    pools = _pools(seldon_manifests)
    try:
        report = check_capacity(pools, pods, specs)
    except CapacityError as error:
        pytest.fail(str(error), pytrace=False)
    summary = [
        f"Server {name}: {pods[name]} pod(s) of {report.requests[name].describe()}"
        for name in sorted(pods)
    ]
    summary += [
        f"node pool {pool.name}: {pool.nodes} node(s) of {pool.allocatable.describe()}"
        + (f", up to {pool.max_nodes}" if pool.max_nodes else "")
        for pool in pools
    ]
    summary += [
        f"cluster autoscaler adds {count} node(s) to {pool}"
        + f" ({next(p for p in pools if p.name == pool).provisioning_seconds:.0f} s each)"
        for pool, count in report.nodes_added.items()
    ]
    request.node.user_properties.append(("seldon_capacity", "\n".join(summary)))
    if not report.fits:
        lines = [f"Pod {p.name} stays Pending: {p.message}" for p in report.pending]
        lines += model_shortfalls(report, models, hpas)
        pytest.fail("\n".join([*lines, "", *summary]), pytrace=False)
