"""Preflight: can this machine / cluster run the suites? Named checks, each ok or missing with why.

The plugin turns a failed check into a skip with its reason (never a crash): tools for kind
mode (docker with a running engine, kind, kubectl, helm), and for a cluster the Core 2 kinds,
the scheduler, (for HPA suites) the custom metrics API serving ``infer_rps`` and, on an
existing cluster, every permission the run needs (SelfSubjectAccessReview, as
``kubectl auth can-i``), all missing ones named in one message.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..cluster import ClusterError
from .client import KubeApi, ObjectNotFound

SELDON_GROUP_VERSION = "mlops.seldon.io/v1alpha1"
# resources of that group the suites use; their CRDs are installed by seldon-core-v2-crds
CORE2_RESOURCES = ("models", "servers", "serverconfigs")
SCHEDULER = "seldon-scheduler"
CUSTOM_METRICS = "/apis/custom.metrics.k8s.io/v1beta1"
INFER_RPS_CHECK = "custom-metrics-infer_rps"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'missing'}" + (
            f" ({self.reason})" if self.reason else ""
        )


@dataclass(frozen=True)
class PreflightReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def missing(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def skip_reason(self, *names: str) -> str | None:
        """Why a test needing the named checks must be skipped; None when all passed."""
        failed = [c for c in self.missing if not names or c.name in names]
        return "; ".join(str(c) for c in failed) or None


class PreflightFailed(Exception):
    """The cluster cannot be used; ``reasons`` says why, one line per missing piece."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


RBAC_CHECK = "rbac"
RBAC_CLUSTER_CHECK = "rbac-cluster-reads"
RBAC_UNCHECKED = "rbac-not-checked"


@dataclass(frozen=True)
class Permission:
    """Verbs on one resource (``group``, ``resource[/subresource]``) a run needs."""

    group: str
    resource: str
    verbs: tuple[str, ...]
    why: str

    def split(self) -> tuple[str, str]:
        resource, _, sub = self.resource.partition("/")
        return resource, sub


_OBJECT_VERBS = ("get", "list", "watch", "create", "patch", "delete")
# What a run does in the Core 2 namespace; defaults/rbac/role.yaml grants exactly this.
NAMESPACE_PERMISSIONS = (
    Permission("mlops.seldon.io", "models", _OBJECT_VERBS, "apply, watch and remove Models"),
    Permission("mlops.seldon.io", "servers", _OBJECT_VERBS, "apply, watch and remove Servers"),
    Permission(
        "mlops.seldon.io", "serverconfigs", ("get", "list", "create", "patch", "delete"), ""
    ),
    Permission("mlops.seldon.io", "models/scale", ("get", "patch"), "read and set Model replicas"),
    Permission(
        "mlops.seldon.io", "servers/scale", ("get", "patch"), "read and set Server replicas"
    ),
    Permission("autoscaling", "horizontalpodautoscalers", _OBJECT_VERBS, "apply and watch HPAs"),
    Permission("", "configmaps", ("get", "list", "create", "patch", "delete"), "ConfigMaps"),
    Permission("", "pods", ("get", "list"), "find Server pods"),
    Permission("", "pods/proxy", ("get",), "read each agent's metrics (placement)"),
    Permission("", "pods/log", ("get",), "log tails for failure artifacts"),
    Permission("", "pods/portforward", ("create",), "kubectl port-forward to svc/seldon-mesh"),
    Permission("", "services", ("get",), "find svc/seldon-mesh"),
    Permission("", "events", ("get", "list", "watch"), "ScheduleFailed and HPA events"),
    Permission("apps", "statefulsets", ("get",), "the scheduler's readiness"),
    Permission(
        "coordination.k8s.io", "leases", ("get", "create", "update", "delete"), "take turns"
    ),
    Permission("", "namespaces", ("get",), "the namespace exists"),
)
# Cluster-wide and optional: without them the node capacity check is skipped.
CLUSTER_PERMISSIONS = (
    Permission("", "nodes", ("list",), "nodes' allocatable memory"),
    Permission("", "pods", ("list",), "memory other pods request"),
)


