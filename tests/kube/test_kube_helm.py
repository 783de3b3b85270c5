"""The helm / kubectl install commands, checked against the Core 2 charts' real value keys."""

from __future__ import annotations

import re
import stat
import textwrap
from pathlib import Path

import pytest
import yaml

from pytest_seldon_scaling.adapter_rules import AdapterConfigError, custom_rules
from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube.helm import (
    AGENT_POD_MONITOR,
    DEFAULT_ADAPTER_RULES,
    HelmSettings,
    adapter_rules,
    chart_version,
    install_commands,
    install_plan,
    run_install,
)
from pytest_seldon_scaling.kube.objects import adapter_config_rules, same_adapter_rules
from pytest_seldon_scaling.manifests import load_manifests

from .reference import REFERENCE, needs_reference


def adapter_values_of(settings: HelmSettings, directory: Path) -> dict:
    plan = install_plan(settings, directory)
    plan.write_files()
    (path,) = plan.files
    return yaml.safe_load(path.read_text())


def key_paths(values: object, prefix: str = "") -> set[str]:
    """Every dotted key path of a values tree (``autoscaling.serverPackingEnabled``)."""
    paths: set[str] = set()
    if isinstance(values, dict):
        for key, value in values.items():
            path = f"{prefix}{key}"
            paths.add(path)
            paths |= key_paths(value, path + ".")
    return paths


def reference_values(name: str) -> set[str]:
    text = (REFERENCE / name).read_text()
    # ansible templates: replace Jinja expressions so the YAML parses
    text = re.sub(r"\{\{.*?\}\}", "templated", text)
    text = re.sub(r"\{%.*?%\}", "", text)
    return key_paths(yaml.safe_load(text))


def sets_of(command: list[str]) -> dict[str, str]:
    pairs = [command[i + 1] for i, arg in enumerate(command) if arg == "--set"]
    return dict(pair.split("=", 1) for pair in pairs)


def command_for(commands: list[list[str]], release: str) -> list[str]:
    return next(c for c in commands if "upgrade" in c and release in c)


SETTINGS = [
    HelmSettings(),
    HelmSettings(
        model_autoscaling=True,
        server_autoscaling=False,
        packing_enabled=True,
        packing_percentage=1,
        disabled_components=(
            "hodometer",
            "scheduler",
            "envoy",
            "dataflow",
            "modelgateway",
            "pipelinegateway",
        ),
        servers=("mlserver", "triton"),
        server_replicas={
            "mlserver": {"replicas": 2, "minReplicas": 1, "maxReplicas": 4},
            "triton": {"maxReplicas": 2},
        },
    ),
    HelmSettings(servers=()),
]


@needs_reference
@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize(
    "chart", ["seldon-core-v2-setup", "seldon-core-v2-runtime", "seldon-core-v2-servers"]
)
def test_every_set_key_exists_in_the_charts_values(settings, chart, tmp_path):
    commands = install_commands(settings, adapter_values_file=tmp_path / "adapter.yaml")
    keys = set(sets_of(command_for(commands, chart)))
    known = reference_values(f"helm/{chart}.values.yaml")
    assert keys - known == set()


@needs_reference
def test_monitoring_set_keys_exist_in_the_reference_values(tmp_path):
    commands = install_commands(HelmSettings(), adapter_values_file=tmp_path / "a.yaml")
    stack = set(sets_of(command_for(commands, "seldon-monitoring")))
    assert (
        stack - reference_values("prometheus/ansible-prometheus-operator-values.yaml.j2") == set()
    )
    adapter = adapter_values_of(HelmSettings(), tmp_path)
    assert "prometheus.url" in reference_values("prometheus/ansible-prometheus-adapter-values.yaml")
    assert (
        adapter["prometheus"]["url"] == "http://seldon-monitoring-prometheus.seldon-monitoring.svc"
    )


@needs_reference
def test_default_settings_keep_the_charts_autoscaling_defaults(tmp_path):
    chart = yaml.safe_load((REFERENCE / "helm/seldon-core-v2-setup.values.yaml").read_text())
    commands = install_commands(HelmSettings(), adapter_values_file=tmp_path / "a.yaml")
    sets = sets_of(command_for(commands, "seldon-core-v2-setup"))
    for key, value in chart["autoscaling"].items():
        assert yaml.safe_load(sets[f"autoscaling.{key}"]) == value


@needs_reference
@pytest.mark.parametrize("chart", ["crds", "setup", "runtime", "servers"])
def test_pinned_chart_version_is_the_reference_release(chart):
    meta = yaml.safe_load((REFERENCE / f"helm/seldon-core-v2-{chart}.Chart.yaml").read_text())
    assert chart_version("2.10") == meta["version"]


