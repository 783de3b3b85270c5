"""Preflight: named checks and skips (never crashes) when tools or cluster pieces are missing."""

from __future__ import annotations

import stat
import textwrap

import pytest

from pytest_seldon_scaling.kube import PreflightFailed, open_kube_cluster
from pytest_seldon_scaling.kube.preflight import (
    INFER_RPS_CHECK,
    Check,
    PreflightReport,
    cluster_checks,
    tool_checks,
)
from pytest_seldon_scaling.serve import ServedTwin

from .conftest import api_for
from .fakeapi import kubeconfig_for


def executable(folder, name: str, script: str = "#!/bin/sh\nexit 0\n") -> str:
    path = folder / name
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


DOCKER_DOWN = textwrap.dedent("""\
    #!/bin/sh
    echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2
    exit 1
""")
DOCKER_UP = "#!/bin/sh\necho 27.3.1\n"


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_every_tool_missing_is_named_with_how_to_fix_it(bin_dir):
    checks = by_name(tool_checks())

    assert not any(c.ok for c in checks.values())
    assert checks["docker"].reason == "docker not found on PATH (kind runs in Docker)"
    assert checks["kind"].reason == "kind not on PATH; install it or pass --seldon-kind-binary"
    assert "--seldon-helm-binary" in checks["helm"].reason


def test_a_docker_client_without_an_engine_is_missing(bin_dir):
    executable(bin_dir, "docker", DOCKER_DOWN)
    docker = by_name(tool_checks())["docker"]
    assert not docker.ok
    assert "the Docker engine does not answer" in docker.reason
    assert "Cannot connect to the Docker daemon" in docker.reason


def test_all_tools_present(bin_dir):
    executable(bin_dir, "docker", DOCKER_UP)
    for tool in ("kind", "kubectl", "helm"):
        executable(bin_dir, tool)
    checks = by_name(tool_checks())
    assert all(c.ok for c in checks.values())
    assert checks["docker"].reason == "engine 27.3.1"
    assert checks["kind"].reason == str(bin_dir / "kind")


def test_an_explicit_binary_option_wins_over_path(bin_dir, tmp_path):
    elsewhere = tmp_path / "tools"
    elsewhere.mkdir()
    kind = executable(elsewhere, "kind-v0.24.0")
    assert by_name(tool_checks(kind_binary=kind))["kind"] == Check("kind", True, kind)
    missing = by_name(tool_checks(kind_binary=str(elsewhere / "nope")))["kind"]
    assert not missing.ok and "is not an executable" in missing.reason


def test_kind_mode_without_tools_raises_preflight_failed_not_a_crash(bin_dir):
    with pytest.raises(PreflightFailed) as failed:
        open_kube_cluster("kind", report_dir=None)
    assert [r.split(":")[0] for r in failed.value.reasons] == ["docker", "kind", "kubectl", "helm"]


def test_existing_mode_with_an_unreadable_kubeconfig(tmp_path):
    with pytest.raises(PreflightFailed, match=r"kubeconfig .*nothing\.yaml"):
        open_kube_cluster("existing", kubeconfig=str(tmp_path / "nothing.yaml"))


def _install_core2(fake, scheduler_ready: int = 1) -> None:
    fake.seldon_served = True
    fake.put("namespaces", {"metadata": {"name": "seldon-mesh"}})
    fake.put(
        "statefulsets",
        {"metadata": {"name": "seldon-scheduler"}, "status": {"readyReplicas": scheduler_ready}},
    )


