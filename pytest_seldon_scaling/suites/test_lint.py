"""Static conformance: the lint rules over the manifests given with ``--seldon-manifests``.

One check per rule (stable IDs such as ``test_lint[SCL007-model-hpa-above-server-capacity]``),
so the conformance report shows every static rule beside the dynamic suites. A rule with
error findings fails and lists them one per line (``file:line:col: SCL007 (name) error HPA/x:
... Fix: ...``); warnings do not fail the check but are reported one per line as
:class:`SeldonLintWarning`, so ``-W error`` turns them into failures. Infos are no warning
(they describe, they do not warn); every finding is kept in the item's ``user_properties``.

The run's ``--seldon-*`` autoscaling settings (native server autoscaling, packing, model
autoscaling, Core version) describe the cluster; helm values among the manifests override them.
"""

from __future__ import annotations

import json
import warnings

import pytest

from pytest_seldon_scaling.lint import RULES, run_rules
from pytest_seldon_scaling.manifests import Manifest
from pytest_seldon_scaling.suites import SeldonLintWarning

APPROACH = "Static lint (SCL rules)"

# Where findings on the run's settings point (they are no file): the options that set them.
OPTIONS_SOURCE = "--seldon-server-autoscaling/--seldon-packing*/--seldon-model-autoscaling options"


def _settings_as_helm_values(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    """Core version and the run's autoscaling settings, as setup-chart values."""
    try:
        settings = request.getfixturevalue("seldon_settings")
    except pytest.FixtureLookupError:
        return "2.10", []
    # helm_settings() also carries chart_version (a patch release such as 2.10.2), not a value
    autoscaling = {
        key.removeprefix("autoscaling."): value
        for key, value in settings.helm_settings().items()
        if key.startswith("autoscaling.")
    }
    if not autoscaling.get("serverPackingEnabled"):
        autoscaling.pop("serverPackingPercentage", None)  # ignored by Core 2 when packing is off
    values = Manifest({"autoscaling": autoscaling}, OPTIONS_SOURCE)
    return settings.core_version, [values]


CHECKS = [
    pytest.param(
        rule_id,
        id=f"{rule_id}-{RULES[rule_id].name}",
        marks=pytest.mark.seldon_check(rule_id, RULES[rule_id].summary),
    )
    for rule_id in sorted(RULES)
]


@pytest.mark.parametrize("rule_id", CHECKS)
def test_lint(rule_id: str, seldon_manifests, request: pytest.FixtureRequest) -> None:
    if not seldon_manifests:
        pytest.skip("no manifests to lint: pass them with --seldon-manifests")
    core_version, settings = _settings_as_helm_values(request)
    findings = run_rules(
        seldon_manifests, core_version=core_version, rules=[rule_id], shared=settings
    ).findings
    request.node.user_properties.append(
        ("seldon_lint_findings", json.dumps([f.to_dict() for f in findings]))
    )
    for finding in findings:
        if finding.severity == "warning":
            warnings.warn(SeldonLintWarning(finding.format()), stacklevel=1)
    if any(f.severity == "error" for f in findings):
        ordered = sorted(findings, key=lambda f: f.severity != "error")  # errors first
        pytest.fail("\n".join(f.format() for f in ordered), pytrace=False)
