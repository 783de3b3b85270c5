"""Option values that cannot be run stop the run before any test, naming option and value."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USES_CLUSTER = """
def test_needs_a_cluster(seldon_settings):
    print("settings", seldon_settings.packing_percentage, seldon_settings.request_timeout,
          seldon_settings.max_p99_ms)
"""


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--seldon-peak-rps=inf", "*--seldon-peak-rps='inf': must be a finite number > 0*"),
        ("--seldon-peak-rps=nan", "*--seldon-peak-rps='nan': must be a finite number > 0*"),
        ("--seldon-max-error-rate=nan", "*--seldon-max-error-rate='nan': must be a fraction*"),
        ("--seldon-convergence-time=1e300", "*--seldon-convergence-time='1e300': must be at*"),
        ("--seldon-hold=100000h", "*--seldon-hold='100000h': must be at most 24h*"),
        ("--seldon-request-timeout=0", "*--seldon-request-timeout='0': must be a duration > 0*"),
        ("--seldon-request-timeout=2h", "*--seldon-request-timeout='2h': must be at most 1h*"),
        ("--seldon-max-p99-ms=-5", "*--seldon-max-p99-ms='-5': must be a finite number > 0*"),
        ("--seldon-packing-percentage=-1", "*--seldon-packing-percentage='-1': must be betw*"),
    ],
)
def test_unbounded_or_non_finite_values_are_usage_errors(pytester, option, message):
    pytester.makepyfile(USES_CLUSTER)
    result = pytester.runpytest("--seldon-cluster", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_packing_percentage_as_the_docs_write_it_is_accepted_as_given(pytester):
    # Core 2 compares a uniform draw with 1 - value: 25 means every scale-down tries packing
    pytester.makepyfile(USES_CLUSTER)
    result = pytester.runpytest("--seldon-cluster", "--seldon-packing-percentage=25", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*settings 25.0 10.0 1000.0*"])


def test_timeout_and_p99_limit_from_ini_keys(pytester):
    pytester.makepyfile(USES_CLUSTER)
    pytester.makeini("[pytest]\nseldon_request_timeout = 2s\nseldon_max_p99_ms = 250\n")
    result = pytester.runpytest("--seldon-cluster", "-s")
    result.stdout.fnmatch_lines(["*settings 1.0 2.0 250.0*"])


def test_report_at_a_file_stops_the_run(pytester):
    pytester.makepyfile(USES_CLUSTER)
    pytester.path.joinpath("taken").write_text("not a directory\n")
    for where in ("taken", "taken/inside"):
        result = pytester.runpytest("--seldon-cluster", f"--seldon-report={where}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [f"*--seldon-report='{where}': 'taken' is a file; the report needs a directory*"]
        )