def test_cluster_checks_name_each_missing_piece(fake, api):
    fake.seldon_served = False
    checks = by_name(cluster_checks(api))
    assert not checks["crd-models.mlops.seldon.io"].ok
    assert "seldon-core-v2-crds" in checks["crd-models.mlops.seldon.io"].reason
    assert "no statefulset seldon-scheduler in namespace seldon-mesh" in checks["scheduler"].reason
    assert "install prometheus-adapter" in checks[INFER_RPS_CHECK].reason

    _install_core2(fake, scheduler_ready=0)
    fake.custom_metrics = ["pods/cpu_usage"]
    checks = by_name(cluster_checks(api))
    assert checks["crd-models.mlops.seldon.io"].ok and checks["namespace"].ok
    assert checks["scheduler"].reason == "seldon-scheduler has no ready replica"
    assert "lists no infer_rps" in checks[INFER_RPS_CHECK].reason
    assert by_name(cluster_checks(api, require_series=False))[INFER_RPS_CHECK].ok

    fake.custom_metrics = ["models.mlops.seldon.io/infer_rps", "pods/infer_rps"]
    _install_core2(fake)
    assert all(c.ok for c in cluster_checks(api))


def test_an_unreachable_api_server_is_one_clear_check(served):
    served.api.inject("GET", "^/version$", 401)
    checks = cluster_checks(api_for(served))
    assert [c.name for c in checks] == ["api-server"]
    assert "401" in checks[0].reason


def test_core2_is_found_through_discovery_which_a_namespace_role_can_read(served):
    """CRDs are cluster-scoped: with only a namespace Role reading them answers 403, while
    /apis/mlops.seldon.io/v1alpha1 is open to every authenticated user (system:discovery,
    kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go)."""
    served.api.inject("GET", "customresourcedefinitions", *[403] * 10)
    checks = by_name(cluster_checks(api_for(served), hpa=False))
    assert all(
        checks[f"crd-{r}.mlops.seldon.io"].ok for r in ("models", "servers", "serverconfigs")
    )


def test_existing_mode_refuses_a_cluster_without_core2(fake, tmp_path):
    fake.seldon_served = False
    config = kubeconfig_for(fake.url, tmp_path / "kubeconfig")
    with pytest.raises(PreflightFailed) as failed:
        open_kube_cluster("existing", kubeconfig=config)
    reasons = "\n".join(failed.value.reasons)
    assert "crd-servers.mlops.seldon.io: missing" in reasons and "scheduler: missing" in reasons
    assert INFER_RPS_CHECK not in reasons  # only HPA suites need it: a skip, not a refusal


def test_existing_mode_opens_and_reports_what_hpa_suites_would_miss(tmp_path):
    with ServedTwin() as served:  # Core 2, but no adapter rule serving infer_rps
        config = str(served.write_kubeconfig(tmp_path / "kubeconfig", context="team"))
        cluster = open_kube_cluster(
            "existing", kubeconfig=config, kube_context="team", report_dir=tmp_path
        )
        _hpa_suites_would_miss(cluster)


def _hpa_suites_would_miss(cluster) -> None:
    try:
        assert (cluster.backend, cluster.namespace) == ("existing", "seldon-mesh")
        assert cluster.preflight.skip_reason("crd-models.mlops.seldon.io", "scheduler") is None
        reason = cluster.preflight.skip_reason(INFER_RPS_CHECK)
        assert reason.startswith("custom-metrics-infer_rps: missing (")
    finally:
        cluster.close()


def test_preflight_report_queries():
    report = PreflightReport([Check("a", True), Check("b", False, "why"), Check("c", False)])
    assert not report.ok and [c.name for c in report.missing] == ["b", "c"]
    assert report.skip_reason("a") is None
    assert report.skip_reason("b") == "b: missing (why)"
    assert report.skip_reason() == "b: missing (why); c: missing"


def test_keeping_the_cluster_does_not_keep_one_tests_objects_for_the_next(served, tmp_path):
    """--seldon-keep-cluster keeps the cluster; what a run created is removed at close."""
    config = str(served.write_kubeconfig(tmp_path / "kubeconfig"))
    cluster = open_kube_cluster("existing", kubeconfig=config, keep=True)
    cluster.apply(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: iris}\n"
        "spec: {storageUri: gs://x, requirements: [sklearn], replicas: 1}\n"
    )
    assert served.live.log.get(("models", "seldon-mesh", "iris")) is not None

    cluster.close()

    assert served.live.log.get(("models", "seldon-mesh", "iris")) is None
