"""The run's settings, resolved from command-line options, ini keys and the environment.

The options themselves are registered by :mod:`.options`. Every option is ``--seldon-<name>``
with an ini key ``seldon_<name>`` (command line wins). Bad
values stop the run before collection with one message that names the option and the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .options import CLUSTER_MODES
from .versions import LAG_AUTOSCALING_DISABLED, core_minor, parse_core_version

if TYPE_CHECKING:
    from .load.trace import Trace
    from .service_profile import ServiceProfile

SUPPORTED_CORE_VERSIONS = ("2.9", "2.10")

# TwinSettings fields (twin/settings.py) that are the run's options under another name: a
# @pytest.mark.seldon(twin={...}) that sets one changes what that test's settings say.
TWIN_FIELDS_AS_SETTINGS = {
    "server_autoscaling_enabled": "server_autoscaling",
    "server_packing_enabled": "packing",
    "server_packing_percentage": "packing_percentage",
    "model_autoscaling_enabled": "model_autoscaling",
    "request_timeout_seconds": "request_timeout",
}

# pytest-kind (a dependency of the [kind] extra) is a pytest plugin of its own, so its options are
# offered in every run. Those that mean the same as ours are honoured as aliases of ours; the
# rest stop a Seldon run rather than do nothing (pytest-kind 22.11, pytest_kind/plugin.py).
PYTEST_KIND_ALIASES = {
    "--cluster-name": "cluster-name",
    "--keep-cluster": "keep-cluster",
    "--kubeconfig": "kubeconfig",
    "--kind-bin": "kind-binary",
    "--kind-kubectl-bin": "kubectl-binary",
}
PYTEST_KIND_UNSUPPORTED = {
    "--kind-image": "the node image comes from the kind config this package ships "
    "(pytest_seldon_scaling/defaults/kind/kind-config.yaml)",
}


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
    request_timeout: float
    max_p99_ms: float
    server_autoscaling: bool
    packing: bool
    packing_percentage: float
    model_autoscaling: bool
    cluster_name: str | None
    allow_skip: bool
    kind_binary: str | None
    kubectl_binary: str | None
    helm_binary: str | None
    core_release: str | None = None  # a patch release the user asked for, e.g. "2.10.1"
    traffic: Trace | None = None  # --seldon-traffic: replayed instead of the synthetic ramps
    # --seldon-service-profile: how the twin serves the Models (plugin.SeldonRun picks per Model)
    service_profiles: tuple[ServiceProfile, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.cluster is not None

    def warnings(self) -> list[str]:
        """What this run asks for that its Core 2 version will not do (terminal and report)."""
        warnings = []
        if self.model_autoscaling and parse_core_version(self.core_version) >= (2, 10):
            warnings.append(
                f"--seldon-model-autoscaling=true does nothing on Core {self.core_version}: "
                f"{LAG_AUTOSCALING_DISABLED}; no Model scales on inference lag (check it with "
                "--seldon-core-version=2.9, or scale Models with an HPA)"
            )
        if self.service_profiles and self.cluster in ("kind", "existing"):
            warnings.append(
                f"--seldon-service-profile shapes the twin only: on --seldon-cluster="
                f"{self.cluster} the model servers serve as they do"
            )
        return warnings

    def marked(
        self,
        *,
        core_version: str | None = None,
        seed: int | None = None,
        twin: dict | None = None,
    ) -> SeldonSettings:
        """These settings as one test's ``@pytest.mark.seldon(...)`` changes them.

        ``twin`` fields only apply on the twin: a kind or existing cluster runs with the helm
        values it was installed with, whatever one test asks.
        """
        changes: dict[str, Any] = {}
        if core_version:
            changes["core_version"] = normalize_core_version(str(core_version))
        if seed is not None:
            changes["seed"] = seed
        if self.cluster == "twin":
            for field, name in TWIN_FIELDS_AS_SETTINGS.items():
                if field in (twin or {}):
                    changes[name] = twin[field]  # type: ignore[index]
        return replace(self, **changes)

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
    from .load.profile import ProfileError
    from .load.trace import load_trace

    errors: list[str] = []
    aliases = _pytest_kind_options(config, errors)

    def raw(name: str) -> Any:
        value = config.getoption(f"--seldon-{name}")
        alias = aliases.get(name)
        if value is not None and alias is not None and alias[1] != value:
            errors.append(f"{alias[0]}={alias[1]!r} and --seldon-{name}={value!r} disagree")
        if value is None and alias is not None:
            value = alias[1]
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
        report_dir=convert("report", _report_dir, None),
        seed=convert("seed", int, 0),
        peak_rps=convert("peak-rps", _positive, None),
        ramp=convert("ramp", _positive_duration, 120.0),
        hold=convert("hold", _duration, 180.0),
        max_error_rate=convert("max-error-rate", _fraction, 0.0),
        convergence_time=convert("convergence-time", _positive_duration, 180.0),
        request_timeout=convert("request-timeout", _request_timeout, 10.0),
        max_p99_ms=convert("max-p99-ms", _positive, 1000.0),
        server_autoscaling=convert("server-autoscaling", _boolean, True),
        packing=convert("packing", _boolean, False),
        packing_percentage=convert("packing-percentage", _packing_percentage, 1.0),
        model_autoscaling=convert("model-autoscaling", _boolean, False),
        cluster_name=convert("cluster-name", _dns_label, None),
        allow_skip=bool(raw("allow-skip")),
        kind_binary=raw("kind-binary") or None,
        kubectl_binary=raw("kubectl-binary") or None,
        helm_binary=raw("helm-binary") or None,
        core_release=_patch_release(str(raw("core-version") or "")),
        traffic=convert("traffic", load_trace, None),
        service_profiles=_service_profiles(raw("service-profile") or [], errors),
    )
    if errors:
        raise pytest.UsageError("pytest-seldon-scaling: " + "\n  ".join(["bad option:", *errors]))
    return settings


def _service_profiles(paths: list, errors: list[str]) -> tuple[ServiceProfile, ...]:
    from .service_profile import read_service_profile

    profiles = []
    for path in paths:
        try:
            profiles.append(read_service_profile(Path(path)))
        except ValueError as error:
            errors.append(f"--seldon-service-profile: {error}")
    return tuple(profiles)


def _pytest_kind_options(config: pytest.Config, errors: list[str]) -> dict[str, tuple[str, Any]]:
    """``{our option: (pytest-kind's flag, value)}`` for pytest-kind options typed this run."""
    typed = [str(arg) for arg in config.invocation_params.args]

    def given(flag: str) -> bool:
        return any(arg == flag or arg.startswith(f"{flag}=") for arg in typed)

    aliases = {}
    for flag, ours in PYTEST_KIND_ALIASES.items():
        if given(flag):
            aliases[ours] = (flag, config.getoption(flag))
    mode = config.getoption("--seldon-cluster")
    if mode == "":
        mode = config.getini("seldon_cluster")
    for flag, why in PYTEST_KIND_UNSUPPORTED.items():
        if mode == "kind" and given(flag):
            errors.append(f"{flag} (pytest-kind's) is not used by pytest-seldon-scaling: {why}")
    return aliases


def _patch_release(value: str) -> str | None:
    match = re.fullmatch(r"v?(\d+\.\d+\.\d+)", value.strip())
    return match[1] if match else None


def _positive(value: str) -> float:
    number = float(value)
    if not 0 < number < math.inf:
        raise ValueError("must be a finite number > 0")
    return number


# Every duration of a run is simulated on the twin or waited for on a cluster: bound it.
MAX_DURATION = 24 * 3600.0


def _duration(value: str) -> float:
    from .load.profile import parse_duration

    seconds = parse_duration(value)
    if seconds > MAX_DURATION:
        raise ValueError("must be at most 24h")
    return seconds


def _positive_duration(value: str) -> float:
    seconds = _duration(value)
    if seconds <= 0:
        raise ValueError("must be a duration > 0 (e.g. 90s, 2m)")
    return seconds


def _request_timeout(value: str) -> float:
    seconds = _positive_duration(value)
    if seconds > 3600:
        raise ValueError("must be at most 1h")
    return seconds


def _fraction(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError("must be a fraction between 0 and 1 (e.g. 0.01 for 1 %)")
    return number


def _packing_percentage(value: str) -> float:
    """0..100 as the docs write it, kept as given: the twin draws with it as Core 2 does."""
    number = float(value)
    if not 0 <= number <= 100:
        raise ValueError(
            "must be between 0 and 100 (Core 2 reads it as a probability: 0.25 packs on "
            "25 % of scale-downs, any value >= 1 on every one)"
        )
    return number


def _report_dir(value: str) -> Path:
    path = Path(value)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            raise ValueError(f"{str(part)!r} is a file; the report needs a directory")
    return path


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
