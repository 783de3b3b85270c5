"""Lint behaviour beyond fire/quiet: versions, helm values, adapter rules, capacity, output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_seldon_scaling.adapter_rules import parse_rules
from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.lint import (
    Finding,
    exit_code,
    format_text,
    lint,
    parse_core_version,
    server_runtime,
)
from pytest_seldon_scaling.manifests import load_manifests

CASES = Path(__file__).parent / "cases"
REFERENCE = Path("/work/shared/reference/seldon-core2")


def rule_ids(*sources, **options) -> list[str]:
    return [f.rule_id for f in lint(load_manifests(*sources), **options)]


def messages(rule_id: str, *sources, **options) -> list[str]:
    return [f.message for f in lint(load_manifests(*sources), **options) if f.rule_id == rule_id]


def test_docs_single_model_serving_on_a_default_install():
    """The docs' Model+Server HPA pair breaks on the default helm install (servers max 1)."""
    findings = lint(
        load_manifests(
            REFERENCE / "hpa" / "docs-single-model-serving-hpa-model-and-server.yaml",
            REFERENCE / "hpa" / "docs-model-hpa-irisa0.yaml",
            REFERENCE / "prometheus" / "docs-hpa-setup-prometheus-adapter.config.yaml",
        )
    )
    by_rule = {f.rule_id: f for f in findings}
    assert set(by_rule) == {"SCL007", "SCL008", "SCL011", "SCL013"}
    assert "servers helm chart default maxReplicas 1" in by_rule["SCL007"].message
    assert (
        "scaling spec is invalid: number of replicas 3 must be <= max replicas 1"
        in by_rule["SCL008"].message
    )
    assert by_rule["SCL008"].object_ref == "HorizontalPodAutoscaler/mlserver-server-hpa"


def test_invalid_scaling_spec_texts_follow_the_core_version():
    path = CASES / "SCL016" / "fail.yaml"
    assert messages("SCL016", path)[0].startswith(
        "scaling spec is invalid: number of replicas 5 must be <= max replicas 3"
    )
    assert messages("SCL016", path, core_version="2.9")[0].startswith(
        "number of replicas 5 must be <= min replicas  3"
    )
    below_min = "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: m}\n"
    below_min += "spec: {storageUri: gs://x, replicas: 0, minReplicas: 2, maxReplicas: 1}\n"
    assert messages("SCL016", below_min) == [
        "scaling spec is invalid: number of replicas 0 must be >= min replicas 2: the "
        "controller marks it ModelFailed and never schedules it"
    ]
    assert messages("SCL016", below_min, core_version="2.8") == []


@pytest.mark.parametrize(
    ("rule_id", "core_version", "fires"),
    [
        ("SCL012", "2.10", True),
        ("SCL012", "2.10.2", True),
        ("SCL012", "2.9", False),
        ("SCL014", "2.11", True),
        ("SCL014", "2.9", False),
        ("SCL013", "2.9", False),
        ("SCL011", "2.8", False),
    ],
)
def test_version_dependent_rules(rule_id, core_version, fires):
    path = CASES / rule_id / "fail.yaml"
    assert (rule_id in rule_ids(path, core_version=core_version)) is fires


def test_core_version_parsing():
    assert parse_core_version("2.10") == (2, 10)
    assert parse_core_version("v2.9.1") == (2, 9)
    for bad in ("2.7", "latest", "3"):
        with pytest.raises(ValueError, match="not supported"):
            parse_core_version(bad)


def test_helm_values_argument_and_documents_agree():
    path = CASES / "SCL011" / "fail.yaml"
    assert "SCL011" in rule_ids(path)
    off = {"autoscaling": {"autoscalingServerEnabled": False}}
    assert "SCL011" not in rule_ids(path, helm_values=off)
    (finding,) = lint(load_manifests(CASES / "SCL015" / "fail.yaml"), helm_values={})
    assert finding.line == 3
    (finding,) = lint(
        [], helm_values={"autoscaling": {"serverPackingPercentage": 0.5}}, rules=["SCL015"]
    )
    assert (finding.severity, finding.source) == ("info", "<helm values>")
    assert "no effect: serverPackingEnabled is not true" in finding.message


def test_native_server_autoscaling_off_caps_a_server_at_its_replicas():
    path = CASES / "SCL007" / "pass.yaml"
    assert "SCL007" not in rule_ids(path)
    off = {"autoscaling": {"autoscalingServerEnabled": False}}
    (message,) = messages("SCL007", path, helm_values=off)
    assert (
        "hosts at most 1 (Server mlserver fixed at replicas 1 (native server autoscaling off))"
        in message
    )


