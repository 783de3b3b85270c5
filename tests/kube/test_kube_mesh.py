"""Reaching svc/seldon-mesh: LoadBalancer address or a kubectl port-forward, then Locust."""

from __future__ import annotations

import stat
import sys
import textwrap
import urllib.request

import pytest

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube.mesh import (
    PortForward,
    forwarded_port,
    load_balancer_url,
    port_forward_command,
    service_http_port,
)
from pytest_seldon_scaling.load.profile import LoadProfile

# Stands in for kubectl port-forward: serves HTTP on a free port, says so like kubectl does,
# and logs every connection (a real kubectl stalls if nobody drains that output).
FAKE_KUBECTL = textwrap.dedent(
    """\
    #!{python}
    import http.server, sys
    sys.stderr.write("args: " + " ".join(sys.argv[1:]) + "\\n")
    class Mesh(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            print("Handling connection for 9000", flush=True)
            body = ("x" * 2000 + "\\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            print("log " + "y" * 5000, flush=True)
    server = http.server.HTTPServer(("127.0.0.1", 0), Mesh)
    print(f"Forwarding from 127.0.0.1:{{server.server_port}} -> 9000", flush=True)
    print(f"Forwarding from [::1]:{{server.server_port}} -> 9000", flush=True)
    server.serve_forever()
    """
)


def service(type_: str = "ClusterIP", ingress: list | None = None, prefix: str = "") -> dict:
    """svc/seldon-mesh as the operator makes it (SeldonIO/seldon-core v2.10.2
    operator/controllers/reconcilers/seldon/service_reconciler.go), stats listed first."""
    return {
        "metadata": {"name": "seldon-mesh"},
        "spec": {
            "type": type_,
            "ports": [
                {"name": "stats", "port": 9003, "targetPort": "envoy-stats"},
                {"name": f"{prefix}data", "port": 80, "targetPort": "http"},
            ],
        },
        "status": {"loadBalancer": {"ingress": ingress or []}},
    }


@pytest.mark.parametrize(
    ("line", "port"),
    [
        ("Forwarding from 127.0.0.1:43121 -> 9000", 43121),
        ("Forwarding from [::1]:43121 -> 9000", 43121),
        ("Handling connection for 43121", None),
    ],
)
def test_forwarded_port(line, port):
    assert forwarded_port(line) == port


def test_the_inference_port_is_the_operators_data_port_wherever_it_is_listed():
    assert service_http_port(service()) == 80
    assert service_http_port(service(prefix="grpc-")) == 80
    renamed = service()
    renamed["spec"]["ports"][1]["targetPort"] = 9000
    assert service_http_port(renamed) == 80  # found by its name
    renamed["spec"]["ports"].pop(1)
    with pytest.raises(ClusterError, match=r"no inference port .* its ports: stats:9003"):
        service_http_port(renamed)


def test_load_balancer_url_only_when_an_address_was_assigned():
    assert load_balancer_url(service()) is None
    assert load_balancer_url(service("LoadBalancer")) is None
    assert load_balancer_url(service("LoadBalancer", [{"ip": "172.18.255.1"}])) == (
        "http://172.18.255.1:80"
    )
    assert load_balancer_url(service("LoadBalancer", [{"hostname": "mesh.example"}])) == (
        "http://mesh.example:80"
    )


def test_port_forward_command_targets_the_mesh_service_on_a_free_local_port():
    assert port_forward_command("kubectl", "seldon-mesh", 80, "/k/config", "kind-x") == [
        "kubectl", "--kubeconfig", "/k/config", "--context", "kind-x", "port-forward",
        "--namespace", "seldon-mesh", "--address", "127.0.0.1", "svc/seldon-mesh", ":80",
    ]  # fmt: skip


@pytest.fixture
def fake_kubectl(tmp_path):
    path = tmp_path / "kubectl"
    path.write_text(FAKE_KUBECTL.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_port_forward_opens_serves_many_connections_and_closes(fake_kubectl):
    forward = PortForward.open([fake_kubectl, "port-forward", "svc/seldon-mesh", ":80"])
    try:
        for _ in range(40):  # far more log output than a pipe buffer holds
            with urllib.request.urlopen(forward.url + "/v2/health/ready", timeout=5) as answer:
                assert answer.status == 200
    finally:
        forward.close()
    assert forward.process.poll() is not None


def test_a_port_forward_that_fails_reports_what_kubectl_said(tmp_path):
    kubectl = tmp_path / "kubectl"
    kubectl.write_text("#!/bin/sh\necho 'error: services \"seldon-mesh\" not found' >&2\nexit 1\n")
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(ClusterError, match='it said: error: services "seldon-mesh" not found'):
        PortForward.open([str(kubectl), "port-forward"], timeout=5)


def test_load_starts_locust_against_the_mesh_with_the_cluster_clock(
    fake, make_cluster, fake_kubectl, monkeypatch
):
    started = []

    def start_locust_load(host, model, profile, **options):
        started.append((host, model, profile, options))
        return "the run"

    monkeypatch.setattr(
        "pytest_seldon_scaling.load.locust_driver.start_locust_load", start_locust_load
    )
    fake.put("services", service())
    cluster = make_cluster(kubectl_binary=fake_kubectl)
    profile = LoadProfile.parse("hold 5rps 10s")

    assert cluster.load("irisa0", profile) == "the run"
    assert cluster.load("irisb", profile) == "the run"

    (host, model, got_profile, options), second = started
    assert host.startswith("http://127.0.0.1:") and second[0] == host  # one forward, reused
    assert (model, got_profile) == ("irisa0", profile)
    assert options["timeline"] is cluster.timeline and options["clock"] == cluster.now
    assert "locust" in str(options["artifacts_dir"])
    with urllib.request.urlopen(host + "/", timeout=5) as answer:
        assert answer.status == 200


def test_load_uses_the_load_balancer_address_when_there_is_one(fake, make_cluster, monkeypatch):
    monkeypatch.setattr(
        "pytest_seldon_scaling.load.locust_driver.start_locust_load",
        lambda host, model, profile, **options: host,
    )
    fake.put("services", service("LoadBalancer", [{"ip": "10.0.0.7"}]))
    assert make_cluster().load("irisa0", LoadProfile.parse("hold 1rps 1s")) == "http://10.0.0.7:80"


def test_load_without_kubectl_or_load_balancer_says_what_is_missing(fake, make_cluster):
    fake.put("services", service())
    with pytest.raises(ClusterError, match="no LoadBalancer address and no kubectl"):
        make_cluster().load("irisa0", LoadProfile.parse("hold 1rps 1s"))
