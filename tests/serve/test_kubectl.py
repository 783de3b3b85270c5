"""kubectl (v1.32) as the outside judge: what a Core 2 user sees of the served twin."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

from pytest_seldon_scaling.kube.promtext import parse_prometheus_text, placement_from_samples
from pytest_seldon_scaling.resources import default_manifests


def _rows(text: str) -> dict[str, list[str]]:
    """kubectl's table output: {name: columns} (columns split on runs of 2+ spaces)."""
    import re

    rows = {}
    for line in text.strip().splitlines()[1:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells
    return rows


def infer(url: str, model: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/v2/models/{model}/infer",
        data=json.dumps(
            {
                "inputs": [
                    {"name": "predict", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]}
                ]
            }
        ).encode(),
        headers={"Content-Type": "application/json", "Seldon-Model": model},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_apply_wait_get_scale_describe(served, kubectl):
    applied = kubectl("apply", "--server-side", "-f", str(default_manifests()))
    assert "model.mlops.seldon.io/iris-shared serverside-applied" in applied
    assert "horizontalpodautoscaler.autoscaling/iris-shared-model-hpa serverside-applied" in applied

    kubectl(
        "wait",
        "--for=condition=ModelReady",
        "model/iris-shared",
        "model/iris-dedicated",
        "--timeout=60s",
    )
    models = _rows(kubectl("get", "models"))
    # the Model CRD's printer columns: READY, DESIRED REPLICAS, AVAILABLE REPLICAS, ...
    assert models["iris-shared"][1:4] == ["True", "1", "1"]
    servers = _rows(kubectl("get", "servers"))
    assert servers["mlserver-shared"][1:4] == ["True", "1", "1"]
    hpas = _rows(kubectl("get", "hpa"))
    assert hpas["iris-shared-model-hpa"][1] == "Model/iris-shared"
    assert hpas["iris-shared-model-hpa"][2].endswith("/5 (avg)")

    assert "scaled" in kubectl("scale", "model/iris-shared", "--replicas=2")
    scale = json.loads(
        kubectl(
            "get",
            "--raw",
            "/apis/mlops.seldon.io/v1alpha1/namespaces/seldon-mesh/models/iris-shared/scale",
        )
    )
    assert scale["spec"]["replicas"] == 2
    assert (
        json.loads(kubectl("get", "model", "iris-shared", "-o", "json"))["metadata"]["generation"]
        == 2
    )

    described = kubectl("describe", "model", "iris-shared")
    assert "Events:" in described and "Scheduled" in described
    pods = _rows(kubectl("get", "pods", "-l", "seldon-server-name=mlserver-shared"))
    assert pods["mlserver-shared-0"][1:3] == ["3/3", "Running"]


def test_strict_field_validation_names_the_unknown_field(served, kubectl, tmp_path):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: typo}\n"
        "spec: {storageUri: gs://x, replica: 2}\n"
    )
    done = kubectl.run("apply", "--server-side", "-f", str(manifest), check=False)
    assert done.returncode == 1
    assert 'strict decoding error: unknown field "spec.replica"' in done.stderr
    assert kubectl.run("get", "model", "typo", check=False).returncode == 1


def test_mesh_inference_reaches_custom_metrics_and_agent_metrics(served, kubectl):
    kubectl("apply", "--server-side", "-f", str(default_manifests()))
    kubectl("wait", "--for=condition=ModelReady", "model/iris-dedicated", "--timeout=60s")
    mesh = json.loads(kubectl("get", "svc", "seldon-mesh", "-o", "json"))
    assert [p["name"] for p in mesh["spec"]["ports"]] == ["data", "stats"]
    address = mesh["status"]["loadBalancer"]["ingress"][0]["ip"]
    url = f"http://{address}:{mesh['spec']['ports'][0]['port']}"

    status, _ = infer(url, "no-such-model")
    assert status == 503
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            assert infer(url, "iris-dedicated")[0] == 200
            time.sleep(0.05)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        listing = json.loads(kubectl("get", "--raw", "/apis/custom.metrics.k8s.io/v1beta1"))
        assert "models.mlops.seldon.io/infer_rps" in {r["name"] for r in listing["resources"]}
        path = (
            "/apis/custom.metrics.k8s.io/v1beta1/namespaces/seldon-mesh/"
            "models.mlops.seldon.io/iris-dedicated/infer_rps"
        )
        deadline = time.monotonic() + 30
        while True:
            done = kubectl.run("get", "--raw", path, check=False)
            if done.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert done.returncode == 0, done.stderr
        item = json.loads(done.stdout)["items"][0]
        assert item["describedObject"]["name"] == "iris-dedicated"
        assert item["metricName"] == "infer_rps"
    finally:
        stop.set()
        sender.join(timeout=10)

    text = kubectl(
        "get",
        "--raw",
        "/api/v1/namespaces/seldon-mesh/pods/mlserver-dedicated-0:9006/proxy/metrics",
    )
    samples = parse_prometheus_text(text)
    assert placement_from_samples(samples, "mlserver-dedicated") == {0: ["iris-dedicated"]}
    served_total = sum(s.value for s in samples if s.name == "seldon_model_infer_total")
    assert served_total >= 1


def test_kubectl_auth_can_i_is_answered_and_preflight_checks_permissions(served, kubectl):
    """The served twin has no RBAC and says so through SelfSubjectAccessReview, as a real API
    server answers `kubectl auth can-i` (so preflight's permission checks run, not skip)."""
    assert kubectl("auth", "can-i", "patch", "models.mlops.seldon.io/scale").strip() == "yes"
    assert kubectl("auth", "can-i", "get", "pods", "--subresource=proxy").strip() == "yes"


def test_get_nodes_shows_the_twins_kind_node_and_where_pods_run(served, kubectl):
    nodes = _rows(kubectl("get", "nodes"))
    assert nodes["kind-control-plane-0"][1:4] == ["Ready", "control-plane", "v1.32.0"]
    node = json.loads(kubectl("get", "node", "kind-control-plane-0", "-o", "json"))
    # a kind node on a GitHub-hosted runner reports its host (4 vCPU, 16 GiB) as allocatable
    assert node["status"]["allocatable"]["cpu"] == "4"
    assert node["status"]["allocatable"]["memory"] == f"{16 * 2**20}Ki"
    running = kubectl(
        "get", "pods", "--field-selector=spec.nodeName=kind-control-plane-0", "-o", "name"
    )
    assert "pod/seldon-scheduler-0" in running.split()
