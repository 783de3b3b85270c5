"""The kube backend (KubeCluster, --seldon-cluster=existing) against the served twin."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import yaml

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube import open_kube_cluster
from pytest_seldon_scaling.kube.cluster import KubeCluster
from pytest_seldon_scaling.kube.lease import LEASE_NAME
from pytest_seldon_scaling.load.profile import profile_of
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.scenario import is_ready
from pytest_seldon_scaling.serve import ServedTwin
from pytest_seldon_scaling.twin.capacity import NodePool, Resources

from .conftest import FAST

GIB = 2**30


@pytest.fixture
def twin(request) -> Iterator[ServedTwin]:
    # Locust paces requests per wall second, so load needs the twin at 1x; the rest runs at 4x
    speed = 1.0 if request.node.get_closest_marker("served") else 4.0
    adapter = default_manifests() / "adapter-configmap.yaml"
    nodes = getattr(request, "param", None) or [NodePool("kind", Resources(4000, 16 * GIB))]
    with ServedTwin([adapter], settings=FAST, speed=speed, node_pools=nodes) as served:
        yield served


@pytest.fixture
def cluster(twin: ServedTwin, tmp_path) -> Iterator[KubeCluster]:
    kubeconfig = twin.write_kubeconfig(tmp_path / "kubeconfig")
    opened = open_kube_cluster("existing", kubeconfig=str(kubeconfig), report_dir=tmp_path)
    yield opened
    opened.close()


def test_preflight_apply_wait_place_delete_and_clean_up(twin, cluster):
    assert cluster.preflight.ok, cluster.preflight.missing
    leases = twin.live.log.items("leases", "seldon-mesh")
    assert [lease["metadata"]["name"] for lease in leases] == [LEASE_NAME]

    refs = cluster.apply(default_manifests())
    assert "model/iris-shared" in refs
    cluster.wait_for(
        "model/iris-shared", lambda m: m is not None and is_ready(m), 60, what="iris-shared Ready"
    )
    assert cluster.placement("mlserver-shared") == {0: ["iris-shared"]}
    assert cluster.read_scale("model/iris-shared")["spec"]["replicas"] == 1
    # the watch mirror recorded the condition change the twin made
    seen = cluster.timeline.condition_history("model/iris-shared", "ModelReady")
    assert [c.status for c in seen][-1] == "True"

    cluster.delete("model/iris-shared")  # waits for the finalizer to go
    assert twin.live.log.get(("models", "seldon-mesh", "iris-shared")) is None
    cluster.close()
    assert not [o for o in twin.live.log.items("models", None)]
    assert twin.live.log.items("leases", "seldon-mesh") == []


@pytest.mark.served
def test_locust_load_through_the_served_mesh(twin, cluster):
    cluster.apply(default_manifests())
    cluster.wait_for(
        "model/iris-shared", lambda m: m is not None and is_ready(m), 60, what="iris-shared Ready"
    )
    result = cluster.load("iris-shared", profile_of("hold 20rps 10s")).wait()
    assert result.sent >= 190 and result.ok == result.sent, result.to_dict()
    assert twin.mesh.served >= result.ok


def _server(name: str, most: int) -> dict:
    return yaml.safe_load(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Server\n"
        f"metadata: {{name: {name}}}\n"
        f"spec: {{serverConfig: mlserver, replicas: 1, minReplicas: 1, maxReplicas: {most}}}"
    )


@pytest.mark.parametrize("twin", [[NodePool("kind", Resources(4000, 8 * GIB))]], indirect=True)
def test_servers_beyond_the_served_nodes_memory_are_refused_before_anything_is_applied(
    twin, cluster
):
    """The kube backend reads the served twin's Node (8 GiB allocatable) and its ServerConfig's
    pod requests (rclone 100M + agent 500M + mlserver 1G), never 'node capacity not checked'."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a skipped capacity check warns
        with pytest.raises(
            ClusterError,
            match=r"request 8\.94 GiB of memory \(server/big 6 x 1\.49 GiB\), "
            r"but the nodes have 8\.00 GiB allocatable",
        ):
            cluster.apply(_server("big", 6))
        assert twin.live.log.get(("servers", "seldon-mesh", "big")) is None
        cluster.apply(_server("small", 5))  # 7.45 GiB fits
    cluster.wait_for(
        "server/small", lambda s: s is not None and is_ready(s), 60, what="small Ready"
    )
