"""``open_kube_cluster``: the one way the plugin gets a real-cluster backend."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Literal

from kubernetes import config as kube_config
from kubernetes.config.config_exception import ConfigException

from ..cluster import ClusterError
from .client import KubeApi, ObjectNotFound, RetryPolicy
from .cluster import KubeCluster
from .helm import (
    ADAPTER_DEPLOYMENT,
    HelmSettings,
    install_plan,
    run_install,
)
from .kind import ensure_kind_cluster, kind_cluster_name, kind_context
from .lease import SessionLease
from .objects import condition
from .preflight import (
    CUSTOM_METRICS,
    INFER_RPS_CHECK,
    RBAC_CHECK,
    Check,
    PreflightFailed,
    PreflightReport,
    cluster_checks,
    permission_checks,
    resolve_binary,
    scheduler_check,
    tool_checks,
)

DEFAULT_NAMESPACE = "seldon-mesh"
# checks without which no suite can run on a cluster (the HPA one only skips HPA suites)
ESSENTIAL = ("api-server", "namespace", "scheduler", RBAC_CHECK)


def open_kube_cluster(
    mode: Literal["kind", "existing"],
    *,
    namespace: str | None = None,
    kube_context: str | None = None,
    kubeconfig: str | None = None,
    keep: bool = False,
    core_version: str = "2.10",
    report_dir: str | Path | None = None,
    seed: int | None = None,
    helm_settings: dict[str, Any] | None = None,
    kind_binary: str | None = None,
    kubectl_binary: str | None = None,
    helm_binary: str | None = None,
    cluster_name: str | None = None,
    ready_timeout: float = 900.0,
    lock_timeout: float = 3600.0,
    request_timeout: float = 10.0,
) -> KubeCluster:
    """A :class:`KubeCluster` on a fresh/reused kind cluster or an existing cluster.

    ``keep`` keeps a kind cluster this run created; the objects the run creates are removed
    at close either way (keeping the cluster is not keeping one test's objects for the next).
    ``request_timeout``: the seconds Locust waits for each inference answer.

    Raises :class:`PreflightFailed` (reasons, one per missing piece) when it cannot be used.
    """
    report = Path(report_dir) if report_dir else None
    if mode == "existing":
        return _open_existing(
            namespace=namespace or DEFAULT_NAMESPACE,
            kube_context=kube_context,
            kubeconfig=kubeconfig,
            core_version=core_version,
            report_dir=report,
            seed=seed,
            kubectl=resolve_binary("kubectl", kubectl_binary),
            lock_timeout=lock_timeout,
            request_timeout=request_timeout,
        )
    if mode != "kind":
        raise ValueError(f"mode must be 'kind' or 'existing', not {mode!r}")
    tools = tool_checks(
        kind_binary=kind_binary, kubectl_binary=kubectl_binary, helm_binary=helm_binary
    )
    missing = [str(c) for c in tools if not c.ok]
    if missing:
        raise PreflightFailed(missing)
    found = {c.name: c.reason for c in tools}
    try:
        settings = HelmSettings.from_options(
            helm_settings, core_version=core_version, namespace=namespace
        )
    except ClusterError as error:
        raise PreflightFailed([f"helm settings: {error}"]) from None
    name = kind_cluster_name(cluster_name, os.environ.get("PYTEST_XDIST_WORKER"))
    handle = ensure_kind_cluster(
        name,
        kind_binary=found["kind"],
        kubectl_binary=found["kubectl"],
        kubeconfig=kubeconfig,
        keep=keep,
    )
    try:
        if settings.install:
            plan = install_plan(
                settings,
                (report or Path(handle.cluster.path)) / "install",
                helm=found["helm"],
                kubectl=found["kubectl"],
            )
            plan.write_files()
            run_install(plan.commands, kubeconfig=handle.kubeconfig, log=plan.log)
        api = KubeApi(
            kube_config.new_client_from_config(
                config_file=handle.kubeconfig, context=kind_context(name)
            ),
            settings.namespace,
            RetryPolicy(seed=seed),
        )
        wait_core2_ready(api, settings, ready_timeout)
        checks = cluster_checks(api, hpa=settings.monitoring, require_series=False)
        cluster = KubeCluster(
            api,
            backend="kind",
            core_version=core_version,
            report_dir=report,
            kubectl_binary=found["kubectl"],
            kubeconfig=handle.kubeconfig,
            kube_context=kind_context(name),
            preflight=PreflightReport(tools + checks),
            on_close=handle.release,
            adapter=(settings.monitoring_namespace, ADAPTER_DEPLOYMENT)
            if settings.monitoring
            else None,
            request_timeout=request_timeout,
        )
    except BaseException:
        handle.release()
        raise
    try:
        cluster.remove_leftovers()  # a reused cluster may hold a killed run's objects
    except BaseException:
        cluster.close()  # releases the kind cluster too
        raise
    return cluster


def _open_existing(
    *,
    namespace: str,
    kube_context: str | None,
    kubeconfig: str | None,
    core_version: str,
    report_dir: Path | None,
    seed: int | None,
    kubectl: str | None,
    request_timeout: float,
    lock_timeout: float,
) -> KubeCluster:
    try:
        client = kube_config.new_client_from_config(config_file=kubeconfig, context=kube_context)
    except (ConfigException, OSError, TypeError) as error:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        context = f" context {kube_context!r}" if kube_context else ""
        raise PreflightFailed([f"kubeconfig {where}{context}: {error}"]) from None
    api = KubeApi(client, namespace, RetryPolicy(seed=seed))
    checks = cluster_checks(api, hpa=True, require_series=True) + permission_checks(api)
    failed = [
        str(c) for c in checks if not c.ok and (c.name in ESSENTIAL or c.name.startswith("crd-"))
    ]
    if failed:
        api.close()
        raise PreflightFailed(failed)
    # sessions sharing this namespace (xdist workers, other CI jobs) take turns
    lease = SessionLease(api)
    try:
        lease.acquire(lock_timeout)
    except ClusterError:
        api.close()
        raise
    kubectl_check = (
        Check("kubectl", True, kubectl)
        if kubectl
        else Check("kubectl", False, "not on PATH: load() needs a LoadBalancer on seldon-mesh")
    )
    cluster = KubeCluster(
        api,
        backend="existing",
        core_version=core_version,
        report_dir=report_dir,
        kubectl_binary=kubectl,
        kubeconfig=kubeconfig,
        kube_context=kube_context,
        preflight=PreflightReport([*checks, kubectl_check]),
        on_close=lease.release,
        request_timeout=request_timeout,
    )
    try:
        cluster.remove_leftovers()  # only now: the lease says no other run is using the namespace
    except BaseException:
        cluster.close()
        raise
    return cluster


def wait_core2_ready(api: KubeApi, settings: HelmSettings, timeout: float) -> None:
    """Until the scheduler is ready, each running Server is Ready and (with monitoring) the
    custom metrics API answers; the timeout error lists what was still not ready."""
    deadline = time.monotonic() + timeout
    pending: list[str] = []
    while True:
        pending = [str(c) for c in _readiness(api, settings) if not c.ok]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise ClusterError(f"Core 2 not ready after {timeout:.0f}s:\n  " + "\n  ".join(pending))
        time.sleep(5)


def _readiness(api: KubeApi, settings: HelmSettings) -> list[Check]:
    checks = [scheduler_check(api)]
    for server in settings.servers:
        try:
            obj = api.get("mlops.seldon.io/v1alpha1", "Server", server)
        except ObjectNotFound:
            checks.append(Check(f"server-{server}", False, "not created yet"))
            continue
        except ClusterError as error:
            checks.append(Check(f"server-{server}", False, str(error)))
            continue
        ready = condition(obj, "Ready")
        checks.append(
            Check(
                f"server-{server}",
                ready is not None and ready[0] == "True",
                "Ready" if ready is None else f"Ready={ready[0]} {ready[1] or ready[2]}",
            )
        )
    if settings.monitoring:
        try:
            api.get_json(CUSTOM_METRICS, "reading the custom metrics API")
            checks.append(Check(INFER_RPS_CHECK, True))
        except ClusterError as error:
            checks.append(Check(INFER_RPS_CHECK, False, str(error)))
    return checks
