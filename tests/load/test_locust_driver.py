"""The Locust driver: inputs checked, progress and verdicts readable, processes always cleaned up.

The runs here are short and hit :mod:`pytest_seldon_scaling.load.endpoint` on 127.0.0.1; the
long ones against a real MLServer are in ``test_live_mlserver.py`` (marker ``live``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_seldon_scaling.cluster import LoadRun
from pytest_seldon_scaling.load import locust_driver
from pytest_seldon_scaling.load.local_servers import free_port, minimal_endpoint
from pytest_seldon_scaling.load.locust_driver import (
    IRIS_PAYLOAD,
    driver_shortfalls,
    progress_line,
    request_body,
    start_locust_load,
)
from pytest_seldon_scaling.load.profile import Hold, LoadProfile
from pytest_seldon_scaling.timeline import Timeline


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return status != "Z"


def wait_gone(pids: list[int], timeout: float = 15.0) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


def quiet(_: str) -> None:
    """Progress goes nowhere in these tests."""


# -- inputs ----------------------------------------------------------------------------------


def test_the_default_payload_is_the_iris_request():
    assert json.loads(request_body(None)) == IRIS_PAYLOAD
    assert IRIS_PAYLOAD["inputs"][0]["data"] == [[1, 2, 3, 4]]


def test_a_payload_comes_from_a_dict_or_a_json_file(tmp_path):
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}
    assert json.loads(request_body(body)) == body
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(body))
    assert json.loads(request_body(path)) == body
    assert json.loads(request_body(str(path))) == body


def test_a_bad_payload_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"payload file .*missing\.json"):
        request_body(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"inputs": [')
    with pytest.raises(ValueError, match=r"broken\.json: not JSON"):
        request_body(broken)


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"host": "127.0.0.1:8080"}, "must be an http"),
        ({"model": ""}, "must be a model name"),
        ({"profile": LoadProfile()}, "non-empty LoadProfile"),
        ({"workers": -1}, "must be >= 0"),
        ({"grace": 0}, "grace must be > 0"),
        ({"timeout": 0}, "timeout must be > 0"),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(kwargs, complaint):
    args = {"host": "http://127.0.0.1:1", "model": "iris", "profile": LoadProfile(Hold(1, 1))}
    args.update(kwargs)
    with pytest.raises(ValueError, match=complaint):
        start_locust_load(args.pop("host"), args.pop("model"), args.pop("profile"), **args)


# -- what a person and a result see -----------------------------------------------------------


def rows(*specs: tuple[int, float, int, dict, int]) -> list[dict]:
    return [
        {"t": t, "target_rps": target, "sent": sent, "failed": failed, "missed": missed,
         "p99_ms": 12.0, "reported": 1, "processes": 1}
        for t, target, sent, failed, missed in specs
    ]  # fmt: skip


def test_progress_shows_elapsed_target_achieved_failures_and_users():
    line = progress_line(
        12.4, 60, rows((10, 20, 20, {}, 0), (11, 22, 21, {"503": 2}, 0)), users=7, capped=False
    )
    assert line == (
        "[load    12s/60s] target    21.0 rps, achieved    20.5 rps, failed 2, p99 12 ms, users 7"
    )


def test_progress_says_when_users_are_capped_and_requests_missed():
    line = progress_line(5, 60, rows((4, 100, 60, {}, 40)), users=50, capped=True)
    assert line.endswith("users 50 (capped), 40 requests not sent on time")


def test_a_saturated_driver_is_a_shortfall_that_says_why():
    [saturated] = driver_shortfalls(
        rows((3, 50, 50, {}, 0), (4, 50, 30, {}, 20), (5, 50, 35, {}, 15)), 3, capped=False
    )
    assert saturated.startswith(
        "driver saturated: 35 requests due between 4s and 6s were not sent within 1s "
        "(every user was busy, p99 latency up to 12 ms)"
    )


def test_a_cpu_bound_load_generator_is_a_shortfall():
    busy = rows(*((t, 900, 900, {}, 0) for t in range(12)))
    busy[1]["lag_ms"] = 3000.0  # spawning users at the start is not judged
    busy[6]["lag_ms"] = 2500.0
    assert driver_shortfalls(busy, 12, capped=False) == []  # one hiccup is the OS
    for t in range(7, 11):
        busy[t]["lag_ms"] = 300.0  # late, but not enough to bunch sends up
    assert driver_shortfalls(busy, 12, capped=False) == []
    busy[8]["lag_ms"], busy[10]["lag_ms"] = 1200.0, 1100.0
    [saturated] = driver_shortfalls(busy, 12, capped=False)
    assert saturated.startswith(
        "load generator saturated: its event loop ran up to 2500 ms late in 3 seconds "
        "between 6s and 11s"
    )


def test_missing_seconds_and_silent_workers_are_shortfalls():
    short = rows((0, 5, 5, {}, 0), (1, 5, 3, {}, 0))
    short[1]["reported"], short[1]["processes"] = 1, 2
    assert driver_shortfalls(short, 4, capped=False) == [
        "1 seconds are missing a Locust process's rows (from 1s): a worker died or fell behind",
        "only 2 of 4 seconds were reported: the run ended early",
    ]


# -- real Locust processes against a local endpoint --------------------------------------------


def test_a_short_run_streams_every_second_and_keeps_locust_out_of_this_process(tmp_path):
    timeline = Timeline()
    lines: list[str] = []
    with minimal_endpoint(tmp_path / "endpoint") as server:
        run = start_locust_load(
            server.url,
            "iris",
            LoadProfile(Hold(20, 3)),
            timeline=timeline,
            artifacts_dir=tmp_path / "artifacts",
            grace=6,
            progress=lines.append,
        )
        result = run.wait()
    assert "locust" not in sys.modules and "gevent" not in sys.modules
    assert isinstance(run, LoadRun)
    assert run.done
    assert [s.t - run.started_at for s in run.seconds()] == [0, 1, 2]
    assert timeline.traffic == run.seconds()
    assert [(s.target_rps, s.sent, s.ok, s.failed) for s in run.seconds()] == [(20, 20, 20, {})] * 3
    assert all(s.p50_ms is not None and s.p99_ms >= s.p50_ms for s in run.seconds())
    assert result.target_reached, result.shortfalls
    assert (result.sent, result.ok, result.failed) == (60, 60, {})
    for artifact in ("locust_html", "locust_stats_csv", "locust_log"):
        assert Path(result.artifacts[artifact]).is_file()
    assert any(line.startswith("[load] Locust running (local runner)") for line in lines)


def test_answers_slower_than_the_given_timeout_fail(tmp_path):
    # 1 s answers: within the default deadline for grace=6 (2 s), beyond the 0.3 s asked for
    with minimal_endpoint(tmp_path / "endpoint", delay_ms=1000) as server:
        run = start_locust_load(
            server.url, "iris", LoadProfile(Hold(5, 2)), grace=6, progress=quiet,
            artifacts_dir=tmp_path / "artifacts", timeout=0.3,
        )  # fmt: skip
        result = run.wait()
    assert result.sent == 10 and result.ok == 0
    assert result.failed_total == 10, result.failed
    assert not result.target_reached


@pytest.mark.live
def test_failures_are_counted_with_their_code(tmp_path):
    with minimal_endpoint(tmp_path / "endpoint", status=503) as server:
        run = start_locust_load(
            server.url, "iris", LoadProfile(Hold(10, 2)), grace=6, progress=quiet,
            artifacts_dir=tmp_path / "artifacts",
        )  # fmt: skip
        result = run.wait()
    assert (result.sent, result.ok, result.failed) == (20, 0, {"503": 20})
    assert result.sent_as_asked  # the driver sent what was asked; the server said no
    assert not result.target_reached


def test_stop_ends_every_locust_process_and_says_the_run_was_cut(tmp_path):
    port = free_port()  # nothing listens: every request is refused
    run = start_locust_load(
        f"http://127.0.0.1:{port}", "iris", LoadProfile(Hold(10, 60)), workers=1,
        grace=5, progress=quiet, artifacts_dir=tmp_path,
    )  # fmt: skip
    pids = run.pids
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    deadline = time.monotonic() + 10
    while not run.seconds() and time.monotonic() < deadline:
        time.sleep(0.1)
    run.stop()
    assert wait_gone(pids) == []
    result = run.wait()
    assert result.failed == {"ConnectionRefusedError": result.sent} and result.sent >= 10
    assert "stopped before the profile ended" in result.shortfalls


HELPER = """
import os, signal, sys, time
from pytest_seldon_scaling.load.locust_driver import start_locust_load
from pytest_seldon_scaling.load.profile import Hold, LoadProfile
run = start_locust_load(sys.argv[1], "iris", LoadProfile(Hold(5, 120)), workers=1,
                        progress=lambda _: None)