def missing_permissions(
    can_i: Callable[[str, str, str, str, str], bool],
    permissions: Sequence[Permission],
    namespace: str,
) -> list[str]:
    """``"verb resource in namespace"`` for each verb ``can_i`` denies."""
    missing = []
    for permission in permissions:
        resource, sub = permission.split()
        for verb in permission.verbs:
            if not can_i(verb, permission.group, resource, sub, namespace):
                group = f".{permission.group}" if permission.group else ""
                where = f" in {namespace}" if namespace else " cluster-wide"
                missing.append(f"{verb} {resource}{group}{'/' + sub if sub else ''}{where}")
    return missing


def permission_checks(api: KubeApi) -> list[Check]:
    """Each permission a run needs, asked with SelfSubjectAccessReviews: one check naming
    every missing verb and resource (essential), one for the optional cluster-wide reads.

    Reading the adapter's ConfigMap in its own namespace is checked when the manifests'
    adapter ConfigMap is applied (its namespace is known only then).
    """
    try:
        needed = missing_permissions(api.can_i, NAMESPACE_PERMISSIONS, api.namespace)
        optional = missing_permissions(api.can_i, CLUSTER_PERMISSIONS, "")
    except ObjectNotFound as error:
        # an API server without authorization.k8s.io (a stand-in such as a served twin):
        # nothing was learnt either way, and the run's own requests will say what fails
        return [Check(RBAC_UNCHECKED, False, f"permissions not checked: {error}")]
    except ClusterError as error:
        return [Check(RBAC_CHECK, False, str(error))]
    grant = "grant them with pytest_seldon_scaling/defaults/rbac/role.yaml (README: Real clusters)"
    needed_reason = f"not allowed: {', '.join(needed)}; {grant}" if needed else ""
    optional_reason = (
        f"not allowed: {', '.join(optional)} (node capacity is not checked)" if optional else ""
    )
    return [
        Check(RBAC_CHECK, not needed, needed_reason),
        Check(RBAC_CLUSTER_CHECK, not optional, optional_reason),
    ]


Runner = Callable[[list[str]], subprocess.CompletedProcess]


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def resolve_binary(
    name: str, explicit: str | None, which: Callable[[str], str | None] = shutil.which
) -> str | None:
    """The named binary (an option value, found on PATH if not a path) or ``name`` on PATH."""
    return which(explicit) if explicit else which(name)


def tool_checks(
    *,
    kind_binary: str | None = None,
    kubectl_binary: str | None = None,
    helm_binary: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = _run,
) -> list[Check]:
    """What kind mode needs on this machine; ``docker info`` proves the engine answers."""
    checks = []
    docker = which("docker")
    if docker is None:
        checks.append(Check("docker", False, "docker not found on PATH (kind runs in Docker)"))
    else:
        try:
            answer = run([docker, "info", "--format", "{{.ServerVersion}}"])
        except (OSError, subprocess.TimeoutExpired) as error:
            checks.append(Check("docker", False, f"`docker info` failed: {error}"))
        else:
            if answer.returncode == 0:
                checks.append(Check("docker", True, f"engine {answer.stdout.strip()}"))
            else:
                said = (answer.stderr or answer.stdout).strip().splitlines()
                checks.append(
                    Check(
                        "docker",
                        False,
                        "the Docker engine does not answer (`docker info`: "
                        f"{said[-1] if said else 'exit ' + str(answer.returncode)})",
                    )
                )
    for tool, explicit, option in (
        ("kind", kind_binary, "--seldon-kind-binary"),
        ("kubectl", kubectl_binary, "--seldon-kubectl-binary"),
        ("helm", helm_binary, "--seldon-helm-binary"),
    ):
        found = resolve_binary(tool, explicit, which)
        if found:
            checks.append(Check(tool, True, found))
        else:
            where = f"{explicit!r} is not an executable" if explicit else f"{tool} not on PATH"
            checks.append(Check(tool, False, f"{where}; install it or pass {option}"))
    return checks


