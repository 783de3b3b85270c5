"""The plugin as a user meets it: options, skips, markers, fixtures, the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.manifests import in_namespace, load_manifests
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


def test_seldon_settings_shows_what_the_marker_of_the_test_set(pytester):
    pytester.makepyfile(
        """
        import pytest

        TWIN = {"server_packing_enabled": True, "server_packing_percentage": 1.0,
                "request_timeout_seconds": 3, "pod_start_seconds": 60}

        @pytest.mark.seldon(core_version="2.9.1", seed=7, twin=TWIN)
        def test_marked(seldon_settings, seldon):
            s = seldon_settings
            assert (s.core_version, s.seed) == ("2.9", 7) == (seldon.core_version, s.seed)
            assert (s.packing, s.packing_percentage, s.request_timeout) == (True, 1.0, 3)
            assert s.helm_settings()["autoscaling.serverPackingEnabled"] is True

        def test_unmarked(seldon_settings):
            s = seldon_settings
            assert (s.core_version, s.seed, s.packing, s.request_timeout) == ("2.10", 0, False, 10)

        @pytest.fixture(scope="module")
        def shared(seldon_session):
            return seldon_session.settings

        @pytest.mark.seldon(core_version="2.9")
        def test_module_fixtures_read_the_session(shared):
            assert shared.core_version == "2.10"
        """
    )
    result = pytester.runpytest("--seldon-cluster", "--seldon-seed=0")
    result.assert_outcomes(passed=3)


def test_on_a_shared_cluster_a_marker_changes_no_helm_value_and_another_version_skips(
    pytester,
):
    pytester.makepyfile(
        """
        import dataclasses
        import pytest
        from pytest_seldon_scaling import plugin

        def test_kind(seldon_settings):
            kind = dataclasses.replace(seldon_settings, cluster="kind")
            marked = plugin._scenario_settings(kind, None, 5, {"server_packing_enabled": True})
            assert (marked.seed, marked.packing) == (5, False)
            plugin._scenario_settings(kind, "2.9", None, None)
        """
    )
    result = pytester.runpytest("--seldon-cluster", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*needs Core 2 2.9; the cluster runs 2.10*"])


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


def test_the_default_manifests_run_in_the_namespace_of_the_run(pytester):
    result = pytester.runpytest(
        "--seldon-cluster",
        "--seldon-namespace=prod",
        "--pyargs",
        "pytest_seldon_scaling.suites",
        "--seldon-report=out",
        "-p",
        "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert "error" not in outcomes and "errors" not in outcomes, result.stdout.str()[-2000:]
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["MHPA-01[iris-shared-model-hpa]"]["status"] == "passed"


def test_a_passing_run_at_1_rps_says_target_reached(pytester):
    # the Model HPA scenario ends holding 1 rps: a request across a 5 s window edge is 20 %
    result = pytester.runpytest(
        "--seldon-cluster",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_model_hpa",
        "--seldon-report=out",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == 0
    html = (pytester.path / "out" / "report.html").read_text()
    assert "target reached" in html and "target NOT reached" not in html


def test_the_defaults_move_into_a_namespace_but_the_adapter_configmap_stays():
    loaded = load_manifests(default_manifests())
    moved = in_namespace(loaded, "prod")
    where = {m.display: m.namespace for m in moved}
    assert where["ConfigMap/hpa-metrics-prometheus-adapter"] == "seldon-monitoring"
    assert {ns for d, ns in where.items() if not d.startswith("ConfigMap/")} == {"prod"}
    assert {m.namespace for m in loaded if m.kind == "Model"} == {"seldon-mesh"}  # copies
    model = next(m for m in moved if m.kind == "Model")
    assert model.line_of("metadata.namespace") > 1  # still points into the file


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


# -- the session's verdict --------------------------------------------------------------------


def _report(directory: Path) -> dict:
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))


def test_an_empty_manifests_directory_stops_the_run_naming_it(pytester):
    pytester.makepyfile(USES_CLUSTER)
    pytester.mkdir("deploy")
    pytester.path.joinpath("deploy", "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    )
    pytester.mkdir("empty")
    for path in ("empty", "deploy"):
        result = pytester.runpytest("--seldon-cluster", f"--seldon-manifests={path}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"--seldon-manifests={path}: no Seldon objects in it*"])
    # beside a path that has them, the empty one is still named
    given = f"--seldon-manifests={EXAMPLE / 'manifests'}"
    result = pytester.runpytest("--seldon-cluster", given, "--seldon-manifests=empty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--seldon-manifests=empty: no Seldon objects" in result.stderr.str()
    assert "examples/manifests: no Seldon" not in result.stderr.str()


INTERRUPTED = """
import os, signal, time

def test_a_finished_check(seldon):
    pass

def test_stopped_here(seldon):
    {stop}
    time.sleep(30)

def test_never_run(seldon):
    pass
