"""The helm (and kubectl) command lines that install Core 2 and its metrics stack, as data.

:func:`install_plan` is the one plan kind mode and ``seldon-scaling install`` run (the latter
prints it with ``--dry-run``); :func:`install_commands` is pure: the tests check every ``--set``
key against the charts' real values files and the order against what the components need at
start-up. :func:`run_install` is the shell that runs them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..adapter_rules import AdapterConfigError, custom_rules
from ..cluster import ClusterError
from ..resources import agent_podmonitor, default_manifests

# the same rule the suites' manifests (and the twin) use, so a default run restarts nothing
DEFAULT_ADAPTER_RULES = default_manifests() / "adapter-configmap.yaml"
ADAPTER_RELEASE = "hpa-metrics"
# the chart names its Deployment and ConfigMap <release>-prometheus-adapter
ADAPTER_DEPLOYMENT = f"{ADAPTER_RELEASE}-prometheus-adapter"
AGENT_POD_MONITOR = agent_podmonitor()

SELDON_REPO = ("seldon-charts", "https://seldonio.github.io/helm-charts/")
PROMETHEUS_REPO = ("prometheus-community", "https://prometheus-community.github.io/helm-charts")
# chart version per Core 2 minor release (chart version = app version)
CHART_VERSIONS = {"2.10": "2.10.2", "2.9": "2.9.1"}
# components of seldon-core-v2-runtime that need Kafka or phone home; off unless asked for
DEFAULT_DISABLED = ("dataflow", "pipelinegateway", "hodometer")
RUNTIME_COMPONENTS = (
    "hodometer",
    "scheduler",
    "envoy",
    "dataflow",
    "modelgateway",
    "pipelinegateway",
)
SERVERS = ("mlserver", "triton")
# setup chart value keys accepted as helm settings, and the setting each one sets
CHART_KEYS = {
    "autoscaling.autoscalingModelEnabled": "model_autoscaling",
    "autoscaling.autoscalingServerEnabled": "server_autoscaling",
    "autoscaling.serverPackingEnabled": "packing_enabled",
    "autoscaling.serverPackingPercentage": "packing_percentage",
}


def chart_version(core_version: str) -> str:
    """``"2.10"`` -> ``"2.10.2"``; a full ``x.y.z`` is used as given."""
    if core_version.count(".") >= 2:
        return core_version
    try:
        return CHART_VERSIONS[core_version]
    except KeyError:
        raise ClusterError(
            f"no pinned chart for Core 2 {core_version!r}: pass a full chart version "
            f"(e.g. 2.10.2) or one of {', '.join(CHART_VERSIONS)}"
        ) from None


@dataclass(frozen=True)
class HelmSettings:
    """What gets installed, and how; every field can be set from ``helm_settings``."""

    chart_version: str = "2.10.2"
    namespace: str = "seldon-mesh"
    monitoring_namespace: str = "seldon-monitoring"
    model_autoscaling: bool = False
    server_autoscaling: bool = True
    packing_enabled: bool = False
    packing_percentage: float = 0.0
    # kind has no load balancer: LoadBalancer Services would never get an address
    service_type: str = "ClusterIP"
    disabled_components: tuple[str, ...] = DEFAULT_DISABLED
    # Servers of the servers chart that run; the others get 0 replicas. None by default: the
    # suites bring their own Servers, and each Server pod of the chart's ServerConfig requests
    # 2.125 GiB (rclone 128Mi + agent 1Gi + mlserver 1Gi, SeldonIO/seldon-core v2.10.2
    # k8s/helm-charts/seldon-core-v2-setup/values.yaml serverConfig.*.resources) that a 16 GB
    # GitHub runner cannot spare.
    servers: tuple[str, ...] = ()
    server_replicas: dict[str, dict[str, int]] = field(default_factory=dict)
    monitoring: bool = True
    kube_prometheus_stack_version: str = "66.2.1"
    prometheus_adapter_version: str = "4.11.0"
    adapter_configmap: str | None = None
    timeout: str = "10m"
    install: bool = True

    @classmethod
    def from_options(
        cls, options: dict[str, Any] | None, *, core_version: str, namespace: str | None
    ) -> HelmSettings:
        options = {CHART_KEYS.get(k, k): v for k, v in (options or {}).items()}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ClusterError(
                f"unknown helm setting(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted(known | set(CHART_KEYS)))}"
            )
        options.setdefault("chart_version", chart_version(core_version))
        if namespace:
            options.setdefault("namespace", namespace)
        if "packing_percentage" in options:
            options["packing_percentage"] = packing_percentage_value(options["packing_percentage"])
        for name in ("disabled_components", "servers"):
            if isinstance(options.get(name), str):
                options[name] = tuple(s for s in options[name].split(",") if s)
            elif name in options:
                options[name] = tuple(options[name])
        bad = set(options.get("disabled_components", ())) - set(RUNTIME_COMPONENTS)
        if bad:
            raise ClusterError(
                f"disabled_components: {', '.join(sorted(bad))} not in {RUNTIME_COMPONENTS}"
            )
        bad = (set(options.get("servers", ())) | set(options.get("server_replicas", {}))) - set(
            SERVERS
        )
        if bad:
            raise ClusterError(f"servers: {', '.join(sorted(bad))} not in {SERVERS}")
        return cls(**options)


def packing_percentage_value(value: float) -> int:
    """The packing percentage as the setup chart can carry it: an integer, else an error.

    The chart renders ``autoscaling.serverPackingPercentage`` unquoted into the SeldonConfig's
    ``spec.config.scalingConfig.servers.scaleDownPackingPercentage`` (SeldonIO/seldon-core
    v2.10.2 k8s/helm-charts/seldon-core-v2-setup/templates/_components-statefulsets.tpl), which
    the CRD types ``int32`` (operator/config/crd/bases/mlops.seldon.io_seldonconfigs.yaml): the
    API server rejects 0.5 there, and ``helm --set`` keeps ``0.5`` a string anyway (it types
    only booleans, null and integers: helm/helm pkg/strvals/parser.go ``typedVal``).
    The scheduler reads the same value (``SERVER_PACKING_PERCENTAGE``) as a probability, so
    through the chart only 0 (never pack) and whole numbers >= 1 (pack on every scale-down)
    can be installed.
    """
    if isinstance(value, bool) or not float(value).is_integer():
        raise ClusterError(
            f"packing percentage {value!r}: the seldon-core-v2-setup chart renders it into "
            "SeldonConfig spec.config.scalingConfig.servers.scaleDownPackingPercentage, an "
            "int32 the API server rejects a fraction for; use 0 (never pack) or a whole "
            "number >= 1 (Core 2 then packs on every scale-down)"
        )
    return int(value)


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sets(values: dict[str, Any]) -> list[str]:
    args = []
    for key, value in values.items():
        args += ["--set", f"{key}={_flag(value)}"]
    return args


def setup_values(settings: HelmSettings) -> dict[str, Any]:
    """``--set`` values of ``seldon-core-v2-setup`` (operator + SeldonConfig + ServerConfigs)."""
    return {
        "autoscaling.autoscalingModelEnabled": settings.model_autoscaling,
        "autoscaling.autoscalingServerEnabled": settings.server_autoscaling,
        "autoscaling.serverPackingEnabled": settings.packing_enabled,
        "autoscaling.serverPackingPercentage": packing_percentage_value(
            settings.packing_percentage
        ),
        # The operator creates svc/seldon-mesh and svc/seldon-scheduler with this type
        # (SeldonConfig serviceConfig.serviceType); the values envoy.service.type and
        # scheduler.service.type are read by no v2.10.2 template of this chart.
        "services.defaultServiceType": settings.service_type,
    }


def runtime_values(settings: HelmSettings) -> dict[str, Any]:
    values: dict[str, Any] = {
        "envoy.serviceType": settings.service_type,
        "scheduler.serviceType": settings.service_type,
    }
    for component in settings.disabled_components:
        values[f"{component}.disable"] = True
    return values


def servers_values(settings: HelmSettings) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for server in SERVERS:
        if server not in settings.servers:
            values[f"{server}.replicas"] = 0
            values[f"{server}.minReplicas"] = 0
        for key, number in settings.server_replicas.get(server, {}).items():
            if key not in ("replicas", "minReplicas", "maxReplicas"):
                raise ClusterError(
                    f"server_replicas.{server}.{key}: expected replicas, minReplicas or maxReplicas"
                )
            values[f"{server}.{key}"] = number
    return values


def prometheus_stack_values(settings: HelmSettings) -> dict[str, Any]:
    """kube-prometheus-stack picking up every PodMonitor (the agents' metrics)."""
    return {
        "fullnameOverride": "seldon-monitoring",
        "grafana.enabled": False,
        "kubeEtcd.enabled": False,
        "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues": False,
        "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues": False,
    }


def prometheus_url(settings: HelmSettings) -> str:
    return f"http://seldon-monitoring-prometheus.{settings.monitoring_namespace}.svc"


def adapter_rules(configmap_text: str, origin: str) -> list[dict]:
    """The rules of a prometheus-adapter ConfigMap (``data["config.yaml"]``)."""
    try:
        documents = [d for d in yaml.safe_load_all(configmap_text) if d]
    except yaml.YAMLError as error:
        raise ClusterError(f"{origin}: not valid YAML: {error}") from None
    for document in documents:
        if document.get("kind") == "ConfigMap" and "config.yaml" in (document.get("data") or {}):
            try:
                rules = custom_rules(document)
            except AdapterConfigError as error:
                raise ClusterError(f"{origin}: {error}") from None
            if not rules:
                raise ClusterError(f"{origin}: data.config.yaml has no rules list")
            return rules
    raise ClusterError(f"{origin}: no ConfigMap with data.config.yaml (prometheus-adapter rules)")


def adapter_values(settings: HelmSettings, rules: list[dict]) -> dict[str, Any]:
    """prometheus-adapter values: our Prometheus, and only the given (Seldon) custom rules."""
    return {
        "prometheus": {"url": prometheus_url(settings), "port": 9090},
        "rules": {"default": False, "custom": rules},
    }


def install_commands(
    settings: HelmSettings,
    *,
    helm: str = "helm",
    kubectl: str = "kubectl",
    adapter_values_file: Path | None = None,
) -> list[list[str]]:
    """Every command, in order, that installs the metrics stack and Core 2 (idempotent).

    Core 2's CRDs go first: prometheus-adapter v0.12.0 resolves every ``resources.overrides``
    entry of its rules through the API server's RESTMapper at start-up and exits
    ("unable to construct custom metrics provider") while ``mlops.seldon.io/model`` does not
    resolve (kubernetes-sigs/prometheus-adapter v0.12.0 pkg/naming/resource_converter.go
    NewResourceConverter, cmd/adapter/adapter.go), so ``helm --wait`` on it would time out.
    Core 2's ansible (v2.10.2 ansible/roles/prometheus/tasks/main.yaml) installs the adapter
    with default rules, adds the Seldon rule, then restarts it; here the adapter starts after
    the CRDs with the Seldon rule in its values, and a later change of rules restarts it
    through the chart's ``checksum/config`` pod annotation (prometheus-community/helm-charts
    prometheus-adapter-4.11.0 charts/prometheus-adapter/templates/deployment.yaml).
    """
    common = ["--wait", "--timeout", settings.timeout]
    seldon = SELDON_REPO[0]
    prom = PROMETHEUS_REPO[0]
    commands = [[helm, "repo", "add", seldon, SELDON_REPO[1], "--force-update"]]
    if settings.monitoring:
        commands.append([helm, "repo", "add", prom, PROMETHEUS_REPO[1], "--force-update"])
    commands.append([helm, "repo", "update"])
    version = ["--version", settings.chart_version]
    mesh = ["--namespace", settings.namespace, "--create-namespace"]
    commands.append(
        [
            helm, "upgrade", "--install", "seldon-core-v2-crds", f"{seldon}/seldon-core-v2-crds",
            *version, "--namespace", "default", *common,
        ]
    )  # fmt: skip
    if settings.monitoring:
        if adapter_values_file is None:
            raise ClusterError("monitoring needs the prometheus-adapter values file")
        monitoring = ["--namespace", settings.monitoring_namespace, "--create-namespace"]
        commands.append(
            [
                helm, "upgrade", "--install", "seldon-monitoring",
                f"{prom}/kube-prometheus-stack",
                "--version", settings.kube_prometheus_stack_version,
                *monitoring, *common, *_sets(prometheus_stack_values(settings)),
            ]
        )  # fmt: skip
        commands.append(
            [
                helm, "upgrade", "--install", ADAPTER_RELEASE, f"{prom}/prometheus-adapter",
                "--version", settings.prometheus_adapter_version,
                *monitoring, *common, "--values", str(adapter_values_file),
            ]
        )  # fmt: skip
    commands += [
        [
            helm, "upgrade", "--install", "seldon-core-v2-setup", f"{seldon}/seldon-core-v2-setup",
            *version, *mesh, *common, *_sets(setup_values(settings)),
        ],
        # The runtime and servers charts create custom resources the operator turns into
        # pods: helm cannot wait for those; wait_core2_ready does.
        [
            helm, "upgrade", "--install", "seldon-core-v2-runtime",
            f"{seldon}/seldon-core-v2-runtime", *version, *mesh, *_sets(runtime_values(settings)),
        ],
        [
            helm, "upgrade", "--install", "seldon-core-v2-servers",
            f"{seldon}/seldon-core-v2-servers", *version, *mesh,
            *_sets(servers_values(settings)),
        ],
    ]  # fmt: skip
    if settings.monitoring:
        commands.append(
            [kubectl, "apply", "--namespace", settings.namespace, "-f", str(AGENT_POD_MONITOR)]
        )
    return commands


def seldon_adapter_rules(settings: HelmSettings) -> list[dict]:
    """The adapter rules to install: the user's ConfigMap's (``adapter_configmap``), else ours."""
    source = Path(settings.adapter_configmap) if settings.adapter_configmap else None
    source = source or DEFAULT_ADAPTER_RULES
    if not source.is_file():
        raise ClusterError(f"adapter_configmap {source}: no such file")
    return adapter_rules(source.read_text(), str(source))


@dataclass(frozen=True)
class InstallPlan:
    """The ordered commands and the files they read, under ``directory``."""

    commands: list[list[str]]
    files: dict[Path, str]
    directory: Path

    @property
    def log(self) -> Path:
        return self.directory / "install.log"

    def write_files(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for path, text in self.files.items():
            path.write_text(text)

    def describe(self) -> str:
        """The plan as ``--dry-run`` prints it: each command, then each file's content."""
        lines = [f"# {len(self.commands)} commands, run in this order"]
        lines += [shlex.join(command) for command in self.commands]
        for path, text in self.files.items():
            lines += ["", f"# {path}", text.rstrip("\n")]
        return "\n".join(lines) + "\n"


def install_plan(
    settings: HelmSettings,
    directory: Path,
    *,
    helm: str = "helm",
    kubectl: str = "kubectl",
    kube_context: str | None = None,
) -> InstallPlan:
    """What installing ``settings`` runs, and the adapter values file it needs (not written).

    ``kube_context`` names the kubeconfig context every cluster command uses (helm's
    ``--kube-context``, kubectl's ``--context``); None: the kubeconfig's current one.
    """
    files: dict[Path, str] = {}
    adapter_file = None
    if settings.monitoring:
        adapter_file = directory / "prometheus-adapter.values.yaml"
        values = adapter_values(settings, seldon_adapter_rules(settings))
        files[adapter_file] = yaml.safe_dump(values, sort_keys=False)
    commands = install_commands(
        settings, helm=helm, kubectl=kubectl, adapter_values_file=adapter_file
    )
    if kube_context:
        commands = [_in_context(c, kube_context, helm=helm, kubectl=kubectl) for c in commands]
    return InstallPlan(commands, files, directory)


def _in_context(command: list[str], context: str, *, helm: str, kubectl: str) -> list[str]:
    """``command`` against the kubeconfig context ``context`` (``helm repo`` touches no cluster)."""
    if command[0] == kubectl:
        return [kubectl, "--context", context, *command[1:]]
    if command[0] == helm and command[1] != "repo":
        return [*command, "--kube-context", context]
    return command


def run_install(
    commands: Sequence[list[str]], *, kubeconfig: str | None, log: Path | None = None
) -> None:
    """Run the install commands against ``kubeconfig`` (None: the environment's); the first
    failure raises, with its output. A command that cannot start raises as a failure too."""
    env = {**os.environ, **({"KUBECONFIG": kubeconfig} if kubeconfig else {})}
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    for command in commands:
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        except OSError as error:
            raise ClusterError(f"`{' '.join(command)}` could not start: {error}") from None
        if log is not None:
            with log.open("a") as out:
                out.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise ClusterError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}")
