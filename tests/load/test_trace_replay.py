"""Replaying traces: ``plan --traffic`` and a test's ``seldon.load`` follow the recorded rates."""

from __future__ import annotations

import json

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.load.trace import load_trace
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.twin import TwinCluster

FIXTURES = str(default_manifests())


def write_day(tmp_path) -> str:
    """Per-model columns: iris-shared peaks at 15 rps, iris-dedicated stays at 2 rps."""
    rows = ["time,iris-shared,iris-dedicated"]
    rates = [1, 1, 8, 15, 15, 15, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    rows += [f"{600 * i},{r},2" for i, r in enumerate(rates)]
    path = tmp_path / "day.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_plan_replays_each_model_its_own_series(tmp_path, capsys):
    # 2.5 hours squeezed into 25 minutes: the peak lasts long enough for three replicas
    code = main(["plan", "--manifests", FIXTURES, "--traffic", write_day(tmp_path) + "#time=0.1"])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "Plan: trace " in out and "2 model(s) over 15m, peak 15 rps" in out
    assert "SuccessfulRescale hpa/iris-shared-model-hpa: New size: 3" in out
    # 2 rps on iris-dedicated never needs a second replica (HPA target 5 per replica)
    assert "hpa/iris-dedicated-model-hpa: New size" not in out


def test_plan_names_a_model_missing_from_the_trace(tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("time,iris-shared,nope\n0,1,1\n60,1,1\n")
    assert main(["plan", "--manifests", FIXTURES, "--traffic", str(path)]) == 2
    assert "no Model named nope" in capsys.readouterr().err


def test_plan_takes_a_prometheus_answer_and_rejects_profile_with_traffic(tmp_path, capsys):
    answer = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"model": "iris-shared"}, "values": [[0, "3"], [120, "3"]]}],
        },
    }
    path = tmp_path / "q.json"
    path.write_text(json.dumps(answer))
    assert main(["plan", "--manifests", FIXTURES, "--traffic", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "iris-shared" in out and "Verdict: PASS" in out
    both = ["plan", "--manifests", FIXTURES, "--traffic", str(path), "--profile", "hold 1rps 1m"]
    assert main(both) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_twin_sends_what_the_trace_says(tmp_path):
    trace = load_trace(write_day(tmp_path) + "#rate=0.5,duration=20m")
    cluster = TwinCluster()
    cluster.apply(FIXTURES)
    cluster.sleep(60)
    result = cluster.load("iris-shared", trace.profile("iris-shared")).wait()
    expected = trace.profile("iris-shared").requests_between(0, trace.duration)
    assert abs(result.sent - expected) <= 1


TEST_WITH_TRACE = """
from pytest_seldon_scaling.load.trace import parse_csv

def test_replay(seldon, seldon_settings):
    assert seldon_settings.traffic.models == ["iris-dedicated", "iris-shared"]
    trace = parse_csv("time,iris-shared\\n0,4\\n120,4\\n")
    seldon.apply({MANIFESTS!r})
    seldon.sleep(60)
    result = seldon.load("iris-shared", trace).wait()
    assert result.sent == 480
"""


def test_seldon_load_takes_a_trace_and_the_option_is_read(pytester, tmp_path):
    pytester.makepyfile(TEST_WITH_TRACE.replace("{MANIFESTS!r}", repr(FIXTURES)))
    day = write_day(tmp_path)
    pytester.runpytest("--seldon-cluster", f"--seldon-traffic={day}").assert_outcomes(passed=1)


def test_a_bad_traffic_option_stops_the_run(pytester, tmp_path):
    pytester.makepyfile("def test_x(seldon): pass")
    result = pytester.runpytest("--seldon-cluster", f"--seldon-traffic={tmp_path}/none.csv")
    result.stderr.fnmatch_lines(["*--seldon-traffic=*none.csv*cannot read the trace*"])


def test_the_model_hpa_suite_replays_the_trace_shape_at_capacity(pytester, tmp_path):
    day = write_day(tmp_path) + "#duration=15m"
    result = pytester.runpytest(
        "--seldon-cluster",
        f"--seldon-traffic={day}",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_model_hpa",
        "--seldon-report=out",
        "-p",
        "no:cacheprovider",
    )
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    checks = {c["id"]: c for c in report["checks"]}
    mhpa = checks["MHPA-01[iris-shared-model-hpa]"]
    assert mhpa["status"] == "passed", mhpa
    # the scenario ran the day's shape (peak 15 rps = the HPA's capacity, 3 x 5), not the ramps
    assert "ramp 1-8rps 1m, ramp 8-15rps 1m, ramp 15-15rps 1m" in json.dumps(report)
    result.assert_outcomes(passed=5)
