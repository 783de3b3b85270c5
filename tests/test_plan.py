"""``seldon-scaling plan``: the twin's answer to "what would my manifests do under this load?"."""

from __future__ import annotations

import re
import shutil

import pytest
from kube.reference import REFERENCE, needs_reference

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.timeline import Timeline, TrafficSecond

FIXTURES = str(default_manifests())
PROFILE = "ramp 1-15rps 2m, hold 5m, ramp 15-1rps 2m, hold 1rps 6m"


def test_plan_explains_every_replica_change_and_passes(capsys):
    assert main(["plan", "--manifests", FIXTURES, "--profile", PROFILE]) == 0
    out, err = capsys.readouterr()
    assert "model/iris-shared" in out
    assert "SuccessfulRescale hpa/iris-shared-model-hpa: New size: 3" in out
    assert "ServerScaleUp scheduler requests 3 replicas" in out
    assert "ScheduleFailed: Failed to schedule model as no matching server had enough" in out
    assert "Verdict: PASS" in out
    assert "simulated    900/900 s (100%)" in err


def test_a_violated_slo_fails_the_plan(capsys):
    code = main(
        ["plan", "--manifests", FIXTURES, "--profile", "hold 20rps 3m", "--max-p99-ms", "1"]
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert "Verdict: FAIL" in out
    assert "FAIL  iris-shared: worst p99" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--profile", "ramp 1-30 5m"],
            "segment 1 ('ramp 1-30 5m'): expected 'ramp A-Brps DURATION'",
        ),
        (["--profile", "hold 5rps 1m", "--model", "nope"], "no Model named nope"),
        (["--profile", "hold 5rps 1m", "--core-version", "3.0"], "'3.0' is not a supported"),
        (["--profile", "hold 5rps 1m", "--plot", "out.pdf"], "use a .svg or .png file"),
    ],
)
def test_bad_input_is_a_usage_error(capsys, args, message):
    assert main(["plan", "--manifests", FIXTURES, *args]) == 2
    assert message in capsys.readouterr().err


def test_bad_manifest_names_the_file_and_field(tmp_path, capsys):
    bad = tmp_path / "model.yaml"
    bad.write_text(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: m}\n"
        "spec: {storageUri: gs://x, replicas: many}\n"
    )
    assert main(["plan", "--manifests", str(bad), "--profile", "hold 1rps 1m"]) == 2
    err = capsys.readouterr().err
    assert "model.yaml:4" in err and "Model/m" in err and "spec.replicas" in err


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".png", b"\x89PNG")])
def test_plot_files(tmp_path, capsys, suffix, magic):
    plot = tmp_path / f"timeline{suffix}"
    args = ["plan", "--manifests", FIXTURES, "--profile", "ramp 1-15rps 2m", "--plot", str(plot)]
    assert main(args) == 0
    assert plot.read_bytes().startswith(magic)
    assert f"plot: {plot}" in capsys.readouterr().out


def fixtures_with(tmp_path, old: str, new: str):
    """The default fixtures with one text replacement in hpas.yaml."""
    for path in default_manifests().iterdir():
        text = path.read_text()
        if path.name == "hpas.yaml":
            assert old in text
            text = text.replace(old, new, 1)
        (tmp_path / path.name).write_text(text)
    return str(tmp_path)