@needs_reference
def test_the_default_adapter_rule_is_the_documented_rule_up_to_its_rate_window():
    def without_window(rule: dict) -> dict:
        return {**rule, "metricsQuery": re.sub(r"\[\w+\]", "[w]", rule["metricsQuery"])}

    documented = adapter_rules(
        (REFERENCE / "prometheus/docs-hpa-setup-prometheus-adapter.config.yaml").read_text(), "doc"
    )
    ours = adapter_rules(DEFAULT_ADAPTER_RULES.read_text(), str(DEFAULT_ADAPTER_RULES))
    assert same_adapter_rules(
        [without_window(r) for r in ours], [without_window(r) for r in documented]
    )


@needs_reference
def test_our_agent_pod_monitor_scrapes_what_the_reference_one_does():
    reference = yaml.safe_load((REFERENCE / "prometheus/agent-podmonitor.yaml").read_text())
    ours = yaml.safe_load(AGENT_POD_MONITOR.read_text())
    assert ours["spec"]["selector"] == reference["spec"]["selector"]
    assert ours["spec"]["podMetricsEndpoints"] == reference["spec"]["podMetricsEndpoints"]


def test_install_order_versions_and_idempotence(tmp_path):
    settings = HelmSettings(chart_version="2.10.1", kube_prometheus_stack_version="70.0.0")
    commands = install_commands(
        settings, helm="/opt/helm", kubectl="/opt/kubectl", adapter_values_file=tmp_path / "a.yaml"
    )
    releases = [c[3] for c in commands if c[1:3] == ["upgrade", "--install"]]
    assert releases == [
        "seldon-core-v2-crds",
        "seldon-monitoring",
        "hpa-metrics",
        "seldon-core-v2-setup",
        "seldon-core-v2-runtime",
        "seldon-core-v2-servers",
    ]
    for command in commands[:-1]:
        assert command[0] == "/opt/helm"
    for release in ("seldon-core-v2-crds", *releases[3:]):
        command = command_for(commands, release)
        assert command[command.index("--version") + 1] == "2.10.1"
    assert "70.0.0" in command_for(commands, "seldon-monitoring")
    assert commands[-1] == [
        "/opt/kubectl",
        "apply",
        "--namespace",
        "seldon-mesh",
        "-f",
        str(AGENT_POD_MONITOR),
    ]


def test_the_adapter_starts_after_the_crds_with_the_seldon_rule_in_its_values(tmp_path):
    """prometheus-adapter v0.12.0 resolves each resources.overrides entry (mlops.seldon.io/model)
    through the RESTMapper at start and exits fatally when it does not resolve
    (kubernetes-sigs/prometheus-adapter v0.12.0 pkg/naming/resource_converter.go,
    cmd/adapter/adapter.go "unable to construct custom metrics provider"): the CRDs chart must
    be installed and waited for before the adapter starts, with the rule already in its values;
    a later rule change restarts it by the chart's checksum/config annotation
    (prometheus-community/helm-charts prometheus-adapter-4.11.0 templates/deployment.yaml)."""
    plan = install_plan(HelmSettings(), tmp_path)
    commands = [" ".join(c) for c in plan.commands]
    crds = next(i for i, c in enumerate(commands) if "seldon-core-v2-crds" in c)
    adapter = next(
        i for i, c in enumerate(commands) if "prometheus-community/prometheus-adapter" in c
    )
    assert crds < adapter
    assert "--wait" in plan.commands[crds]  # installed, not just submitted, before the adapter
    values_file = plan.commands[adapter][plan.commands[adapter].index("--values") + 1]
    values = yaml.safe_load(plan.files[Path(values_file)])
    assert values["rules"]["default"] is False
    assert [r["name"]["as"] for r in values["rules"]["custom"]] == ["infer_rps"]
    # the plan written is the plan printed: --dry-run shows the same commands and values
    described = plan.describe()
    assert described.index("seldon-core-v2-crds") < described.index("prometheus-adapter ")
    assert "infer_rps" in described


def test_fractional_packing_percentage_is_refused_before_the_chart_renders_it():
    """The setup chart renders serverPackingPercentage unquoted into the SeldonConfig's
    scaleDownPackingPercentage, typed int32 by the CRD (SeldonIO/seldon-core v2.10.2
    k8s/helm-charts/seldon-core-v2-setup/templates/_components-statefulsets.tpl,
    operator/config/crd/bases/mlops.seldon.io_seldonconfigs.yaml): 0.5 would be rejected."""
    with pytest.raises(ClusterError, match=r"0\.5.*scaleDownPackingPercentage.*int32"):
        install_commands(HelmSettings(packing_percentage=0.5, monitoring=False))
    with pytest.raises(ClusterError, match="scaleDownPackingPercentage"):
        HelmSettings.from_options(
            {"autoscaling.serverPackingPercentage": 0.25}, core_version="2.10", namespace=None
        )
    settings = HelmSettings(packing_percentage=1.0, monitoring=False)
    whole = sets_of(command_for(install_commands(settings), "seldon-core-v2-setup"))
    assert whole["autoscaling.serverPackingPercentage"] == "1"  # an integer, as the CRD wants


