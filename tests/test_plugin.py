"""The plugin as a user meets it: options, skips, markers, fixtures, the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_seldon_scaling.resources import default_manifests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "examples"

USES_CLUSTER = """
def test_needs_a_cluster(seldon):
    assert seldon.backend == "twin"
"""


def test_tests_needing_a_cluster_are_skipped_with_how_to_enable(pytester):
    pytester.makepyfile(USES_CLUSTER)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*needs a Seldon Core 2 cluster: run pytest with --seldon-cluster*"]
    )


def test_bare_flag_uses_the_ini_default(pytester):
    pytester.makepyfile(USES_CLUSTER)
    pytester.makeini("[pytest]\nseldon_cluster = twin\n")
    pytester.runpytest("--seldon-cluster").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "--seldon-cluster=minikube",
            "*--seldon-cluster='minikube': expected one of twin, kind, existing*",
        ),
        ("--seldon-ramp=fast", "*--seldon-ramp='fast': 'fast' is not a duration*"),
        (
            "--seldon-packing-percentage=101",
            "*--seldon-packing-percentage='101': must be between 0 and 100*",
        ),
        ("--seldon-core-version=2.7", "*'2.7' is not a supported Core 2 version*"),
        ("--seldon-manifests=nowhere.yaml", "*--seldon-manifests='nowhere.yaml': no such file*"),
    ],
)
def test_bad_options_stop_the_run_with_one_clear_message(pytester, option, message):
    pytester.makepyfile(USES_CLUSTER)
    result = pytester.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_manifest_names_file_object_and_field(pytester):
    pytester.makepyfile(USES_CLUSTER)
    pytester.path.joinpath("hpa.yaml").write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata: {name: iris-hpa}\nspec:\n"
        "  scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: iris}\n"
        "  maxReplicas: three\n"
    )
    result = pytester.runpytest("--seldon-cluster", "--seldon-manifests=hpa.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*hpa.yaml:*HorizontalPodAutoscaler/iris-hpa*spec.maxReplicas*"])


def test_marker_rejects_unknown_settings(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.seldon(timeuot=5)
        def test_typo(seldon):
            pass
        """
    )
    result = pytester.runpytest("--seldon-cluster")
    result.stdout.fnmatch_lines(["*@pytest.mark.seldon takes only keywords*timeuot*"])


def test_marker_picks_the_core_version_per_test(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.seldon(core_version="2.9")
        def test_old(seldon):
            assert seldon.core_version == "2.9"

        def test_default(seldon):
            assert seldon.core_version == "2.10"
        """
    )
    pytester.runpytest("--seldon-cluster").assert_outcomes(passed=2)


def test_objects_a_test_created_are_removed(pytester):
    shutil.copytree(EXAMPLE / "manifests", pytester.path / "manifests")
    pytester.makepyfile(
        """
        def test_a(seldon_session):
            with seldon_session.open("first") as handle:
                handle.apply("manifests")
                assert "model/iris" in handle.created
            assert handle.created == []
        """
    )
    pytester.runpytest("--seldon-cluster").assert_outcomes(passed=1)


def test_the_readme_example_runs_and_is_in_the_readme(pytester):
    shutil.copytree(EXAMPLE / "manifests", pytester.path / "manifests")
    example = (EXAMPLE / "test_iris_autoscaling.py").read_text()
    pytester.makepyfile(test_readme_example=example)
    result = pytester.runpytest("--seldon-cluster", "test_readme_example.py")
    result.assert_outcomes(passed=1)
    assert example.strip() in (ROOT / "README.md").read_text()


def test_suites_write_the_report_and_the_terminal_summary(pytester):
    result = pytester.runpytest(
        "--seldon-cluster",
        "--pyargs",
        "pytest_seldon_scaling.suites",
        "--seldon-report=out",
        "--junitxml=junit.xml",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(["*Seldon Core 2 conformance*", "*report: *out/report.html"])
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["MHPA-01[iris-shared-model-hpa]"]["status"] == "passed"
    assert checks["LAG-01[mlserver-shared]"]["status"] == "skipped"
    assert "force-disabled" in checks["LAG-01[mlserver-shared]"]["message"]
    assert report["facts"]["backend"] == "twin"
    assert (pytester.path / "out" / "report.html").stat().st_size > 10_000
    assert 'name="seldon_backend" value="twin"' in (pytester.path / "junit.xml").read_text()


NON_CONFORMING = """
apiVersion: mlops.seldon.io/v1alpha1
kind: Server
metadata: {name: small}
spec: {serverConfig: mlserver, replicas: 1, minReplicas: 1, maxReplicas: 1}
---
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata: {name: iris}
spec:
  storageUri: gs://seldon-models/scv2/samples/mlserver_1.6.0/iris-sklearn
  requirements: [sklearn]
  replicas: 1
  server: small
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: iris-hpa}
spec:
  scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: iris}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Object
    object:
      metric: {name: infer_rps}
      describedObject: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: iris}
      target: {type: AverageValue, averageValue: 5}
"""


def test_a_setup_that_does_not_conform_fails_its_check_readably(pytester):
    manifests = pytester.path / "mine"
    manifests.mkdir()
    (manifests / "iris.yaml").write_text(NON_CONFORMING)
    shutil.copy(default_manifests() / "adapter-configmap.yaml", manifests)
    result = pytester.runpytest(
        "--seldon-cluster",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_model_hpa",
        "--seldon-manifests=mine",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(
        [
            "*FAILED*test_reaches_max_replicas_at_capacity*",
        ]
    )
    result.stdout.fnmatch_lines(["*model/iris did not converge to 3 available replicas*"])
    result.stdout.fnmatch_lines(["*ScheduleFailed*"])


@pytest.mark.parametrize(
    ("module", "options", "passed"),
    [
        ("test_packing.py", ["--seldon-packing=true"], 3),
        (
            "test_lag_autoscaling.py",
            ["--seldon-core-version=2.9", "--seldon-model-autoscaling=true"],
            3,
        ),
        ("test_server_autoscaling.py", ["--seldon-core-version=2.9"], 4),
    ],
)
def test_optional_approaches_run_when_enabled(pytester, module, options, passed):
    result = pytester.runpytest(
        "--seldon-cluster",
        "--pyargs",
        f"pytest_seldon_scaling.suites.{module.removesuffix('.py')}",
        *options,
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=passed)


def test_applying_a_wrong_manifest_names_file_line_object_and_field(pytester):
    pytester.path.joinpath("m.yaml").write_text(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: m}\n"
        "spec:\n  storageUri: gs://x\n  min_replicas: 2\n"
    )
    pytester.makepyfile(
        """
        def test_apply(seldon):
            seldon.apply("m.yaml")
        """
    )
    result = pytester.runpytest("--seldon-cluster")
    result.stdout.fnmatch_lines(
        ["*m.yaml:6: Model/m: spec.min_replicas: unknown field (not in the Model CRD)*"]
    )