def cluster_checks(api: KubeApi, *, hpa: bool = True, require_series: bool = True) -> list[Check]:
    """The Core 2 CRDs, the namespace, the scheduler and (``hpa``) ``infer_rps`` served.

    ``require_series=False`` accepts a custom metrics API that answers but lists no
    ``infer_rps`` yet: right after our own install, where the rule is known to be there.
    """
    checks = []
    try:
        api.get_json("/version", "reading the API server version")
    except ClusterError as error:
        return [Check("api-server", False, str(error))]
    checks.append(Check("api-server", True))
    checks += core2_resource_checks(api)
    ns = api.namespace
    try:
        api.get_json(f"/api/v1/namespaces/{ns}", f"reading namespace {ns}")
        checks.append(Check("namespace", True, ns))
    except ClusterError as error:
        checks.append(Check("namespace", False, str(error)))
    checks.append(scheduler_check(api))
    if hpa:
        checks.append(_infer_rps_check(api, require_series))
    return checks


def core2_resource_checks(api: KubeApi) -> list[Check]:
    """Are Core 2's kinds served? Read from discovery, not the CRDs.

    CRDs are cluster-scoped (a namespace Role cannot grant reading them); discovery
    (``/apis/<group>/<version>``) is readable by every authenticated user through the
    ``system:discovery`` ClusterRole (kubernetes/kubernetes
    plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go).
    """
    path = f"/apis/{SELDON_GROUP_VERSION}"
    try:
        listing = api.get_json(path, f"discovering {SELDON_GROUP_VERSION}")
    except ObjectNotFound:
        listing = {}
    except ClusterError as error:
        return [Check(f"crd-{name}.mlops.seldon.io", False, str(error)) for name in CORE2_RESOURCES]
    served = {r.get("name") for r in listing.get("resources") or []}
    return [
        Check(f"crd-{name}.mlops.seldon.io", True)
        if name in served
        else Check(
            f"crd-{name}.mlops.seldon.io",
            False,
            f"{SELDON_GROUP_VERSION} does not serve {name}: install the helm chart "
            "seldon-core-v2-crds",
        )
        for name in CORE2_RESOURCES
    ]


def scheduler_check(api: KubeApi) -> Check:
    path = f"/apis/apps/v1/namespaces/{api.namespace}/statefulsets/{SCHEDULER}"
    try:
        scheduler = api.get_json(path, f"reading statefulset {SCHEDULER}")
    except ObjectNotFound:
        return Check(
            "scheduler",
            False,
            f"no statefulset {SCHEDULER} in namespace {api.namespace} "
            "(helm chart seldon-core-v2-runtime installs it)",
        )
    except ClusterError as error:
        return Check("scheduler", False, str(error))
    ready = (scheduler.get("status") or {}).get("readyReplicas") or 0
    if ready < 1:
        return Check("scheduler", False, f"{SCHEDULER} has no ready replica")
    return Check("scheduler", True, f"{ready} ready")


def _infer_rps_check(api: KubeApi, require_series: bool) -> Check:
    try:
        listing = api.get_json(CUSTOM_METRICS, "reading the custom metrics API")
    except ObjectNotFound:
        return Check(
            INFER_RPS_CHECK,
            False,
            f"{CUSTOM_METRICS} is not served: install prometheus-adapter (HPA suites need it)",
        )
    except ClusterError as error:
        return Check(INFER_RPS_CHECK, False, str(error))
    names = {r.get("name", "") for r in listing.get("resources") or []}
    if any(n.endswith("/infer_rps") for n in names):
        return Check(INFER_RPS_CHECK, True)
    if not require_series:
        return Check(INFER_RPS_CHECK, True, "served; infer_rps is listed once a model has traffic")
    return Check(
        INFER_RPS_CHECK,
        False,
        "custom.metrics.k8s.io lists no infer_rps: the prometheus-adapter rule for "
        "seldon_model_infer_total is missing, or Prometheus holds no such series yet "
        "(the adapter lists a metric once one inference has been scraped)",
    )
