"""kind lifecycle through pytest-kind's KindCluster, driven against a stand-in ``kind`` binary."""

from __future__ import annotations

import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube.kind import DEFAULT_CONFIG, ensure_kind_cluster

FAKE_KIND = textwrap.dedent(
    """\
    #!{python}
    # Stands in for kind: keeps cluster names in a state file, records every call.
    import json, sys, pathlib
    state = pathlib.Path({state!r})
    data = json.loads(state.read_text()) if state.exists() else {{"clusters": [], "calls": []}}
    args = sys.argv[1:]
    data["calls"].append(args)
    opts = dict(a.split("=", 1) for a in args if a.startswith("--") and "=" in a)
    kubeconfig = '''apiVersion: v1
    kind: Config
    clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:6443"}}}}]
    users: [{{name: u, user: {{token: t}}}}]
    contexts: [{{name: kind-x, context: {{cluster: c, user: u}}}}]
    current-context: kind-x
    '''
    if args[:2] == ["get", "clusters"]:
        print("\\n".join(data["clusters"]))
    elif args[:2] == ["create", "cluster"]:
        if {fail_create}:
            sys.exit("ERROR: failed to create cluster: docker not running")
        data["clusters"].append(opts["--name"])
        pathlib.Path(opts["--kubeconfig"]).write_text(kubeconfig)
    elif args[:2] == ["export", "kubeconfig"]:
        pathlib.Path(opts["--kubeconfig"]).write_text(kubeconfig)
    elif args[:2] == ["delete", "cluster"]:
        data["clusters"].remove(opts["--name"])
    state.write_text(json.dumps(data))
    """
)


@pytest.fixture
def fake_kind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # KindCluster keeps its files under ./.pytest-kind/<name>
    state = tmp_path / "kind-state.json"

    def make(existing=(), fail_create=False):
        state.write_text(json.dumps({"clusters": list(existing), "calls": []}))
        kind = tmp_path / "kind"
        kind.write_text(
            FAKE_KIND.format(python=sys.executable, state=str(state), fail_create=fail_create)
        )
        kind.chmod(kind.stat().st_mode | stat.S_IEXEC)
        return str(kind)

    def calls():
        return json.loads(state.read_text())["calls"]

    make.calls = calls
    return make


def test_a_missing_cluster_is_created_with_our_config_and_deleted_at_the_end(fake_kind):
    kind = fake_kind()
    handle = ensure_kind_cluster("seldon-scaling-gw0", kind_binary=kind, kubectl_binary="/k")

    assert handle.created and handle.cluster.kind_path.as_posix() == kind  # never downloads
    assert handle.cluster.kubectl_path.as_posix() == "/k"
    create = next(c for c in fake_kind.calls() if c[:2] == ["create", "cluster"])
    assert "--name=seldon-scaling-gw0" in create
    assert create[create.index("--config") + 1] == str(DEFAULT_CONFIG)

    handle.release()
    assert fake_kind.calls()[-1][:3] == ["delete", "cluster", "--name=seldon-scaling-gw0"]


def test_an_existing_cluster_is_reused_and_never_deleted(fake_kind):
    kind = fake_kind(existing=["mine"])
    handle = ensure_kind_cluster("mine", kind_binary=kind, kubectl_binary="/k")
    handle.release()

    verbs = [c[:2] for c in fake_kind.calls()]
    assert verbs == [["get", "clusters"], ["export", "kubeconfig"]]
    assert not handle.created
    assert "current-context: kind-x" in Path(handle.kubeconfig).read_text()


def test_keep_leaves_a_created_cluster_in_place(fake_kind):
    kind = fake_kind()
    ensure_kind_cluster("kept", kind_binary=kind, kubectl_binary="/k", keep=True).release()
    assert ["delete", "cluster"] not in [c[:2] for c in fake_kind.calls()]


def test_a_failed_create_is_a_cluster_error_naming_the_cluster(fake_kind):
    kind = fake_kind(fail_create=True)
    with pytest.raises(ClusterError, match="kind create cluster --name=broken"):
        ensure_kind_cluster("broken", kind_binary=kind, kubectl_binary="/k")


def test_kind_mode_creates_installs_waits_and_hands_back_a_cluster(
    fake_kind, fake, tmp_path, monkeypatch
):
    """The whole kind path with stand-in binaries: the API server is the HTTP mock."""
    from pytest_seldon_scaling.kube import open_kube_cluster

    from .test_kube_preflight import DOCKER_UP, _install_core2, executable

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kind = fake_kind()
    # the stand-in kind writes a kubeconfig whose context kind-<name> points at the mock
    script = Path(kind).read_text().replace("https://127.0.0.1:6443", fake.url)
    Path(kind).write_text(script.replace("kind-x", "kind-ci"))
    executable(bin_dir, "docker", DOCKER_UP)
    helm_calls = tmp_path / "helm-calls.txt"
    executable(bin_dir, "helm", f'#!/bin/sh\necho "$KUBECONFIG $*" >> {helm_calls}\n')
    executable(bin_dir, "kubectl")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    _install_core2(fake)
    fake.put(
        "servers",
        {
            "metadata": {"name": "mlserver"},
            "spec": {"serverConfig": "mlserver"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
    )
    fake.custom_metrics = []

    cluster = open_kube_cluster(
        "kind",
        cluster_name="ci",
        kind_binary=kind,
        report_dir=tmp_path / "report",
        helm_settings={"autoscaling.serverPackingEnabled": True},
        ready_timeout=10,
    )
    try:
        assert (cluster.backend, cluster.namespace) == ("kind", "seldon-mesh")
        assert cluster.preflight.ok, cluster.preflight.missing
        calls = helm_calls.read_text().splitlines()
        kubeconfig = tmp_path / ".pytest-kind" / "ci" / "kubeconfig"
        assert calls and all(c.startswith(f"{kubeconfig} ") for c in calls)
        setup = next(c for c in calls if "seldon-core-v2-setup" in c)
        assert "autoscaling.serverPackingEnabled=true" in setup
        assert (tmp_path / "report" / "install" / "prometheus-adapter.values.yaml").is_file()
        assert ["create", "cluster"] in [c[:2] for c in fake_kind.calls()]
    finally:
        cluster.close()
    assert fake_kind.calls()[-1][:3] == ["delete", "cluster", "--name=ci"]
