"""Lint over generated manifest sets: never crashes, deterministic, well-formed findings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.lint import RULES, SEVERITIES, exit_code, lint
from pytest_seldon_scaling.manifests import ManifestError, load_manifests

SELDON = "mlops.seldon.io/v1alpha1"
replicas = st.one_of(st.none(), st.integers(-1, 6))


def scaling(draw, spec: dict) -> dict:
    for key in ("replicas", "minReplicas", "maxReplicas"):
        value = draw(replicas)
        if value is not None:
            spec[key] = value
    return spec


@st.composite
def manifest_sets(draw):
    servers = draw(st.lists(st.sampled_from(["mlserver", "triton", "custom"]), unique=True))
    models = draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, min_size=1))
    objects = []
    for name in servers:
        spec = scaling(draw, {"serverConfig": draw(st.sampled_from(["mlserver", "triton", "x"]))})
        if draw(st.booleans()):
            spec["capabilities"] = draw(st.lists(st.sampled_from(["sklearn", "tensorflow"])))
        objects.append(
            {"apiVersion": SELDON, "kind": "Server", "metadata": {"name": name}, "spec": spec}
        )
    for name in models:
        spec = scaling(draw, {"storageUri": "gs://m"})
        spec["requirements"] = draw(st.lists(st.sampled_from(["sklearn", "tensorflow", "gpu"])))
        spec["memory"] = draw(st.sampled_from(["3M", "100Ki", "2Gi", 5]))
        if draw(st.booleans()):
            spec["server"] = draw(st.sampled_from(["mlserver", "triton", "custom", "nope"]))
        objects.append(
            {"apiVersion": SELDON, "kind": "Model", "metadata": {"name": name}, "spec": spec}
        )
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["Model", "Server", "model"]))
        target = draw(st.sampled_from(["a", "b", "mlserver", "missing"]))
        low = draw(st.integers(1, 3))
        target_type = draw(st.sampled_from(["Value", "AverageValue"]))
        value_key = "value" if target_type == "Value" else "averageValue"
        metric = {
            "type": "Object",
            "object": {
                "metric": {"name": draw(st.sampled_from(["infer_rps", "other"]))},
                "describedObject": {"apiVersion": SELDON, "kind": "Model", "name": target},
                "target": {"type": target_type, value_key: 3},
            },
        }
        objects.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": f"hpa{index}"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": SELDON, "kind": kind, "name": target},
                    "minReplicas": low,
                    "maxReplicas": low + draw(st.integers(0, 4)),
                    "metrics": [metric],
                },
            }
        )
    if draw(st.booleans()):
        objects.append(
            {
                "autoscaling": {
                    "autoscalingModelEnabled": draw(st.booleans()),
                    "autoscalingServerEnabled": draw(st.booleans()),
                    "serverPackingPercentage": draw(st.sampled_from([0, 0.25, 1, 25])),
                }
            }
        )
    return objects


@settings(max_examples=100, deadline=None)
@given(manifest_sets(), st.sampled_from(["2.8", "2.9", "2.10", "2.11"]))
def test_lint_is_total_and_deterministic(objects, core_version):
    try:
        manifests = load_manifests(objects)
    except ManifestError:
        return
    findings = lint(manifests, core_version=core_version)
    assert findings == lint(manifests, core_version=core_version)
    reordered = lint(list(reversed(manifests)), core_version=core_version)
    assert {(f.rule_id, f.object_ref) for f in reordered} == {
        (f.rule_id, f.object_ref) for f in findings
    }
    for finding in findings:
        assert finding.rule_id in RULES and finding.severity in SEVERITIES
        assert finding.message and finding.fix and "/" in finding.object_ref
    assert exit_code(findings) == int(any(f.severity == "error" for f in findings))
