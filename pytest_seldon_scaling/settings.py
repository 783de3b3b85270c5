"""The run's settings, resolved from command-line options, ini keys and the environment.

Every option is ``--seldon-<name>`` with an ini key ``seldon_<name>`` (command line wins). Bad
values stop the run before collection with one message that names the option and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .load.profile import ProfileError, parse_duration
from .load.trace import Trace, load_trace
from .versions import core_minor

CLUSTER_MODES = ("twin", "kind", "existing")
SUPPORTED_CORE_VERSIONS = ("2.9", "2.10")


@dataclass(frozen=True)
class Option:
    name: str  # without the --seldon- prefix
    help: str
    default: Any = None
    kind: str = "string"  # string | bool | paths
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option(
        "manifests",
        "files or directories of your Servers, Models, HPAs and adapter "
        "ConfigMap (repeatable; default: the suites' own fixtures)",
        kind="paths",
        metavar="PATH",
    ),
    Option(
        "core-version",
        "Seldon Core 2 version to model or expect (2.9 or 2.10)",
        "2.10",
        metavar="X.Y",
    ),
    Option("namespace", "namespace the Core 2 install and your objects live in", "seldon-mesh"),
    Option("kube-context", "kubeconfig context for --seldon-cluster=existing (default: current)"),
    Option("kubeconfig", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"),
    Option(
        "keep-cluster", "keep the cluster and the test objects for debugging", False, kind="bool"
    ),
    Option(
        "report", "write the conformance report (report.json, report.html) into DIR", metavar="DIR"
    ),
    Option("seed", "seed of the twin's and load generators' randomness", "0", metavar="N"),
    Option(
        "peak-rps",
        "peak requests per second of the suites' ramps (default: each HPA's "
        "capacity, maxReplicas × averageValue)",
        metavar="RPS",
    ),
    Option("ramp", "duration of the suites' ramps up and down", "2m", metavar="DURATION"),
    Option("hold", "duration the suites hold the peak", "3m", metavar="DURATION"),
    Option(
        "traffic",
        "replay real traffic instead of the suites' ramps: a .csv, a Prometheus "
        "query_range .json or URL, scaled with #rate=,time=,duration= (peak: as --seldon-peak-rps)",
        metavar="TRACE",
    ),
    Option(
        "max-error-rate",
        "SLO: highest share of failed requests a scenario may show",
        "0",
        metavar="FRACTION",
    ),
    Option(
        "convergence-time",
        "SLO: time replicas may take to reach what the HPA predicts",
        "3m",
        metavar="DURATION",
    ),
    Option(
        "server-autoscaling",
        "Core 2 native server autoscaling on (helm autoscaling.autoscalingServerEnabled)",
        "true",
        metavar="true|false",
    ),
    Option(
        "packing",
        "server packing on (helm autoscaling.serverPackingEnabled)",
        "false",
        metavar="true|false",
    ),
    Option(
        "packing-percentage",
        "packing probability 0..1 (helm autoscaling.serverPackingPercentage)",
        "1.0",
        metavar="P",
    ),
    Option(
        "model-autoscaling",
        "Core 2 lag-based model autoscaling (helm "
        "autoscaling.autoscalingModelEnabled; works on 2.9 only)",
        "false",
        metavar="true|false",
    ),
    Option("cluster-name", "kind cluster name to create or reuse (default: unique per run)"),
    Option("kind-binary", "kind executable (default: kind on PATH)", metavar="PATH"),
    Option("kubectl-binary", "kubectl executable (default: kubectl on PATH)", metavar="PATH"),
    Option("helm-binary", "helm executable (default: helm on PATH)", metavar="PATH"),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("seldon", "Seldon Core 2 autoscaling (pytest-seldon-scaling)")
    group.addoption(
        "--seldon-cluster",
        nargs="?",
        const="",
        default=None,
        metavar="twin|kind|existing",
        help="run the Seldon checks on a cluster: the embedded twin (default, no Docker), a "
        "fresh kind cluster, or an existing one from your kubeconfig; a bare flag uses the "
        "ini key seldon_cluster",
    )
    parser.addini("seldon_cluster", "cluster used by a bare --seldon-cluster", default="twin")
    for option in OPTIONS:
        flag, ini = f"--seldon-{option.name}", f"seldon_{option.name.replace('-', '_')}"
        if option.kind == "bool":
            group.addoption(flag, action="store_true", default=None, help=option.help)
            parser.addini(ini, option.help, type="bool", default=option.default)
        elif option.kind == "paths":
            group.addoption(
                flag, action="append", default=None, metavar=option.metavar, help=option.help
            )
            parser.addini(ini, option.help, type="paths", default=[])
        else:
            group.addoption(flag, default=None, metavar=option.metavar, help=option.help)
            parser.addini(ini, option.help, default=option.default)


@dataclass(frozen=True)
class SeldonSettings:
    """Everything the fixtures, suites and report need to know about the run."""

    cluster: str | None  # None: no --seldon-cluster, tests needing a cluster are skipped
    manifests: tuple[Path, ...]
    core_version: str
    namespace: str
    kube_context: str | None
    kubeconfig: str | None
    keep_cluster: bool
    report_dir: Path | None
    seed: int
    peak_rps: float | None
    ramp: float
    hold: float
    max_error_rate: float
    convergence_time: float
    server_autoscaling: bool
    packing: bool
    packing_percentage: float
    model_autoscaling: bool
    cluster_name: str | None
    kind_binary: str | None
    kubectl_binary: str | None
    helm_binary: str | None
    core_release: str | None = None  # a patch release the user asked for, e.g. "2.10.1"
    traffic: Trace | None = None  # --seldon-traffic: replayed instead of the synthetic ramps

    @property
    def enabled(self) -> bool:
        return self.cluster is not None

    def helm_settings(self) -> dict[str, Any]:
        """The Core 2 autoscaling values, as the setup chart names them."""
        values: dict[str, Any] = {
            "autoscaling.autoscalingServerEnabled": self.server_autoscaling,
            "autoscaling.autoscalingModelEnabled": self.model_autoscaling,
            "autoscaling.serverPackingEnabled": self.packing,
            "autoscaling.serverPackingPercentage": self.packing_percentage,
        }
        if self.core_release:
            values["chart_version"] = self.core_release
        return values


def normalize_core_version(value: str) -> str:
    """``"2.10.2"`` / ``"v2.10"`` -> ``"2.10"``; unsupported versions are a usage error."""
    return core_minor(value, SUPPORTED_CORE_VERSIONS)


def resolve(config: pytest.Config) -> SeldonSettings:
    """Read and check every ``--seldon-*`` option; ``pytest.UsageError`` names a bad one."""
    errors: list[str] = []

    def raw(name: str) -> Any:
        value = config.getoption(f"--seldon-{name}")
        if value is None:
            value = config.getini(f"seldon_{name.replace('-', '_')}")
        return value

    def convert(name: str, parse: Callable[[Any], Any], fallback: Any) -> Any:
        value = raw(name)
        if value in (None, ""):
            return fallback
        try:
            return parse(value)
        except (ValueError, ProfileError) as error:
            errors.append(f"--seldon-{name}={value!r}: {error}")
            return fallback

    cluster = config.getoption("--seldon-cluster")
    if cluster == "":
        cluster = config.getini("seldon_cluster") or "twin"
    if cluster is not None and cluster not in CLUSTER_MODES:
        errors.append(f"--seldon-cluster={cluster!r}: expected one of {', '.join(CLUSTER_MODES)}")
    manifests = tuple(Path(p) for p in raw("manifests") or [])
    for path in manifests:
        if not path.exists():
            errors.append(f"--seldon-manifests={str(path)!r}: no such file or directory")
    settings = SeldonSettings(
        cluster=cluster,
        manifests=manifests,
        core_version=convert("core-version", normalize_core_version, "2.10"),
        namespace=convert("namespace", _dns_label, "seldon-mesh"),
        kube_context=raw("kube-context") or None,
        kubeconfig=raw("kubeconfig") or None,
        keep_cluster=bool(raw("keep-cluster")),
        report_dir=convert("report", Path, None),
        seed=convert("seed", int, 0),
        peak_rps=convert("peak-rps", _positive, None),
        ramp=convert("ramp", _positive_duration, 120.0),
        hold=convert("hold", parse_duration, 180.0),
        max_error_rate=convert("max-error-rate", _fraction, 0.0),
        convergence_time=convert("convergence-time", _positive_duration, 180.0),
        server_autoscaling=convert("server-autoscaling", _boolean, True),
        packing=convert("packing", _boolean, False),
        packing_percentage=convert("packing-percentage", _probability, 1.0),
        model_autoscaling=convert("model-autoscaling", _boolean, False),
        cluster_name=convert("cluster-name", _dns_label, None),
        kind_binary=raw("kind-binary") or None,
        kubectl_binary=raw("kubectl-binary") or None,
        helm_binary=raw("helm-binary") or None,
        core_release=_patch_release(str(raw("core-version") or "")),
        traffic=convert("traffic", load_trace, None),
    )
    if errors:
        raise pytest.UsageError("pytest-seldon-scaling: " + "\n  ".join(["bad option:", *errors]))
    return settings


def _patch_release(value: str) -> str | None:
    match = re.fullmatch(r"v?(\d+\.\d+\.\d+)", value.strip())
    return match[1] if match else None


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a number > 0")
    return number


def _positive_duration(value: str) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be a duration > 0 (e.g. 90s, 2m)")
    return seconds


def _fraction(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError("must be a fraction between 0 and 1 (e.g. 0.01 for 1 %)")
    return number


def _probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError("is a probability between 0 and 1 (Core 2 uses it as one; 25 % is 0.25)")
    return number


def _boolean(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("must be a DNS label (lower case letters, digits and '-', ≤ 63)")
    return value
