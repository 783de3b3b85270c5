"""One model of the user's setup: how a tree splits into setups, and one parse of the adapter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pytest_seldon_scaling.manifests import Manifest
from pytest_seldon_scaling.setup import adapter_config, build_setup, group_setups
from pytest_seldon_scaling.twin.adapter import parse_adapter_config

CASES = Path(__file__).parent / "cases"


def obj(kind: str, name: str, source: str, namespace: str | None = None) -> Manifest:
    api = "v1" if kind == "ConfigMap" else "mlops.seldon.io/v1alpha1"
    if kind == "HorizontalPodAutoscaler":
        api = "autoscaling/v2"
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return Manifest({"apiVersion": api, "kind": kind, "metadata": metadata}, source)


def names(groups: list[list[Manifest]]) -> list[set[str]]:
    return [{f"{m.kind[0]}:{m.name}" for m in group} for group in groups]


@pytest.mark.parametrize(
    ("manifests", "expected"),
    [
        pytest.param(
            [obj("Model", "a", "x/a.yaml"), obj("Model", "b", "y/b.yaml")],
            [{"M:a"}, {"M:b"}],
            id="one setup per directory",
        ),
        pytest.param(
            [
                obj("Server", "s", "root/s.yaml"),
                obj("ConfigMap", "adapter", "root/adapter.yaml"),
                obj("Model", "top", "root/top.yaml"),
                obj("Model", "a", "root/x/a.yaml"),
            ],
            [{"S:s", "C:adapter", "M:top"}, {"S:s", "C:adapter", "M:a"}],
            id="servers and configmaps above are shared, models are not",
        ),
        pytest.param(
            [
                obj("ConfigMap", "adapter", "adapter/cm.yaml"),
                obj("Model", "a", "x/a.yaml"),
                obj("Model", "b", "y/b.yaml"),
            ],
            [{"C:adapter", "M:a"}, {"C:adapter", "M:b"}],
            id="a folder without setup objects is shared by all",
        ),
        pytest.param(
            [
                obj("Model", "a", "d/m.yaml", "one"),
                obj("HorizontalPodAutoscaler", "h", "d/h.yaml", "two"),
                obj("Server", "s", "d/s.yaml"),
            ],
            [{"M:a", "S:s"}, {"H:h", "S:s"}],
            id="namespaces split a directory; objects without one join each",
        ),
        pytest.param(
            [obj("Model", "a", "<object>"), obj("Model", "b", "x/b.yaml")],
            [{"M:a", "M:b"}],
            id="objects that are no file belong to every setup",
        ),
        pytest.param(
            [obj("ConfigMap", "adapter", "a/cm.yaml")],
            [{"C:adapter"}],
            id="no setup objects: one setup of everything",
        ),
    ],
)
def test_group_setups(manifests, expected):
    assert names(group_setups(manifests)) == expected


def test_twin_and_lint_read_the_adapter_rule_the_same_way():
    text = (CASES / "SCL006" / "pass.yaml").read_text()
    configmap = next(d for d in yaml.safe_load_all(text) if d and d.get("kind") == "ConfigMap")
    parsed = adapter_config(Manifest(configmap, "adapter.yaml"))
    (lint_rule,) = parsed.rules
    (twin_rule,) = parse_adapter_config(configmap)
    assert twin_rule.rule == lint_rule  # one parse, the twin compiles its query on top
    assert lint_rule.metric_names() == frozenset({"infer_rps"})
    assert lint_rule.serves("Model") and twin_rule.label_for("mlops.seldon.io", "models")


def test_an_unset_name_as_follows_the_adapter_one_capture_group_is_the_name():
    # prometheus-adapter (pkg/naming): an empty `as` is $1 with one capture group, else $0.
    configmap = {
        "kind": "ConfigMap",
        "metadata": {"name": "adapter"},
        "data": {
            "config.yaml": yaml.safe_dump(
                {
                    "rules": [
                        {
                            "seriesQuery": '{__name__="seldon_model_infer_total"}',
                            "name": {"matches": "^(.*)_total$"},
                            "metricsQuery": "sum by (<<.GroupBy>>) "
                            "(rate(<<.Series>>{<<.LabelMatchers>>}[1m]))",
                        }
                    ]
                }
            )
        },
    }
    (rule,) = parse_adapter_config(configmap)
    assert rule.metric_name() == "seldon_model_infer"
    assert adapter_config(Manifest(configmap)).rules[0].metric_name() == "seldon_model_infer"


def test_build_setup_indexes_what_the_rules_and_suites_read():
    from pytest_seldon_scaling.manifests import load_manifests

    setup = build_setup(load_manifests(CASES / "SCL010" / "pass.yaml"))
    assert set(setup.models) == {"irisa0"} and "mlserver" in setup.servers
    assert [m.name for _, m in setup.model_hpas()] == ["irisa0"]
    assert [s.name for _, s in setup.server_hpas()] == ["mlserver"]