def test_convergence_is_judged_on_available_replicas(capsys):
    # the HPA writes spec.replicas at once; serving replicas need pods and a model load
    args = ["plan", "--manifests", FIXTURES, "--profile", "ramp 1-20rps 2m, hold 3m"]
    code = main([*args, "--model", "iris-shared", "--convergence-time", "5s"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "FAIL  hpa/iris-shared-model-hpa: decided 2 replicas at t=90s, available replicas" in out


def test_a_model_schedule_failed_through_the_peak_fails_the_plan(tmp_path, capsys):
    # the HPA may ask for 5 replicas of a Model whose Server stops at 3
    manifests = fixtures_with(tmp_path, "maxReplicas: 3", "maxReplicas: 5")
    args = ["plan", "--manifests", manifests, "--profile", "ramp 1-30rps 2m, hold 30rps 5m"]
    code = main([*args, "--model", "iris-shared"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "FAIL  model/iris-shared: ScheduleFailed" in out
    assert "FAIL  hpa/iris-shared-model-hpa: decided 5 replicas" in out


def test_rows_show_ready_transitions_and_only_their_own_events(capsys):
    assert main(["plan", "--manifests", FIXTURES, "--profile", PROFILE]) == 0
    out, _ = capsys.readouterr()
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")[1:]}
    shared = sections["model/iris-shared"]
    assert "Ready=True" in shared and "Ready=False ScheduleFailed" in shared
    # a Server's rows never borrow a Model's events, nor a Model's rows another Model's
    assert "model/iris" not in sections["server/mlserver-shared"].replace(
        "server/mlserver-shared", ""
    )
    assert "iris-shared" not in sections["model/iris-dedicated"]
    times = [float(line.split("s ", 1)[0].split("=")[1]) for line in shared.splitlines()[1:-1]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "profile", ["hold 0rps 5m", "ramp 0-0rps 1m", "hold 10rps 0s", "hold 0.5rps 1s"]
)
def test_a_profile_sending_nothing_is_refused(capsys, profile):
    assert main(["plan", "--manifests", FIXTURES, "--profile", profile]) == 2
    assert "sends no request: nothing to judge" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--convergence-time", "1e300"], "--convergence-time '1e300': must be a duration > 0"),
        (["--convergence-time", "0s"], "--convergence-time '0s': must be a duration > 0"),
        (["--max-p99-ms", "inf"], "--max-p99-ms inf: must be a finite number > 0"),
        (["--max-error-rate", "nan"], "--max-error-rate nan: must be between 0 and 1"),
        (["--packing-percentage", "250"], "--packing-percentage 250.0: must be between 0 and 100"),
        (["--request-timeout", "2h"], "--request-timeout '2h': must be a duration > 0"),
    ],
)
def test_unbounded_slo_values_are_refused(capsys, args, message):
    assert main(["plan", "--manifests", FIXTURES, "--profile", "hold 5rps 1m", *args]) == 2
    assert message in capsys.readouterr().err


def test_packing_percentage_is_read_as_core_2_reads_it(capsys):
    # 25, meant as "25 %" by the docs, is a probability >= 1 to Core 2: always pack
    args = ["plan", "--manifests", FIXTURES, "--profile", "hold 5rps 1m", "--packing", "true"]
    assert main([*args, "--packing-percentage", "25"]) == 0


def test_an_event_explains_only_its_own_objects_rows():
    from pytest_seldon_scaling.plan import Verdict, render
    from pytest_seldon_scaling.timeline import Timeline

    timeline = Timeline()
    timeline.record_replicas(10, "model/iris", 1, 1, 1)
    timeline.record_replicas(10, "server/mlserver", 2, 2)
    timeline.record_event(10, "model/iris-shared", "ScheduleFailed", "iris-shared on mlserver")
    timeline.record_event(10, "hpa/iris-hpa", "SuccessfulRescale", "New size: 2")
    out = render(timeline, {}, Verdict(), {"model/iris": ["hpa/iris-hpa"]})
    assert "t=     10s  spec 1, status 1, available 1  hpa/iris-hpa: SuccessfulRescale" in out
    assert "t=     10s  spec 2, status 2\n" in out + "\n"  # nothing of model/iris-shared's
    assert "ScheduleFailed" not in out


def fixtures_with_node(tmp_path, annotations: str = "{}") -> str:
    """The default fixtures and one Node room for two Server pods (memory 1.6 G each)."""
    for path in default_manifests().iterdir():
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "node.yaml").write_text(
        "apiVersion: v1\nkind: Node\n"
        f"metadata: {{name: worker, annotations: {annotations}}}\n"
        "status: {allocatable: {cpu: '4', memory: 4Gi}}\n"
    )
    return str(tmp_path)


def test_pods_that_never_get_a_node_fail_the_plan_with_the_schedulers_message(tmp_path, capsys):
    assert main(["plan", "--manifests", fixtures_with_node(tmp_path), "--profile", PROFILE]) == 1
    out, _ = capsys.readouterr()
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")[1:]}
    assert sections["pod/mlserver-shared-1"].splitlines()[1:] == [
        "  t=    105s  FailedScheduling 0/1 nodes are available: 1 Insufficient memory."
    ]
    assert (
        "FAIL  server/mlserver-shared: pod mlserver-shared-1 Pending since t=105s and still at "
        "the end: 0/1 nodes are available: 1 Insufficient memory." in out
    )
    # the dedicated Server scaled back down: its pod waited 750 s, then was deleted
    assert "t=    855s  Deleted deleted while Pending" in sections["pod/mlserver-dedicated-1"]
    assert "FAIL  server/mlserver-dedicated: pod mlserver-dedicated-1 Pending 750s" in out


def test_a_cluster_autoscaler_brings_nodes_and_the_plan_passes(tmp_path, capsys):
    annotations = "{seldon-scaling/max-nodes: '3', seldon-scaling/provisioning-seconds: '60'}"
    manifests = fixtures_with_node(tmp_path, annotations)
    assert main(["plan", "--manifests", manifests, "--profile", PROFILE]) == 0
    out, _ = capsys.readouterr()
    assert "TriggeredScaleUp pod triggered scale-up: [worker 1->2 (max: 3)]" in out
    assert "t=    165s  Scheduled assigned to worker-1" in out
    assert "ok    server/mlserver-shared: pod mlserver-shared-1 Pending 60s from t=105s" in out


def test_a_bad_node_annotation_is_a_usage_error(tmp_path, capsys):
    manifests = fixtures_with_node(tmp_path, "{seldon-scaling/max-nodes: many}")
    assert main(["plan", "--manifests", manifests, "--profile", "hold 1rps 1m"]) == 2
    err = capsys.readouterr().err
    assert "node.yaml:1" in err
    assert "metadata.annotations.seldon-scaling/max-nodes: 'many' is not a number" in err


def _model(name: str, replicas: int, extra: str = "") -> str:
    return (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\n"
        f"metadata: {{name: {name}}}\n"
        "spec: {storageUri: gs://seldon-models/scv2/samples/mlserver_1.6.0/iris-sklearn, "
        f"requirements: [sklearn], memory: 100Ki, replicas: {replicas}{extra}}}\n"
    )


def packing_example(tmp_path) -> str:
    """Core 2's packing example: on a 2-replica Server, a and c share replica 0, b and c
    replica 1 (b is scaled up once both replicas hold c, so it lands on replica 1)."""
    server = (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata: {name: mlserver}\n"
        "spec: {serverConfig: mlserver, replicas: 2, minReplicas: 1, maxReplicas: 2}\n"
    )
    models = [_model(n, r, ", server: mlserver") for n, r in (("a", 1), ("b", 0), ("c", 2))]
    (tmp_path / "packing.yaml").write_text("---\n".join([server, *models]))
    return str(tmp_path)


@pytest.mark.parametrize(
    ("packing", "replicas_at_the_end"),
    [("true", "placement at the end: 0: a, b"), ("false", "placement at the end: 0: a; 1: b")],
)
def test_scripted_delete_plans_the_packing_example(tmp_path, capsys, packing, replicas_at_the_end):
    args = ["plan", "--manifests", packing_example(tmp_path), "--profile", "hold 2rps 5m"]
    args += ["--model", "a", "--packing", packing]
    args += ["--action", "0s scale model/b 1", "--action", "2m delete model/c"]
    assert main(args) == 0
    out, _ = capsys.readouterr()
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")[1:]}
    assert "ScriptedAction --action 2m delete model/c" in sections["model/c"]
    # no replica is empty after the delete: only packing consolidates the Server
    server = sections["server/mlserver"]
    assert ("ServerScaleDown scheduler requests 1 replicas" in server) == (packing == "true")
    assert replicas_at_the_end in server
    assert "requests: 600 sent, 600 ok, 0 failed" in sections["model/a"]


def test_lag_autoscaling_plans_on_2_9_and_is_a_warning_on_2_10(tmp_path, capsys):
    server = (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata: {name: mlserver}\n"
        "spec: {serverConfig: mlserver, replicas: 1, minReplicas: 1, maxReplicas: 3}\n"
    )
    model = _model("iris", 1, ", minReplicas: 1, maxReplicas: 3")
    (tmp_path / "lag.yaml").write_text(f"{server}---\n{model}")
    args = ["plan", "--manifests", str(tmp_path), "--profile", "hold 600rps 2m"]
    args += ["--model-autoscaling", "true", "--max-error-rate", "1", "--max-p99-ms", "60000"]
    main([*args, "--core-version", "2.9"])
    out, err = capsys.readouterr()
    assert "spec 1, status 1, available 1 -> spec 1, status 2, available 1" in out
    assert "force-disabled" not in err
    main([*args, "--core-version", "2.10"])
    out, err = capsys.readouterr()
    assert "status 2" not in out
    assert "warning: --model-autoscaling true does nothing on Core 2.10" in err
    assert "SeldonIO/seldon-core #6814" in err


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("300s drop model/a", "expected 'TIME delete KIND/NAME' or 'TIME scale KIND/NAME"),
        ("soon delete model/a", "'soon' is not a duration"),
        ("1m delete pod/a-0", "'pod/a-0' is not an object reference"),
        ("1m scale model/a many", "REPLICAS must be an integer >= 0"),
        ("1m scale hpa/x 2", "only a model or server can be scaled"),
        ("1m delete model/nope", "the manifests define no model/nope"),
        ("99m delete model/a", "after the load ends at 300s"),
    ],
)
def test_a_bad_action_is_a_usage_error(tmp_path, capsys, action, message):
    args = ["plan", "--manifests", packing_example(tmp_path), "--profile", "hold 2rps 5m"]
    assert main([*args, "--model", "a", "--action", action]) == 2
    err = capsys.readouterr().err
    assert f"--action {action!r}" in err and message in err


