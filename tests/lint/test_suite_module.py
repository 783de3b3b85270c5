"""The lint conformance module (suites/test_lint.py) run by pytest on given manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_seldon_scaling.lint import RULES

pytest_plugins = ["pytester"]

SUITE = Path(__file__).parents[2] / "pytest_seldon_scaling" / "suites" / "test_lint.py"
CASES = Path(__file__).parent / "cases"

CONFTEST = """
import pytest
from pytest_seldon_scaling.manifests import load_manifests

def pytest_configure(config):
    config.addinivalue_line("markers", "seldon_check(id, title): a conformance check")

@pytest.fixture(scope="session")
def seldon_manifests():
    return load_manifests(*{paths!r})
"""

# Without the other installed plugins and assertion rewriting an inner run takes ~0.1 s.
ISOLATED = (
    "--assert=plain",
    "-p",
    "no:cacheprovider",
    *(
        arg
        for plugin in ("seldon_scaling", "locust", "hypothesispytest", "pytest-kind", "anyio")
        for arg in ("-p", f"no:{plugin}")
    ),
)


def run_suite(pytester: pytest.Pytester, *paths: Path, args: tuple[str, ...] = ()):
    pytester.makeconftest(CONFTEST.format(paths=[str(p) for p in paths]))
    pytester.makepyfile(test_lint=SUITE.read_text())
    return pytester.runpytest_inprocess(*ISOLATED, *args)


def test_one_check_per_rule_with_errors_listed_one_per_line(pytester):
    path = CASES / "SCL007" / "fail.yaml"
    # -W error: the two info findings (SCL006 unchecked metric, SCL013) are no warnings
    result = run_suite(pytester, path, args=("-rf", "-W", "error"))
    result.assert_outcomes(passed=len(RULES) - 1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_lint*SCL007-model-hpa-above-server-capacity*",
            f"{path}:32:3: SCL007 (model-hpa-above-server-capacity) error "
            "HorizontalPodAutoscaler/irisa0-model-hpa: the HPA may ask*",
        ]
    )


def test_warnings_do_not_fail_but_are_listed(pytester):
    path = CASES / "SCL014" / "fail.yaml"
    result = run_suite(pytester, path)
    result.assert_outcomes(passed=len(RULES), warnings=1)
    result.stdout.fnmatch_lines(
        [f"*SeldonLintWarning: {path}:5:1: SCL014 (server-min-max-myth) warning Server/mlserver:*"]
    )


def test_item_ids_are_stable(pytester):
    result = run_suite(pytester, CASES / "SCL001" / "pass.yaml", args=("--collect-only", "-q"))
    result.stdout.fnmatch_lines(["test_lint.py::test_lint[SCL001-scale-target-without-replicas]"])
    assert sum("::test_lint[SCL" in line for line in result.outlines) == len(RULES)


def test_no_manifests_skips_with_the_reason(pytester):
    result = run_suite(pytester, args=("-rs",))
    result.assert_outcomes(skipped=len(RULES))
    result.stdout.fnmatch_lines(["*no manifests to lint: pass them with --seldon-manifests*"])


SETTINGS = """

import types

@pytest.fixture(scope="session")
def seldon_settings():
    values = {{
        "autoscaling.autoscalingServerEnabled": {server},
        "autoscaling.autoscalingModelEnabled": False,
        "autoscaling.serverPackingEnabled": False,
        "autoscaling.serverPackingPercentage": 1.0,
    }}
    return types.SimpleNamespace(core_version="2.10", helm_settings=lambda: values)
"""


@pytest.mark.parametrize(("server_autoscaling", "warnings"), [(True, 1), (False, 0)])
def test_run_settings_describe_the_cluster(pytester, server_autoscaling, warnings):
    path = CASES / "SCL011" / "fail.yaml"
    pytester.makeconftest(
        CONFTEST.format(paths=[str(path)]) + SETTINGS.format(server=server_autoscaling)
    )
    pytester.makepyfile(test_lint=SUITE.read_text())
    result = pytester.runpytest_inprocess(*ISOLATED, "-k", "SCL011 or SCL015")
    result.assert_outcomes(passed=2, warnings=warnings)


def test_run_settings_are_named_by_their_options_and_lint_is_its_own_approach(pytester, tmp_path):
    import json

    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "--seldon-cluster",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_lint",
        "--seldon-packing=true",
        "--seldon-packing-percentage=0.5",  # a fraction the setup chart cannot install
        f"--seldon-report={tmp_path}",
    )
    result.assert_outcomes(passed=len(RULES) - 1, failed=1)
    out = result.stdout.str()
    assert "SCL020 (packing-percentage-fraction) error HelmValues/" in out
    assert "--seldon-server-autoscaling/--seldon-packing*/--seldon-model-autoscaling options" in out
    assert "<--seldon" not in out
    checks = json.loads((tmp_path / "report.json").read_text())["checks"]
    assert {c["approach"] for c in checks} == {"Static lint (SCL rules)"}
