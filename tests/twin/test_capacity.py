"""Cluster capacity: pod requests as the chart renders them, the kube-scheduler's fit and
message, the cluster autoscaler, and the whole setup at every HPA's maxReplicas."""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_seldon_scaling.twin.capacity import (
    KIND_CI_POOL,
    CapacityError,
    NodePool,
    Resources,
    check_capacity,
    fit_error_message,
    max_server_replicas,
    model_shortfalls,
    node_pool,
    pod_requests,
    schedule_pods,
    server_pod_spec,
)
from pytest_seldon_scaling.twin.cluster import default_server_config

MLSERVER = default_server_config("mlserver", "sklearn", "ns")["spec"]["podSpec"]
GI = 2**30


def test_a_server_pod_requests_what_the_chart_gives_its_three_containers():
    # rclone 200m/100M + agent 500m/500M + mlserver 1/1G (Core 2 v2.10.2 ServerConfig)
    assert pod_requests(MLSERVER) == Resources(1700, 1_600_000_000)


def test_server_podspec_merges_over_the_server_config_by_container_name():
    spec = server_pod_spec(
        MLSERVER,
        {"containers": [{"name": "mlserver", "resources": {"requests": {"cpu": "250m"}}}]},
    )
    assert pod_requests(spec) == Resources(950, 1_600_000_000)  # memory request kept