"""


@pytest.mark.parametrize(
    ("stop", "why"),
    [
        ("os.kill(os.getpid(), signal.SIGTERM)", "SIGTERM"),
        ("raise KeyboardInterrupt", "Ctrl-C (KeyboardInterrupt)"),
    ],
)
def test_an_interrupted_run_says_interrupted_with_the_checks_that_finished(pytester, stop, why):
    pytester.makepyfile(INTERRUPTED.format(stop=stop))
    result = pytester.runpytest_subprocess("--seldon-cluster", "--seldon-report=report")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [f"*: INTERRUPTED — Passed: 1, Failed: 0, Skipped: 0 (interrupted: {why};*"]
    )
    report = _report(pytester.path / "report")
    assert report["summary"]["status"] == "interrupted"
    assert report["facts"]["interrupted"] == why
    assert [(c["id"].split("::")[-1], c["status"]) for c in report["checks"]] == [
        ("test_a_finished_check", "passed")
    ]
    html = (pytester.path / "report" / "report.html").read_text(encoding="utf-8")
    assert ">interrupted</span>" in html.split('class="summary"')[1].split("</p>")[0]
    assert main(["report", str(pytester.path / "report")]) == 1  # never a green re-render


XDIST_INTERRUPTED = """
import os, signal, time

def test_a_finished_check(seldon):
    pass

def test_stopped_here(seldon):
    time.sleep(2)  # the controller takes in the first test's report first
    os.kill(os.getppid(), signal.SIGTERM)  # the worker's parent: the controlling pytest
    time.sleep(30)
"""


def test_an_interrupted_xdist_run_keeps_the_checks_the_workers_finished(pytester):
    pytester.makepyfile(XDIST_INTERRUPTED)
    result = pytester.runpytest_subprocess("--seldon-cluster", "--seldon-report=report", "-n", "2")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = _report(pytester.path / "report")
    assert (report["summary"]["status"], report["facts"]["interrupted"]) == (
        "interrupted",
        "SIGTERM",
    )
    assert [(c["id"].split("::")[-1], c["status"]) for c in report["checks"]] == [
        ("test_a_finished_check", "passed")
    ]


USER_TESTS = """
import pytest

def test_uses_only_the_session(seldon_session):
    with seldon_session.open("mine") as handle:
        assert handle.backend == "nowhere"

@pytest.mark.seldon(core_version="2.9")
def test_on_2_9(seldon):
    assert seldon.core_version == "2.9"

def test_without_the_plugin():
    assert False
"""


def test_every_test_of_the_session_counts_and_a_failed_one_is_never_passed(pytester):
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest("--seldon-cluster", "--seldon-report=report")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*conformance (twin, Core 2 2.10*): FAILED — Passed: 1, Failed: 1, Skipped: 0, "
            "other failed tests: 1",
            "*PASSED*test_on_2_9*(Core 2 2.9)",
        ]
    )
    report = _report(pytester.path / "report")
    assert report["summary"]["status"] == "failed"
    checks = {c["id"].split("::")[-1]: c for c in report["checks"]}
    assert checks["test_uses_only_the_session"]["status"] == "failed"
    assert checks["test_on_2_9"]["core_version"] == "2.9"
    assert report["facts"]["other_failures"] == 1


def test_an_asked_for_cluster_that_cannot_run_stops_the_run(pytester):
    pytester.makepyfile(USES_CLUSTER)
    missing = pytester.path / "no-kubeconfig"
    result = pytester.runpytest("--seldon-cluster=existing", f"--seldon-kubeconfig={missing}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        ["*Exit: --seldon-cluster=existing cannot run here: *(--seldon-allow-skip skips instead)*"]
    )
    result.assert_outcomes()  # nothing passed, nothing "skipped into green"


def test_allow_skip_skips_when_the_asked_for_cluster_cannot_run(pytester):
    pytester.makepyfile(USES_CLUSTER)
    missing = pytester.path / "no-kubeconfig"
    result = pytester.runpytest(
        "--seldon-cluster=existing", f"--seldon-kubeconfig={missing}", "--seldon-allow-skip", "-rs"
    )
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*--seldon-cluster=existing cannot run here: *"])


def _suite_checks(pytester, *args: str) -> tuple[list[tuple[str, str]], list[str]]:
    report = pytester.path / f"report{len(args)}"
    result = pytester.runpytest_subprocess(
        "--seldon-cluster", "suites", f"--seldon-report={report}", "-p", "no:cacheprovider", *args
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    tree = _report(report)
    checks = sorted((c["id"], c["status"]) for c in tree["checks"])
    return checks, sorted(s["name"] for s in tree["scenarios"])


def test_xdist_runs_write_one_report_with_the_checks_of_a_serial_run(pytester):
    # The suites copied out of the package, as a user may: the lint warning class must still be
    # importable by xdist's controller (it was an INTERNALERROR when defined in the test module).
    suites = Path(default_manifests()).parents[1] / "suites"
    ignore = shutil.ignore_patterns("__init__.py", "__pycache__")
    shutil.copytree(suites, pytester.path / "suites", ignore=ignore)
    serial, serial_scenarios = _suite_checks(pytester)
    parallel, parallel_scenarios = _suite_checks(pytester, "-n", "2")
    assert len(serial) > 20
    assert parallel == serial
    assert parallel_scenarios == serial_scenarios  # each scenario once
    _, load_scenarios = _suite_checks(pytester, "-n", "2", "--dist", "load")
    assert load_scenarios == serial_scenarios


# -- pytest-kind's options --------------------------------------------------------------------

SHOWS_SETTINGS = """
def test_settings(seldon_settings):
    s = seldon_settings
    print("SETTINGS", s.cluster_name, s.keep_cluster, s.kubeconfig, s.kind_binary, s.kubectl_binary)