@needs_reference
def test_core_2s_e2e_model_scaling_scenario_plans(tmp_path, capsys):
    # Seldon's godog feature autoscaling/model_autoscaling.feature: Model replicas 1, 3, 1 on
    # Server godog-mlserver (replicas 1, no min/max: native server autoscaling still follows)
    godog = REFERENCE / "tests" / "godog"
    for name in ("server_setup.docstring-01", "model_autoscaling.docstring-01"):
        shutil.copy(godog / f"autoscaling-{name}.yaml", tmp_path)
    model = "model/auto-scaling-alpha-1"
    args = ["plan", "--manifests", str(tmp_path), "--profile", "hold 1rps 10m"]
    args += ["--action", f"2m scale {model} 3", "--action", f"6m scale {model} 1"]
    assert main(args) == 0
    out, _ = capsys.readouterr()
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")[1:]}
    server = sections["server/godog-mlserver"]
    assert "-> spec 3, status 3, available 1  server/godog-mlserver: ServerScaleUp" in server
    assert "-> spec 1, status 1, available 1" in server.split("ServerScaleUp", 1)[1]
    assert "-> spec 3, status 3, available 3" in sections[model]
    assert "requests: 600 sent, 600 ok, 0 failed" in sections[model]


def test_the_png_draws_the_series_of_the_svg():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    from pytest_seldon_scaling.plan import plot_figure
    from pytest_seldon_scaling.report import scenario_chart_specs, scenario_charts

    timeline = Timeline()
    timeline.record_replicas(0, "model/irisa0", 1, 1, 1)
    timeline.record_replicas(0, "server/mlserver", 1, 1)
    for t in range(60):
        failed = {"503": 2} if t == 40 else {}
        timeline.record_traffic(
            TrafficSecond(t, "irisa0", 5.0, 5, 5 - sum(failed.values()), failed, 8.0, 15.0, 22.0)
        )
    timeline.record_replicas(30, "model/irisa0", 3, 3, 2)  # spec 3, status 3, available 2
    timeline.record_condition(31, "model/irisa0", "ModelReady", "False", "", "ScheduleFailed")
    specs = scenario_chart_specs(timeline, virtual_time=True)
    figure = plot_figure(specs)
    svgs = scenario_charts(timeline, virtual_time=True)
    assert len(figure.axes) == len(svgs) == 3  # traffic, latency, replicas
    for ax, svg in zip(figure.axes, svgs, strict=True):
        labels = ax.get_legend_handles_labels()[1]
        assert labels == re.findall(r'class="series" data-label="([^"]+)"', svg)
        assert ax.get_xlabel() == "virtual time (s, twin clock)" and ax.get_xlabel() in svg
        assert ax.get_ylabel() in ("requests/s", "latency (ms)", "replicas")
        assert f">{ax.get_ylabel()}<" in svg
    traffic, latency, replicas = figure.axes
    lines = {line.get_label(): line for line in traffic.get_lines()}
    target, achieved = lines["irisa0 target rps"], lines["irisa0 achieved rps"]
    assert target.get_linestyle() == "--" and achieved.get_linestyle() == "-"
    assert to_hex(target.get_color()) != to_hex(achieved.get_color())  # the target shows
    assert {ln.get_label() for ln in latency.get_lines() if ln.get_label()[0] != "_"} == {
        "irisa0 p50",
        "irisa0 p95",
        "irisa0 p99",
    }
    drawn = {line.get_label() for line in replicas.get_lines()}
    assert "model/irisa0 available" in drawn and "model/irisa0 status" not in drawn