def test_no_set_key_is_one_no_chart_template_reads():
    """envoy.service.type and scheduler.service.type are in the setup chart's values.yaml but
    no v2.10.2 template reads them (SeldonIO/seldon-core v2.10.2
    k8s/helm-charts/seldon-core-v2-setup/templates/: only services.defaultServiceType reaches
    the SeldonConfig serviceConfig.serviceType, from which the operator makes the Services)."""
    sets = sets_of(
        command_for(install_commands(HelmSettings(monitoring=False)), "seldon-core-v2-setup")
    )
    assert {"envoy.service.type", "scheduler.service.type"} & set(sets) == set()
    assert sets["services.defaultServiceType"] == "ClusterIP"


def test_an_install_without_monitoring_runs(tmp_path):
    """API-only mode writes no adapter values, so nothing created the install directory the
    log goes to (FileNotFoundError before)."""
    plan = install_plan(HelmSettings(monitoring=False), tmp_path / "install")
    assert plan.files == {}
    run_install([["true"]], kubeconfig="/k/config", log=plan.log)
    assert plan.log.read_text().startswith("$ true")


def test_without_monitoring_nothing_of_prometheus_is_installed():
    commands = install_commands(HelmSettings(monitoring=False))
    flat = " ".join(" ".join(c) for c in commands)
    assert "prometheus" not in flat and "PodMonitor" not in flat


def test_settings_from_options_parse_lists_and_name_unknown_keys():
    settings = HelmSettings.from_options(
        {"servers": "mlserver,triton", "packing_enabled": True},
        core_version="2.10",
        namespace="team-a",
    )
    assert settings.servers == ("mlserver", "triton") and settings.namespace == "team-a"
    assert settings.chart_version == "2.10.2"
    with pytest.raises(ClusterError, match=r"unknown helm setting\(s\) packing; known: .*packing_"):
        HelmSettings.from_options({"packing": True}, core_version="2.10", namespace=None)
    with pytest.raises(ClusterError, match="kafka not in"):
        HelmSettings.from_options(
            {"disabled_components": ["kafka"]}, core_version="2.10", namespace=None
        )
    with pytest.raises(ClusterError, match=r"no pinned chart for Core 2 '3\.0'"):
        HelmSettings.from_options({}, core_version="3.0", namespace=None)


def test_a_users_adapter_configmap_supplies_the_rules(tmp_path):
    mine = tmp_path / "adapter.yaml"
    mine.write_text(DEFAULT_ADAPTER_RULES.read_text().replace("[1m]", "[30s]"))
    values = adapter_values_of(HelmSettings(adapter_configmap=str(mine)), tmp_path / "out")
    assert values["rules"]["default"] is False
    assert "[30s]" in values["rules"]["custom"][0]["metricsQuery"]

    mine.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {other: 1}\n")
    with pytest.raises(ClusterError, match=f"{mine}: no ConfigMap with data.config.yaml"):
        install_plan(HelmSettings(adapter_configmap=str(mine)), tmp_path / "out")


def test_an_adapter_config_that_is_not_yaml_is_named_as_lint_names_it(tmp_path):
    # one parser of the rule (adapter_rules.py) for lint, the twin and the install
    mine = tmp_path / "adapter.yaml"
    mine.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        "data:\n  config.yaml: 'rules: [unclosed'\n"
    )
    with pytest.raises(ClusterError) as raised:
        install_plan(HelmSettings(adapter_configmap=str(mine)), tmp_path / "out")
    assert str(raised.value).startswith(f"{mine}: ConfigMap/x: data.config.yaml: not YAML (")
    (configmap,) = load_manifests(mine)
    assert adapter_config_rules(configmap.obj) is None  # applied as any other ConfigMap
    with pytest.raises(AdapterConfigError, match=r"^ConfigMap/x: data.config.yaml: not YAML"):
        custom_rules(configmap.obj)


def test_run_install_passes_the_kubeconfig_and_reports_the_failing_command(tmp_path):
    record = tmp_path / "calls.txt"
    helm = tmp_path / "helm"
    helm.write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        echo "$KUBECONFIG $*" >> {record}
        if [ "$1" = "fail" ]; then echo "Error: chart not found" >&2; exit 1; fi
        echo ok
    """)
    )
    helm.chmod(helm.stat().st_mode | stat.S_IEXEC)

    run_install([[str(helm), "repo", "update"]], kubeconfig="/k/config", log=tmp_path / "log")
    with pytest.raises(ClusterError, match=r"`.*helm fail x` failed \(exit 1\):\nError: chart"):
        run_install([[str(helm), "fail", "x"], [str(helm), "never"]], kubeconfig="/k/config")

    assert record.read_text().splitlines() == ["/k/config repo update", "/k/config fail x"]
    assert "$ " in (tmp_path / "log").read_text()
