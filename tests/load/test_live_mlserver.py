"""Real traffic against a real MLServer 1.7.1 serving an sklearn iris model (marker ``live``).

Run with ``pytest -m live tests/load``; needs the ``live`` extra (``mlserver``,
``mlserver-sklearn``, ``scikit-learn``). Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time

import pytest

from pytest_seldon_scaling import expect
from pytest_seldon_scaling.load.local_servers import mlserver_available, mlserver_iris
from pytest_seldon_scaling.load.locust_driver import start_locust_load
from pytest_seldon_scaling.load.profile import Hold, Ramp
from pytest_seldon_scaling.timeline import Timeline

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(mlserver_available() is not None, reason=str(mlserver_available())),
]

RAMP_THEN_HOLD = Ramp(5, 50, 20) + Hold(50, 10)


@pytest.fixture(scope="module")
def mlserver(tmp_path_factory):
    with mlserver_iris(tmp_path_factory.mktemp("mlserver")) as server:
        yield server


def assert_on_target(result, run) -> None:
    assert result.failed_total == 0, result.failed
    assert result.target_reached, "\n".join(result.shortfalls)
    for window in result.windows[1:]:
        assert abs(window.deviation) <= 0.05, window
    assert len(run.seconds()) == 30


@pytest.mark.parametrize("workers", [0, 2], ids=["one-process", "two-workers"])
def test_ramp_5_to_50_rps_then_hold_is_on_target_without_failures(mlserver, tmp_path, workers):
    timeline = Timeline()
    run = start_locust_load(
        mlserver.url,
        mlserver.model,
        RAMP_THEN_HOLD,
        timeline=timeline,
        workers=workers,
        artifacts_dir=tmp_path,
        grace=10,
    )
    result = run.wait()
    assert_on_target(result, run)
    assert timeline.traffic_for("iris") == run.seconds()
    assert all(s.p99_ms is not None for s in run.seconds())
    expect.zero_downtime(run)


def test_stopping_mlserver_mid_hold_counts_failures_and_fails_zero_downtime(tmp_path):
    with mlserver_iris(tmp_path / "mlserver") as server:
        run = start_locust_load(
            server.url,
            server.model,
            Hold(30, 16),
            clock=time.monotonic,
            artifacts_dir=tmp_path / "load",
            grace=8,
        )
        killed_at = threading.Event()
        kill_time: list[float] = []

        def kill_in_hold() -> None:
            while time.monotonic() < run.started_at + 8:
                time.sleep(0.05)
            kill_time.append(time.monotonic() - run.started_at)
            server.stop()
            killed_at.set()

        threading.Thread(target=kill_in_hold, daemon=True).start()
        result = run.wait()
    assert killed_at.is_set()
    before = [s for s in run.seconds() if s.t - run.started_at < 7]
    assert sum(s.failed_total for s in before) == 0
    assert result.failed_total > 0 and result.ok > 0
    codes = set(result.failed)
    assert "ConnectionRefusedError" in codes
    assert codes <= {"ConnectionRefusedError", "ConnectionResetError", "HTTPConnectionClosed"}
    assert result.sent_as_asked, result.shortfalls  # the driver kept sending
    assert not result.target_reached  # but the load was not served
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.zero_downtime(run)
    first = next(s for s in run.seconds() if s.failed_total)
    message = str(failure.value)
    assert f"first failure at t={first.t}s" in message
    assert 7 <= first.t - run.started_at <= 9, (first.t, run.started_at, kill_time)
