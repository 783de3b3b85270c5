"""Every lint rule fires on its failing manifest and stays quiet on its passing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_seldon_scaling.lint import RULES, lint
from pytest_seldon_scaling.manifests import load_manifests

CASES = Path(__file__).parent / "cases"


def findings_of(rule_id: str, path: Path) -> list:
    return [
        f for f in lint(load_manifests(path, duplicates_are_errors=False)) if f.rule_id == rule_id
    ]


def test_every_rule_has_a_failing_and_a_passing_case():
    assert sorted(p.name for p in CASES.iterdir()) == sorted(RULES)
    for rule_id in RULES:
        assert (CASES / rule_id / "fail.yaml").is_file()
        assert (CASES / rule_id / "pass.yaml").is_file()


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_fires_on_failing_manifest(rule_id):
    path = CASES / rule_id / "fail.yaml"
    findings = findings_of(rule_id, path)
    assert findings, f"{rule_id} found nothing in {path}"
    for finding in findings:
        assert finding.source == str(path)
        assert finding.line > 0
        assert finding.object_ref.count("/") == 1
        assert finding.message and finding.fix


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_quiet_on_passing_manifest(rule_id):
    assert findings_of(rule_id, CASES / rule_id / "pass.yaml") == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_is_documented(rule_id):
    rule = RULES[rule_id]
    assert rule.summary and len(rule.description) > len(rule.summary)
    assert rule.severity in ("error", "warning", "info")