def test_servers_chart_values_define_the_default_servers():
    model_and_hpa = CASES / "SCL007" / "pass.yaml"
    only_model_side = [m for m in load_manifests(model_and_hpa) if m.kind != "Server"]
    assert "SCL007" in rule_ids(only_model_side)  # servers chart default: max 1
    values = load_manifests("mlserver:\n  replicas: 1\n  minReplicas: 1\n  maxReplicas: 3\n")
    assert "SCL007" not in rule_ids([*only_model_side, *values])
    bad = load_manifests("mlserver:\n  replicas: 4\n  maxReplicas: 3\n")
    (finding,) = [f for f in lint([*only_model_side, *bad]) if f.rule_id == "SCL016"]
    assert (finding.object_ref, finding.source, finding.line) == ("Server/mlserver", "<string>", 1)


def test_server_hpa_caps_model_capacity():
    path = CASES / "SCL010" / "pass.yaml"  # Model HPA 1..3, Server HPA 1..3, Server max 3
    assert "SCL007" not in rule_ids(path)


def test_reference_kind_problems():
    text = (CASES / "SCL005" / "pass.yaml").read_text()
    lower = text.replace("    kind: Model\n    name: irisa0", "    kind: model\n    name: irisa0")
    (message,) = messages("SCL005", lower)
    assert message.startswith("scaleTargetRef kind 'model' is not a kind")
    pipeline = text.replace(
        "    kind: Model\n    name: irisa0", "    kind: Pipeline\n    name: irisa0"
    )
    (message,) = messages("SCL005", pipeline)
    assert "only Model and Server have a scale subresource" in message
    described = text.replace(
        "        name: irisa0\n      target", "        name: nope\n      target"
    )
    (message,) = messages("SCL004", described)
    assert message.startswith("describedObject Model/nope is not among the linted manifests")


@pytest.mark.parametrize(
    ("rule", "names", "resources"),
    [
        (
            {
                "seriesQuery": '{__name__="seldon_model_infer_total"}',
                "name": {"matches": "seldon_model_infer_total", "as": "infer_rps"},
            },
            {"infer_rps"},
            set(),
        ),
        (
            {
                "seriesQuery": 'seldon_model_infer_total{namespace!=""}',
                "name": {"matches": "^(.*)_total$", "as": "${1}_per_second"},
                "resources": {
                    "overrides": {"model": {"group": "mlops.seldon.io", "resource": "models"}}
                },
            },
            {"seldon_model_infer_per_second"},
            {"Model"},
        ),
        ({"seriesQuery": "seldon_model_infer_total"}, {"seldon_model_infer_total"}, set()),
        (
            {"seriesQuery": '{__name__=~"seldon_.*"}', "resources": {"template": "<<.Resource>>"}},
            None,
            None,
        ),
        (
            {
                "seriesQuery": '{__name__="x"}',
                "resources": {
                    "overrides": {"model": {"resource": "model"}, "pod": {"resource": "pod"}}
                },
            },
            {"x"},
            {"pods"},
        ),
    ],
)
def test_adapter_rule_parsing(rule, names, resources):
    (parsed,) = parse_rules({"rules": [rule]}, "ConfigMap/adapter")
    assert parsed.metric_names() == (None if names is None else frozenset(names))
    served = {kind for kind in ("Model", "Server", "pods") if parsed.serves(kind)}
    if resources is None:
        assert parsed.serves("Model") is None  # a template maps whatever the series carries
    else:
        assert served == set(resources)
    assert not parsed.external


def test_adapter_without_the_metric_and_external_rules():
    text = (CASES / "SCL006" / "pass.yaml").read_text().replace('"as": "infer_rps"', '"as": "rps"')
    (message,) = messages("SCL006", text)
    assert message.startswith("no adapter rule exposes custom metric infer_rps (rules expose: rps)")
    (external,) = parse_rules({"externalRules": [{"seriesQuery": "queue_depth"}]}, "ConfigMap/a")
    assert external.external and external.metric_names() == frozenset({"queue_depth"})


