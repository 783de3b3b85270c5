"""Will the Servers fit? The kind default scenario on a GitHub runner, and the check at apply."""

from __future__ import annotations

import pytest
import yaml

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube.helm import HelmSettings
from pytest_seldon_scaling.kube.objects import pod_memory_request, server_max_replicas
from pytest_seldon_scaling.quantity import parse_quantity
from pytest_seldon_scaling.resources import default_manifests

from .reference import REFERENCE, needs_reference

GIB = 2**30
# GitHub's public ubuntu-latest runner: 16 GB of RAM ("About GitHub-hosted runners"), of which
# kind's node, the kubelet and the runner's own processes keep about 1 GiB.
RUNNER_BUDGET = 15 * GIB


def _objects(*names: str) -> list[dict]:
    docs = []
    for name in names:
        docs += [d for d in yaml.safe_load_all((default_manifests() / name).read_text()) if d]
    return docs


def _reference_server_pod() -> int:
    """Bytes one Server pod of the chart's mlserver ServerConfig requests (SeldonIO/seldon-core
    v2.10.2 k8s/yaml/components.yaml, ServerConfig mlserver: rclone 128Mi, agent 1Gi,
    mlserver 1Gi)."""
    text = (
        REFERENCE / "rendered/k8s-yaml-components.ServerConfigs-mlserver-triton.yaml"
    ).read_text()
    mlserver = next(
        d for d in yaml.safe_load_all(text) if d and d["metadata"]["name"] == "mlserver"
    )
    return pod_memory_request(mlserver["spec"]["podSpec"])


def _control_plane_requests() -> int:
    """Memory the setup chart's always-on components request (v2.10.2 values.yaml)."""
    values = yaml.safe_load((REFERENCE / "helm/seldon-core-v2-setup.values.yaml").read_text())
    disabled = set(HelmSettings().disabled_components)
    running = [c for c in ("controller", "envoy", "scheduler", "modelgateway") if c not in disabled]
    return sum(int(parse_quantity(values[c]["resources"]["memory"])) for c in running)


@needs_reference
def test_the_default_kind_scenario_fits_a_github_runner():
    per_pod = _reference_server_pod()
    assert per_pod == 128 * 2**20 + 2 * GIB
    objects = _objects("servers.yaml", "hpas.yaml")
    hpas = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    servers = [o for o in objects if o["kind"] == "Server"]
    chart_servers = len(HelmSettings().servers)  # the servers chart's own Servers, 1 pod each
    pods = sum(server_max_replicas(s, hpas) for s in servers) + chart_servers
    demand = pods * per_pod + _control_plane_requests()
    assert demand <= RUNNER_BUDGET, f"{demand / GIB:.2f} GiB"


SERVER_CONFIG = {
    "metadata": {"name": "mlserver"},
    "spec": {
        "podSpec": {
            "containers": [
                {"name": "rclone", "resources": {"requests": {"memory": "128Mi"}}},
                {"name": "agent", "resources": {"requests": {"memory": "1Gi"}}},
                {"name": "mlserver", "resources": {"requests": {"memory": "1Gi"}}},
            ]
        }
    },
}


def _server(name: str, **spec) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "mlops.seldon.io/v1alpha1",
            "kind": "Server",
            "metadata": {"name": name},
            "spec": {"serverConfig": "mlserver", "replicas": 1, **spec},
        }
    )


def _cluster_with_nodes(fake, allocatable: str, other_pod: str = "0") -> None:
    fake.put("serverconfigs", SERVER_CONFIG)
    fake.put("nodes", {"metadata": {"name": "kind-control-plane"},
                       "status": {"allocatable": {"memory": allocatable}}})  # fmt: skip
    fake.put(
        "pods",
        {"metadata": {"name": "coredns"},
         "spec": {"containers": [{"name": "c", "resources": {"requests": {"memory": other_pod}}}]},
         "status": {"phase": "Running"}},
        namespace="kube-system",
    )  # fmt: skip


def test_servers_that_cannot_fit_at_their_maximum_are_refused_before_anything_is_applied(
    fake, make_cluster
):
    _cluster_with_nodes(fake, "8Gi", other_pod="2Gi")
    cluster = make_cluster(watch=False)

    with pytest.raises(
        ClusterError,
        match=r"request 6\.38 GiB of memory \(server/big 3 x 2\.12 GiB\), but the nodes have "
        r"6\.00 GiB allocatable",
    ):
        cluster.apply(_server("big", minReplicas=1, maxReplicas=3))
    assert fake.get("servers", "big") is None

    cluster.apply(_server("small", minReplicas=1, maxReplicas=2))  # 4.25 GiB fits
    hpa = (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n"
        "spec: {scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Server, name: "
        "hpa-driven}, minReplicas: 1, maxReplicas: 2, metrics: [{type: Resource, resource: "
        "{name: cpu, target: {type: Utilization, averageUtilization: 80}}}]}\n"
    )
    with pytest.raises(ClusterError, match=r"8\.50 GiB .*server/hpa-driven 2 x .*server/small 2 x"):
        cluster.apply(_server("hpa-driven"), hpa)  # with the first one, 8.5 GiB: refused
