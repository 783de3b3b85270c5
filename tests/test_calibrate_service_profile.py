"""Service profiles: the one parser, which model gets which profile, the latency points."""

from __future__ import annotations

import json
import re

import pytest

from pytest_seldon_scaling.service_profile import (
    ServiceProfile,
    choose_profiles,
    engine_service,
    read_service_profile,
)
from pytest_seldon_scaling.twin.traffic import _quantile

GOOD = {
    "model": "iris",
    "service_time_p50_ms": 5.0,
    "service_time_p95_ms": 9.0,
    "service_time_p99_ms": 20.0,
    "concurrency_per_replica": 2,
    "saturation_rps": 100.0,
    "max_p99_ms": 100.0,
}


def write(tmp_path, data) -> str:
    path = tmp_path / "profile.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_written_profile_reads_back_with_its_file(tmp_path):
    profile = ServiceProfile(**GOOD)
    path = write(tmp_path, profile.to_json())
    read = read_service_profile(path)
    assert read == profile
    assert read.source == str(path)
    assert "source" not in json.loads(profile.to_json())  # the file does not name itself
    assert read.describe() == (
        f"iris ({path}): p50 5 ms, p99 20 ms, 2 worker(s) of 20 ms per replica"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"concurrency_per_replica": 0},
            "field concurrency_per_replica: must be a whole number ≥ 1",
        ),
        ({"concurrency_per_replica": 1.5}, "field concurrency_per_replica: must be a whole number"),
        ({"service_time_p50_ms": "5"}, "field service_time_p50_ms: must be a number of ms > 0"),
        ({"service_time_p50_ms": -1}, "field service_time_p50_ms: must be a number of ms > 0"),
        ({"saturation_rps": True}, "field saturation_rps: must be a number of rps ≥ 0"),
        ({"model": ""}, "field model: must be a model name"),
        ({"service_time_p99_ms": 6.0}, "field service_time_p99_ms: below service_time_p95_ms"),
    ],
)
def test_a_bad_field_is_named_with_the_file(tmp_path, change, message):
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: {message}')}"):
        read_service_profile(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not a service profile (Expecting property name"),
        ("[1]", "not a service profile (expected a JSON object)"),
        ('{"model": "iris"}', "service profile lacks service_time_p50_ms"),
    ],
)
def test_a_file_that_is_no_profile_is_named(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: {message}')}"):
        read_service_profile(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"nothing\.json: not a service profile \(\[Errno 2\]"):
        read_service_profile(tmp_path / "nothing.json")


def test_each_model_gets_its_own_profile_or_the_spare_one():
    a = ServiceProfile("a", 10.0, 12.0, 15.0, 2, 100.0, 100.0)
    other = ServiceProfile("elsewhere", 40.0, 50.0, 60.0, 1, 20.0, 100.0)
    assert choose_profiles([a, other], ["a", "b"]) == {"a": a, "b": other}
    assert choose_profiles([a], ["a", "b"]) == {"a": a}  # b keeps the twin's defaults
    assert {m: p.twin_service() for m, p in choose_profiles([a, other], ["a", "b"]).items()} == {
        "a": (0.02, 2),
        "b": (0.05, 1),
    }
    with pytest.raises(ValueError, match=r"2 service profiles \(elsewhere, x\) are for none of"):
        choose_profiles([other, ServiceProfile("x", 1.0, 1.0, 1.0, 1, 1.0, 1.0)], ["a"])


def test_the_engine_points_give_back_the_measured_percentiles():
    profile = ServiceProfile(**GOOD)
    service = engine_service(profile)
    assert (service.seconds, service.workers) == profile.twin_service() == (0.02, 2)
    assert sum(w for _, w in service.latencies) == pytest.approx(1.0)
    # the engine's own weighted quantile over an unqueued second of 1,000 answered requests
    latencies = {value: 1000 * w for value, w in service.latencies}
    ordered = sorted(latencies.items())
    measured = [_quantile(ordered, 1000, q) * 1000 for q in (0.5, 0.95, 0.99)]  # seconds -> ms
    assert measured == pytest.approx([5.0, 9.0, 20.0])


# -- the plugin: --seldon-service-profile and seldon_service_profile --------------------------

TEST_SERVED_AS_PROFILED = """
from pytest_seldon_scaling.resources import default_manifests

def test_served(seldon, seldon_settings):
    assert [p.model for p in seldon_settings.service_profiles] == ["iris"]
    seldon.apply(str(default_manifests()))
    seldon.sleep(60)
    run = seldon.load("iris-shared", "hold 4rps 30s")
    run.wait()
    assert max(s.p50_ms for s in run.seconds() if s.p50_ms) == {P50}
"""


def slow_profile(tmp_path) -> str:
    # calibrated as "iris": the one spare profile serves both Models of the default manifests
    path = tmp_path / "slow.json"
    path.write_text(ServiceProfile("iris", 250.0, 300.0, 350.0, 2, 8.0, 1000.0).to_json())
    return str(path)


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_suite_twin_serves_as_profiled_and_the_report_says_so(pytester, tmp_path, how):
    slow = slow_profile(tmp_path)
    pytester.makepyfile(TEST_SERVED_AS_PROFILED.replace("{P50}", "250.0"))
    args = ["--seldon-cluster", "--seldon-report=out", "-p", "no:cacheprovider"]
    if how == "option":
        args.append(f"--seldon-service-profile={slow}")
    else:
        pytester.makeini(f"[pytest]\nseldon_service_profile = {slow}\n")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    facts = json.loads((pytester.path / "out" / "report.json").read_text())["facts"]
    assert facts["service_profiles"] == (
        f"model/iris-dedicated: iris ({slow}): p50 250 ms, p99 350 ms, 2 worker(s) of 250 ms "
        f"per replica; model/iris-shared: iris ({slow}): p50 250 ms, p99 350 ms, 2 worker(s) "
        "of 250 ms per replica"
    )
    assert "iris-shared: iris" in (pytester.path / "out" / "report.html").read_text()


def test_without_the_option_the_twin_keeps_its_defaults(pytester):
    pytester.makepyfile(
        TEST_SERVED_AS_PROFILED.replace("{P50}", "10.0").replace('== ["iris"]', "== []")
    )
    pytester.runpytest("--seldon-cluster", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_bad_service_profile_stops_the_run_naming_file_and_field(pytester, tmp_path):
    bad = write(tmp_path, {**GOOD, "concurrency_per_replica": "four"})
    pytester.makepyfile("def test_x(seldon): pass")
    result = pytester.runpytest("--seldon-cluster", f"--seldon-service-profile={bad}")
    result.stderr.fnmatch_lines(
        [f"*--seldon-service-profile: {bad}: field concurrency_per_replica: must be a whole*"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_two_spare_profiles_stop_the_run(pytester, tmp_path):
    pytester.makepyfile("def test_x(seldon): pass")
    other = tmp_path / "other.json"
    other.write_text(ServiceProfile("resnet", 9.0, 9.0, 9.0, 1, 1.0, 1.0).to_json())
    result = pytester.runpytest(
        "--seldon-cluster",
        f"--seldon-service-profile={slow_profile(tmp_path)}",
        f"--seldon-service-profile={other}",
    )
    result.stderr.fnmatch_lines(["*2 service profiles (*slow.json, *other.json) are for none*"])


@pytest.mark.parametrize(
    ("cluster", "warned"), [("twin", False), ("kind", True), ("existing", True)]
)
def test_a_profile_on_a_real_cluster_is_a_warning_not_a_pretence(cluster, warned):
    from dataclasses import MISSING, fields

    from pytest_seldon_scaling.settings import SeldonSettings

    unused = {f.name: None for f in fields(SeldonSettings) if f.default is MISSING}
    settings = SeldonSettings(
        **{**unused, "cluster": cluster, "model_autoscaling": False, "core_version": "2.10"},
        service_profiles=(ServiceProfile(**GOOD),),
    )
    expected = [
        f"--seldon-service-profile shapes the twin only: on --seldon-cluster={cluster} the "
        "model servers serve as they do"
    ]
    assert settings.warnings() == (expected if warned else [])
