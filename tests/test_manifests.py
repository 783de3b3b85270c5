"""Loading manifests: sources, multi-documents, lines of fields, and errors that say where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.manifests import (
    HELM_VALUES,
    SERVERS_CHART,
    SETUP_CHART,
    Manifest,
    ManifestError,
    digest,
    helm_chart,
    load_manifests,
    parse_path,
    ref,
)

REFERENCE = Path("/work/shared/reference/seldon-core2")

MODEL = """\
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: irisa0
spec:
  storageUri: gs://seldon-models/testing/iris1
  replicas: 1
  memory: 3M
  requirements:
  - sklearn
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: irisa0-model-hpa
spec:
  scaleTargetRef:
    apiVersion: mlops.seldon.io/v1alpha1
    kind: Model
    name: irisa0
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Object
    object:
      metric:
        name: infer_rps
      describedObject:
        apiVersion: mlops.seldon.io/v1alpha1
        kind: Model
        name: irisa0
      target:
        type: AverageValue
        averageValue: 3
"""


def errors_of(*sources) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_manifests(*sources)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def test_multi_document_file_keeps_source_and_document_lines(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(f"# models and HPAs\n---\n{MODEL}---\n{HPA}")
    model, hpa = load_manifests(path)
    assert (model.display, model.source, model.line) == ("Model/irisa0", str(path), 3)
    assert (hpa.display, hpa.line) == ("HorizontalPodAutoscaler/irisa0-model-hpa", 14)
    assert ref(model) == "model/irisa0" and ref(hpa) == "hpa/irisa0-model-hpa"


def test_line_of_field_paths_and_nearest_parent():
    (hpa,) = load_manifests(HPA)
    assert hpa.source == "<string>"
    assert hpa.line_of("spec.maxReplicas") == 11
    assert hpa.line_of("spec.metrics[0].object.target.type") == 22
    assert hpa.line_of(("spec", "metrics", 0)) == 13
    assert hpa.line_of("spec.behavior.scaleUp") == 5  # absent: nearest parent (spec)
    assert hpa.where("spec.minReplicas") == "<string>:10"


def test_directories_are_recursive_sorted_and_skip_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "hpa.yml").write_text(HPA)
    (tmp_path / "a.yaml").write_text(MODEL)
    (tmp_path / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("broken: [")
    as_json = yaml.safe_load(MODEL.replace("irisa0", "irisb0"))
    (tmp_path / "c.json").write_text(json.dumps(as_json, indent=2))
    loaded = load_manifests(tmp_path)
    assert [m.display for m in loaded] == [
        "Model/irisa0",
        "HorizontalPodAutoscaler/irisa0-model-hpa",
        "Model/irisb0",
    ]
    assert loaded[1].line_of("spec.replicas") > 1


def test_dicts_lists_and_list_kinds_are_flattened():
    items = [yaml.safe_load(MODEL), yaml.safe_load(HPA)]
    listed = load_manifests({"apiVersion": "v1", "kind": "List", "items": items})
    assert [m.display for m in listed] == [
        "Model/irisa0",
        "HorizontalPodAutoscaler/irisa0-model-hpa",
    ]
    assert [m.display for m in load_manifests(items)] == [m.display for m in listed]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
    model, hpa = load_manifests(text)
    assert model.line == 4 and hpa.line_of("spec.maxReplicas") > hpa.line > model.line


def test_bad_field_names_file_line_object_and_field(tmp_path):
    path = tmp_path / "hpa.yaml"
    path.write_text(HPA.replace("maxReplicas: 3", 'maxReplicas: "three"'))
    assert errors_of(path) == [
        f"{path}:11: HorizontalPodAutoscaler/irisa0-model-hpa: spec.maxReplicas: must be an "
        'integer >= 1, got "three"'
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "replicas: 1",
            "replicas: one",
            'Model/irisa0: spec.replicas: must be an integer >= 0, got "one"',
        ),
        (
            "memory: 3M",
            "memory: lots",
            'spec.memory: must be a quantity (e.g. 3, 500m, 100Mi), got "lots"',
        ),
        ("- sklearn", "- 3", "spec.requirements: must be a list of strings, got [3]"),
        ("  storageUri: gs://seldon-models/testing/iris1\n", "", "spec.storageUri: required"),
        ("  name: irisa0\n", "  labels: {}\n", "Model/<unnamed>: metadata.name: required"),
    ],
)
def test_model_field_types(old, new, expected):
    (error,) = errors_of(MODEL.replace(old, new))
    assert error.startswith("<string>:") and expected in error


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("maxReplicas: 3", "maxReplicas: 0", "spec.maxReplicas: must be an integer >= 1, got 0"),
        ("minReplicas: 1", "minReplicas: 5", "spec.minReplicas: must be <= maxReplicas 3, got 5"),
        (
            "  - type: Object",
            "  - type: Custom",
            "spec.metrics[0].type: must be one of Object, Pods",
        ),
        (
            "type: AverageValue",
            "type: Utilization",
            'target.type: must be one of Value, AverageValue, got "Utilization"',
        ),
        ("averageValue: 3", "averageValue: -1", "target.averageValue: must be positive, got -1"),
        ("averageValue: 3", "value: 3", "spec.metrics[0].object.target.averageValue: required"),
        (
            "    kind: Model\n    name: irisa0\n  minReplicas",
            "    kind: Model\n  minReplicas",
            "spec.scaleTargetRef.name: required",
        ),
        (
            "apiVersion: autoscaling/v2",
            "apiVersion: autoscaling/v1",
            'apiVersion: must be autoscaling/v2, got "autoscaling/v1"',
        ),
    ],
)
def test_hpa_shape(old, new, expected):
    text = HPA.replace(old, new, 1)
    assert text != HPA
    errors = errors_of(text)
    assert all("HorizontalPodAutoscaler/irisa0-model-hpa: " in error for error in errors)
    assert any(expected in error for error in errors), errors


def test_hpa_behavior_bounds():
    behavior = """\
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 4000
      selectPolicy: Maximum
      policies:
      - type: Pods
        value: 5
        periodSeconds: 1801
    scaleDown:
      policies:
      - type: Replicas
        value: 0
        periodSeconds: 60