def _slow_profile(tmp_path, model="iris") -> str:
    """Ten times the twin's default service time (10 ms), the default 4 workers."""
    from pytest_seldon_scaling.service_profile import ServiceProfile

    path = tmp_path / f"{model}.json"
    path.write_text(ServiceProfile(model, 100.0, 120.0, 150.0, 4, 40.0, 1000.0).to_json())
    return str(path)


def test_a_slow_service_profile_queues_and_saturates_where_the_defaults_do_not(tmp_path, capsys):
    args = ["plan", "--manifests", FIXTURES, "--profile", "hold 60rps 2m"]
    assert main(args) == 0
    fast = capsys.readouterr().out
    assert main([*args, "--service-profile", _slow_profile(tmp_path)]) == 1
    slow = capsys.readouterr().out
    assert "ok    iris-shared: worst p99 10 ms" in fast
    assert "requests: 7200 sent, 7200 ok, 0 failed" in fast
    # one replica serves 40 rps, not 400: 60 rps queue until the HPA scales, then time out
    assert "model/iris-shared served as profiled: iris (" in slow
    assert "FAIL  iris-shared: worst p99 10000 ms" in slow
    assert re.search(r"requests: 7200 sent, \d+ ok, [1-9]\d* failed \(timeout: ", slow)