def test_init_containers_count_as_kubernetes_does():
    spec = {
        "containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}],
        "initContainers": [
            {"name": "setup", "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}},
            {
                "name": "sidecar",
                "restartPolicy": "Always",
                "resources": {"requests": {"cpu": "50m"}},
            },
        ],
    }
    assert pod_requests(spec) == Resources(2000, GI)


@pytest.mark.parametrize(
    ("reasons", "nodes", "message"),
    [
        (Counter({"Insufficient memory": 1}), 1, "0/1 nodes are available: 1 Insufficient memory."),
        (
            Counter({"Insufficient memory": 2, "Insufficient cpu": 1}),
            3,
            "0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.",
        ),
    ],
)
def test_fit_error_message_is_the_kube_schedulers(reasons, nodes, message):
    assert fit_error_message(nodes, reasons) == message


def test_pods_that_fit_nowhere_stay_pending_with_the_schedulers_message():
    nodes = {"n0": (Resources(4000, 4 * GI), Resources(4000, 4 * GI))}
    placement = schedule_pods(
        [("a", Resources(1000, 3 * GI)), ("b", Resources(1000, 2 * GI))], nodes
    )
    assert placement.bound == {"a": "n0"}
    assert [(p.name, p.message) for p in placement.pending] == [
        ("b", "0/1 nodes are available: 1 Insufficient memory.")
    ]


def test_least_allocated_spreads_pods_over_nodes():
    node = (Resources(4000, 8 * GI), Resources(4000, 8 * GI))
    placement = schedule_pods(
        [(f"p{i}", Resources(1000, GI)) for i in range(4)], {"n0": node, "n1": node}
    )
    assert Counter(placement.bound.values()) == {"n0": 2, "n1": 2}


def test_the_default_kind_ci_node_holds_one_default_mlserver_pod():
    report = check_capacity([KIND_CI_POOL], {"mlserver": 2}, {"mlserver": MLSERVER})
    assert [p.name for p in report.pending] == ["mlserver-1"]
    assert report.pending[0].message == "0/1 nodes are available: 1 Insufficient cpu."


def test_a_cluster_autoscaler_adds_nodes_up_to_its_maximum():
    pool = NodePool("workers", Resources(2000, 8 * GI), nodes=1, max_nodes=2)
    report = check_capacity([pool], {"mlserver": 3}, {"mlserver": MLSERVER})
    assert report.nodes_added == {"workers": 1}
    assert [p.name for p in report.pending] == ["mlserver-2"]
    assert report.pending[0].message == "0/2 nodes are available: 2 Insufficient cpu."


def test_max_server_replicas_follows_hpas_and_native_server_autoscaling():
    servers = {
        "shared": {"replicas": 1, "maxReplicas": 4},
        "dedicated": {"replicas": 1},
        "fixed": {"replicas": 2},
    }
    models = {
        "a": {"server": "shared", "replicas": 1},
        "b": {"server": "shared", "replicas": 1, "maxReplicas": 6},
        "c": {"server": "dedicated", "replicas": 1},
    }
    hpas = [
        {"spec": {"scaleTargetRef": {"kind": "Model", "name": "a"}, "maxReplicas": 3}},
        {"spec": {"scaleTargetRef": {"kind": "Server", "name": "dedicated"}, "maxReplicas": 5}},
    ]
    assert max_server_replicas(servers, models, hpas, server_autoscaling=True) == {
        "shared": 4,  # model b asks for 6, the Server caps at 4
        "dedicated": 5,  # its own HPA
        "fixed": 2,
    }
    assert max_server_replicas(servers, models, hpas, server_autoscaling=False)["shared"] == 1


def test_model_shortfalls_say_what_the_models_see():
    report = check_capacity([KIND_CI_POOL], {"mlserver": 3}, {"mlserver": MLSERVER})
    hpas = [{"spec": {"scaleTargetRef": {"kind": "Model", "name": "iris"}, "maxReplicas": 3}}]
    (line,) = model_shortfalls(report, {"iris": {"server": "mlserver"}}, hpas)
    assert "wants 3 replicas but only 1 pod(s) of Server mlserver fit: ScheduleFailed" in line


def test_bad_node_pool_names_the_field():
    with pytest.raises(CapacityError, match="workers: cpu: required"):
        node_pool({"name": "x", "memory": "1Gi"}, "workers")
    with pytest.raises(CapacityError, match="is not a quantity"):
        node_pool({"name": "x", "cpu": "lots", "memory": "1Gi"}, "workers")


def _events(twin, reason):
    return [(e.ref, e.message) for e in twin.timeline.events if e.reason == reason]


def test_twin_server_pods_that_do_not_fit_stay_pending():
    from pytest_seldon_scaling.twin import TwinCluster

    from .builders import model, server

    twin = TwinCluster(node_pools=[KIND_CI_POOL])
    twin.apply(server("mlserver", replicas=2), model("iris", replicas=2, server="mlserver"))
    twin.sleep(120)
    assert _events(twin, "FailedScheduling") == [
        ("pod/mlserver-1", "0/1 nodes are available: 1 Insufficient cpu.")
    ]
    assert list(twin.placement("mlserver")) == [0]  # only pod 0 connected
    # without minReplicas Core 2 does not schedule part of a Model: it stays ScheduleFailed
    status = twin.get("model/iris")["status"]
    assert status["availableReplicas"] == 0
    assert status["conditions"][0]["message"] == "ScheduleFailed"


def test_twin_cluster_autoscaler_brings_a_node_after_its_provisioning_delay():
    from pytest_seldon_scaling.twin import TwinCluster

    from .builders import server

    pool = NodePool(
        "workers", Resources(2000, 8 * GI), nodes=1, max_nodes=2, provisioning_seconds=90
    )
    twin = TwinCluster(node_pools=[pool])
    twin.apply(server("mlserver", replicas=2))
    twin.sleep(60)
    assert _events(twin, "TriggeredScaleUp") == [
        ("pod/mlserver-1", "pod triggered scale-up: [workers 1->2 (max: 2)]")
    ]
    assert list(twin.placement("mlserver")) == [0]
    twin.sleep(60)  # the node arrived at 90 s, the pod started 20 s later
    assert ("pod/mlserver-1", "assigned to workers-1") in _events(twin, "Scheduled")
    assert list(twin.placement("mlserver")) == [0, 1]


def test_the_cluster_autoscaler_counts_the_node_on_its_way():
    from pytest_seldon_scaling.twin import TwinCluster

    from .builders import server

    # two Server pods (1.7 CPU, 1.6 G each) per node: pods 2 and 3 wait for one new node
    pool = NodePool("workers", Resources(4000, 4 * GI), max_nodes=3, provisioning_seconds=60)
    twin = TwinCluster(node_pools=[pool])
    twin.apply(server("mlserver", replicas=4))
    twin.sleep(1)
    assert _events(twin, "TriggeredScaleUp") == [
        ("pod/mlserver-2", "pod triggered scale-up: [workers 1->2 (max: 3)]")
    ]
    twin.sleep(100)
    scheduled = dict(_events(twin, "Scheduled"))
    assert scheduled["pod/mlserver-2"] == scheduled["pod/mlserver-3"] == "assigned to workers-1"
    assert list(twin.placement("mlserver")) == [0, 1, 2, 3]


def test_the_readme_node_pool_reads_as_it_says():
    import re
    from pathlib import Path

    import yaml

    from pytest_seldon_scaling.twin.capacity import pool_from_node

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(apiVersion: v1\nkind: Node\n.*?)```", readme, re.S)
    assert block, "README: the kind: Node example is gone"
    pool = pool_from_node(yaml.safe_load(block[1]))
    assert (pool.name, pool.max_nodes, pool.provisioning_seconds) == ("workers", 3, 90.0)
    assert pool.allocatable == Resources(cpu=4000, memory=16 * GI)