"""
    errors = errors_of(HPA + behavior)
    assert [e.split(": ", 2)[2] for e in errors] == [
        "spec.behavior.scaleUp.stabilizationWindowSeconds: must be an integer 0..3600, got 4000",
        'spec.behavior.scaleUp.selectPolicy: must be one of Max, Min, Disabled, got "Maximum"',
        "spec.behavior.scaleUp.policies[0].periodSeconds: must be an integer 1..1800, got 1801",
        'spec.behavior.scaleDown.policies[0].type: must be one of Pods, Percent, got "Replicas"',
        "spec.behavior.scaleDown.policies[0].value: must be an integer >= 1, got 0",
    ]
    assert errors[0].startswith("<string>:26: ")


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    (tmp_path / "a.yaml").write_text(MODEL.replace("replicas: 1", "replicas: x"))
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [\n")
    errors = errors_of(tmp_path)
    assert errors[0].startswith(f"{tmp_path / 'b.yaml'}:5: invalid YAML:")
    assert errors[1].startswith(f"{tmp_path / 'a.yaml'}:7: Model/irisa0: spec.replicas:")


def test_missing_file_and_non_objects():
    assert errors_of("no/such/file.yaml") == [
        "no/such/file.yaml: cannot read: No such file or directory"
    ]
    assert errors_of("a\x00b.yaml") == ["a\x00b.yaml: cannot read: embedded null byte"]
    (error,) = errors_of("- just\n- a list\n")
    assert error == "<string>:1: document is a list, not a mapping"
    (error,) = errors_of({"inputs": []})
    assert "not a Kubernetes object (no apiVersion, no kind)" in error


def test_unknown_kinds_are_kept():
    (pipeline,) = load_manifests(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Pipeline\nmetadata: {name: p}\nspec: {}\n"
    )
    assert pipeline.kind == "Pipeline"


def test_helm_values_are_recognised_by_chart(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("autoscaling:\n  autoscalingServerEnabled: false\n")
    (values,) = load_manifests(path)
    assert (values.kind, values.is_helm_values, helm_chart(values.obj)) == (
        HELM_VALUES,
        True,
        SETUP_CHART,
    )
    assert (
        ref(values) == "helmvalues/values.yaml"
        and values.line_of("autoscaling.autoscalingServerEnabled") == 2
    )
    assert helm_chart({"mlserver": {"replicas": 2}}) == SERVERS_CHART
    (error,) = errors_of("autoscaling:\n  autoscalingServerEnabled: 'no'\n")
    assert 'autoscaling.autoscalingServerEnabled: must be true or false, got "no"' in error


def test_reference_data_loads():
    # file by file: the samples are alternatives, several of them define Model/iris
    files = [
        REFERENCE / "hpa" / "docs-single-model-serving-hpa-model-and-server.yaml",
        *sorted((REFERENCE / "samples").rglob("*.yaml")),
        *sorted((REFERENCE / "rendered").rglob("*.yaml")),
        REFERENCE / "helm" / "seldon-core-v2-setup.values.yaml",
        REFERENCE / "prometheus" / "docs-hpa-setup-prometheus-adapter.config.yaml",
    ]
    loaded = [manifest for path in files for manifest in load_manifests(path)]
    kinds = {m.kind for m in loaded}
    assert {
        "Model",
        "Server",
        "ServerConfig",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        HELM_VALUES,
    } <= kinds


def test_parse_path():
    assert parse_path("spec.metrics[0].object.target.type") == (
        "spec",
        "metrics",
        0,
        "object",
        "target",
        "type",
    )
    assert parse_path("data.config.yaml") == ("data", "config", "yaml")


def test_digest_ignores_order_files_and_formatting():
    model, hpa = yaml.safe_load(MODEL), yaml.safe_load(HPA)
    one = digest(load_manifests(MODEL + "---\n" + HPA))
    assert one == digest(load_manifests([hpa, model]))
    assert one == digest([Manifest(json.loads(json.dumps(model))), Manifest(hpa)])
    changed = dict(model, spec=dict(model["spec"], replicas=2))
    assert digest(load_manifests([hpa, changed])) != one
    assert len(one) == 64


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_replicas_accept_exactly_non_negative_int32(value):
    text = MODEL.replace("replicas: 1", f"replicas: {value}")
    if 0 <= value < 2**31:
        assert load_manifests(text)[0].spec["replicas"] == value
    else:
        assert "spec.replicas: must be an integer >= 0" in errors_of(text)[0]


def test_tool_configs_without_metadata_are_kept_but_project_kinds_need_a_name():
    (cluster,) = load_manifests("apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: []\n")
    assert cluster.kind == "Cluster" and cluster.name == ""
    (error,) = errors_of("apiVersion: v1\nkind: ConfigMap\ndata: {}\n")
    assert error == "<string>:1: ConfigMap/<unnamed>: metadata: required"
