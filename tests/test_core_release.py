"""A patch release (``--seldon-core-version=2.10.2``) works wherever a minor version does."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_lint_suite_runs_with_a_patch_release(pytester):
    result = pytester.runpytest_inprocess(
        "--seldon-cluster",
        "--seldon-core-version=2.10.2",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_lint",
        "-p",
        "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 18
    assert "failed" not in outcomes and "errors" not in outcomes, result.outlines[-5:]