def test_below_saturation_a_slow_profile_shows_its_latency(tmp_path, capsys):
    args = ["plan", "--manifests", FIXTURES, "--profile", "hold 20rps 2m"]
    assert main([*args, "--service-profile", _slow_profile(tmp_path, "iris-shared")]) == 0
    out = capsys.readouterr().out
    assert "ok    iris-shared: worst p99 150 ms" in out  # its own profile's p99
    assert "ok    iris-dedicated: worst p99 10 ms" in out  # none: the twin's default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"model": "iris"}', "bad.json: service profile lacks service_time_p50_ms"),
        ("not json", "bad.json: not a service profile (Expecting value"),
    ],
)
def test_a_bad_service_profile_is_a_usage_error(tmp_path, capsys, text, message):
    (tmp_path / "bad.json").write_text(text)
    args = ["plan", "--manifests", FIXTURES, "--profile", "hold 5rps 1m"]
    assert main([*args, "--service-profile", str(tmp_path / "bad.json")]) == 2
    assert message in capsys.readouterr().err


def test_two_spare_service_profiles_are_a_usage_error(tmp_path, capsys):
    args = ["plan", "--manifests", FIXTURES, "--profile", "hold 5rps 1m"]
    args += ["--service-profile", _slow_profile(tmp_path, "a")]
    assert main([*args, "--service-profile", _slow_profile(tmp_path, "b")]) == 2
    assert "2 service profiles (" in capsys.readouterr().err