def test_server_runtime_merges_server_over_server_config():
    config = {
        "containers": [
            {
                "name": "agent",
                "env": [
                    {"name": "SELDON_SERVER_CAPABILITIES", "value": "mlserver, sklearn"},
                    {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "10"},
                    {
                        "name": "MEMORY_REQUEST",
                        "valueFrom": {
                            "resourceFieldRef": {
                                "containerName": "mlserver",
                                "resource": "requests.memory",
                            }
                        },
                    },
                ],
            },
            {"name": "mlserver", "resources": {"requests": {"memory": "1Gi"}}},
        ]
    }
    plain = server_runtime({}, config)
    assert plain.capabilities == ("mlserver", "sklearn")
    assert plain.replica_memory == 2**30 + 2**30 // 10
    extra = server_runtime({"extraCapabilities": ["custom"]}, config)
    assert extra.capabilities == ("mlserver", "sklearn", "custom")
    replaced = server_runtime({"capabilities": ["only"], "extraCapabilities": ["more"]}, config)
    assert replaced.capabilities == ("only", "more")
    godog = load_manifests(
        REFERENCE / "tests" / "godog" / "autoscaling-server_setup.docstring-01.yaml"
    )
    overridden = server_runtime(godog[0].spec, config)
    assert (overridden.memory_bytes, overridden.overcommit_percent) == (1073741824, 0)
    bigger = server_runtime(
        {
            "podSpec": {
                "containers": [{"name": "mlserver", "resources": {"requests": {"memory": "4Gi"}}}]
            }
        },
        config,
    )
    assert bigger.memory_bytes == 4 * 2**30
    assert server_runtime({}, None).capabilities is None


def test_memory_follows_helm_server_config_values():
    path = CASES / "SCL018" / "fail.yaml"  # 2Gi model, default 1Gi + 10 %
    assert "SCL018" in rule_ids(path)
    values = {"serverConfig": {"mlserver": {"resources": {"memory": "2Gi"}}}}
    assert "SCL018" not in rule_ids(path, helm_values=values)


def test_finding_format_and_exit_code():
    finding = Finding(
        "SCL002", "error", "hpa.yaml", 12, "HorizontalPodAutoscaler/h", "breaks.", "fix it"
    )
    assert (
        finding.format()
        == "hpa.yaml:12: SCL002 error HorizontalPodAutoscaler/h: breaks. Fix: fix it"
    )
    assert exit_code([finding]) == 1
    note = Finding("SCL013", "info", "<object>", 0, "Model/m", "note", "none")
    assert note.format().startswith("<object>: SCL013 info")
    assert exit_code([note]) == 0
    assert format_text([finding, note]).splitlines()[-1] == "1 error, 0 warnings, 1 info"


def test_cli_text_output_and_exit_codes(capsys):
    fail = CASES / "SCL002" / "fail.yaml"
    assert main(["lint", str(fail)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{fail}:43:9: SCL002 (value-target-on-model) error "
        "HorizontalPodAutoscaler/irisa0-model-hpa: "
    ) in out
    assert main(["lint", str(CASES / "SCL014" / "fail.yaml")]) == 0  # warnings only
    assert "SCL014 (server-min-max-myth) warning Server/mlserver" in capsys.readouterr().out


def test_cli_json_output(capsys):
    path = CASES / "SCL016" / "fail.yaml"
    assert main(["lint", "--format", "json", "--core-version", "2.9", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["core_version"] == "2.9" and report["manifests"] == 2
    assert report["summary"] == {"error": 1, "warning": 0, "info": 0}
    (finding,) = report["findings"]
    assert (
        finding["rule_id"] == "SCL016" and finding["line"] == 15 and finding["source"] == str(path)
    )
    assert len(report["digest"]) == 64


def test_cli_helm_values_file(tmp_path, capsys):
    values = tmp_path / "values.yaml"
    values.write_text("autoscaling:\n  autoscalingServerEnabled: false\n")
    path = str(CASES / "SCL011" / "fail.yaml")
    main(["lint", path, "--helm-values", str(values)])
    assert " SCL011 " not in capsys.readouterr().out
    assert main(["lint", path, "--helm-values", path]) == 2
    assert "is not helm values" in capsys.readouterr().err


def test_cli_usage_and_manifest_errors(tmp_path, capsys):
    bad = tmp_path / "hpa.yaml"
    bad.write_text(
        (CASES / "SCL002" / "pass.yaml")
        .read_text()
        .replace("maxReplicas: 3\n  metrics", "maxReplicas: three\n  metrics")
    )
    assert main(["lint", str(bad)]) == 2
    assert (
        f"\n{bad}:32: HorizontalPodAutoscaler/irisa0-model-hpa: spec.maxReplicas: must be"
        in capsys.readouterr().err
    )
    assert main(["lint", str(bad), "--core-version", "1.5"]) == 2
    assert "core version '1.5' is not supported" in capsys.readouterr().err
    assert main(["lint"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["lint", "--format", "xml", str(bad)]) == 2


def test_unparsable_adapter_config_points_at_its_key():
    text = (CASES / "SCL006" / "pass.yaml").read_text()
    broken = text.replace('"rules":\n', '"rules": [\n')
    findings = [f for f in lint(load_manifests(broken)) if f.rule_id == "SCL006"]
    assert len(findings) == 1 and findings[0].message.startswith("the adapter cannot start")
    config_line = broken.splitlines().index("  config.yaml: |-") + 1
    assert findings[0].line == config_line