"""


def test_pytest_kind_options_mean_ours(pytester):
    pytester.makepyfile(SHOWS_SETTINGS)
    result = pytester.runpytest(
        "--seldon-cluster",
        "-s",
        "--cluster-name=mine",
        "--keep-cluster",
        "--kubeconfig=kc",
        "--kind-bin=/opt/kind",
        "--kind-kubectl-bin=/opt/kubectl",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SETTINGS mine True kc /opt/kind /opt/kubectl*"])


def test_pytest_kind_options_that_disagree_with_ours_stop_the_run(pytester):
    pytester.makepyfile(SHOWS_SETTINGS)
    result = pytester.runpytest(
        "--seldon-cluster", "--cluster-name=mine", "--seldon-cluster-name=yours"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--cluster-name='mine' and --seldon-cluster-name='yours' disagree*"]
    )


def test_pytest_kind_options_we_cannot_honour_stop_a_kind_run(pytester):
    pytester.makepyfile(SHOWS_SETTINGS)
    result = pytester.runpytest("--seldon-cluster=kind", "--kind-image=kindest/node:v1.30.0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--kind-image (pytest-kind's) is not used by pytest-seldon-scaling*"]
    )
    # on the twin the option is pytest-kind's business alone
    pytester.runpytest("--seldon-cluster", "--kind-image=x").assert_outcomes(passed=1)


def test_pytest_kind_fixture_is_no_second_cluster_in_a_kind_run(pytester):
    pytester.makepyfile("def test_kind(kind_cluster):\n    pass\n")
    result = pytester.runpytest("--seldon-cluster=kind")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*kind_cluster is pytest-kind's own cluster*use the seldon_cluster*"]
    )


def test_collection_errors_make_the_run_interrupted_not_passed(pytester):
    pytester.makepyfile(test_fine=USES_CLUSTER, test_broken="def test_(:\n")
    result = pytester.runpytest("--seldon-cluster", "--seldon-report=report")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = _report(pytester.path / "report")
    assert report["summary"]["status"] == "interrupted"
    assert report["facts"]["interrupted"] == "1 error during collection"
    assert report["facts"]["other_failures"] == 1


def test_check_spells_the_suites_run():
    from pytest_seldon_scaling.check import pytest_args
    from pytest_seldon_scaling.cli import build_parser

    command = "check --cluster kind --manifests a/ --manifests b.yaml --report out -- -n 2 -k lint"
    args = build_parser().parse_args(command.split())
    assert pytest_args(args) == [
        "--pyargs", "pytest_seldon_scaling.suites", "--seldon-cluster=kind",
        "--seldon-manifests=a/", "--seldon-manifests=b.yaml", "--seldon-report=out",
        "-n", "2", "-k", "lint",
    ]  # fmt: skip


@pytest.mark.parametrize(("version", "warned"), [("2.10", True), ("2.9", False)])
def test_lag_autoscaling_on_2_10_is_a_warning_in_terminal_and_report(pytester, version, warned):
    pytester.makepyfile("def test_a_check(seldon):\n    pass\n")
    result = pytester.runpytest(
        "--seldon-cluster",
        "--seldon-model-autoscaling=true",
        f"--seldon-core-version={version}",
        "--seldon-report=out",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)
    warning = (
        f"WARNING --seldon-model-autoscaling=true does nothing on Core {version}: lag-based "
        "model autoscaling is force-disabled in agent and scheduler since Core 2 v2.10.0 "
        "(SeldonIO/seldon-core #6814)*"
    )
    warned_lines = [line for line in result.outlines if "WARNING --seldon-model" in line]
    assert bool(warned_lines) == warned
    if warned:
        result.stdout.fnmatch_lines([f"  {warning}"])
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    html = (pytester.path / "out" / "report.html").read_text()
    assert bool(report["facts"]["warnings"]) == warned
    assert ('<p class="warning">Warning: --seldon-model-autoscaling=true' in html) == warned
    if warned:
        assert "#6814" in report["facts"]["warnings"][0]