print(" ".join(map(str, run.pids)), flush=True)
if sys.argv[2] == "vanish":
    os._exit(0)  # no atexit, no finalizers: like a SIGKILLed pytest
time.sleep(60)
"""


@pytest.mark.parametrize("death", ["vanish", pytest.param("sigterm", marks=pytest.mark.live)])
def test_locust_does_not_outlive_the_process_that_started_it(tmp_path, death):
    url = f"http://127.0.0.1:{free_port()}"
    script = tmp_path / "helper.py"
    script.write_text(textwrap.dedent(HELPER))
    helper = subprocess.Popen(
        [sys.executable, str(script), url, death], stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in helper.stdout.readline().split()]
        assert len(pids) == 2
        if death == "sigterm":
            helper.send_signal(signal.SIGTERM)
        assert helper.wait(15) in (0, -signal.SIGTERM)
        assert wait_gone(pids) == [], f"Locust processes left behind after {death}"
    finally:
        helper.kill()
        helper.wait()
        helper.stdout.close()


def test_the_kubernetes_worker_command_joins_a_master(tmp_path):
    command = locust_driver.worker_command("seldon-load-master", 5557)
    assert command[1:4] == ["-m", "locust", "-f"]
    assert Path(command[4]).name == "locustfile.py" and Path(command[4]).is_file()
    assert command[5:] == [
        "--worker", "--master-host", "seldon-load-master", "--master-port", "5557",
        "--loglevel", "WARNING",
    ]  # fmt: skip


def test_a_run_cut_short_is_judged_on_the_seconds_it_ran():
    profile = LoadProfile(Hold(10, 5)) + LoadProfile.parse("ramp 10-30rps 10s")
    assert locust_driver.profile_until(profile, 100) is profile
    cut = locust_driver.profile_until(profile, 7)
    assert cut.duration == 7
    assert cut.requests_between(0, 7) == pytest.approx(profile.requests_between(0, 7))
