"""What bounds a request on the twin: the client's deadline and Envoy's circuit breakers."""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.twin import TwinCluster, TwinSettings

from .builders import is_available, model, server

pytest_plugins = ["pytester"]

# one replica of 4 workers at 10 ms: 400 requests/s
CAPACITY = 400


def overloaded(settings: TwinSettings, profile: str = "hold 800rps 60s"):
    cluster = TwinCluster(settings=settings)
    cluster.apply(server(replicas=1), model("iris"))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    run = cluster.load("iris", profile)
    return cluster, run, run.wait()


def test_requests_waiting_past_the_client_timeout_fail_as_timeouts():
    # breakers out of the way: only the 2 s deadline bounds the queue
    settings = TwinSettings(
        request_timeout_seconds=2.0, envoy_max_connections=10**9, envoy_max_pending_requests=0
    )
    cluster, run, result = overloaded(settings)
    seconds = run.seconds()
    assert result.sent == result.ok + result.failed_total  # every request has an outcome
    assert set(result.failed) == {"timeout"}
    # what the replica serves in the 60 s, and in the 2 s its queue takes to drain after
    assert result.sent - CAPACITY * 62 <= result.failed_total <= result.sent - CAPACITY * 60
    # the queue fills for ~2 s, and a late request fails when its deadline passes
    first = next(s for s in seconds if s.failed_total)
    assert 3 <= first.t - run.started_at <= 5
    # served requests waited in the queue: up to the deadline, never beyond it
    worst = max(s.p99_ms for s in seconds if s.p99_ms is not None)
    assert 1500 <= worst <= 2000
    cluster.close()


def test_envoy_refuses_what_its_circuit_breakers_cannot_hold():
    cluster, run, result = overloaded(TwinSettings())
    assert set(result.failed) == {"503"}  # overflow comes long before the 10 s deadline
    assert result.sent == result.ok + result.failed_total
    # at most 1024 + 1024 requests queue: latency stays near 2048 / 400 per s
    worst = max(s.p99_ms for s in run.seconds() if s.p99_ms is not None)
    assert 4000 <= worst <= 5200
    cluster.close()


def test_a_load_within_capacity_has_no_failures_and_service_time_latency():
    cluster, run, result = overloaded(TwinSettings(), "hold 300rps 60s")
    assert result.failed_total == 0 and result.ok == result.sent
    assert max(s.p99_ms for s in run.seconds() if s.p99_ms is not None) < 50
    cluster.close()


def test_the_timeout_must_be_positive_and_finite():
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="request_timeout_seconds"):
            TwinSettings(request_timeout_seconds=bad)


@pytest.mark.parametrize(
    ("timeout", "code"),
    [("10s", "503"), ("1s", "timeout")],
    ids=["default-timeout-envoy-overflows-first", "short-timeout-times-out-first"],
)
def test_overload_fails_the_model_hpa_suite_on_the_twin(pytester, timeout, code):
    """The issue's case: at 2000 rps the default fixtures cannot serve, MHPA-03 must say so."""
    result = pytester.runpytest_inprocess(
        "--seldon-cluster",
        "--seldon-peak-rps=2000",
        f"--seldon-request-timeout={timeout}",
        "--pyargs",
        "pytest_seldon_scaling.suites.test_model_hpa",
        "-p",
        "no:cacheprovider",
    )
    result.stdout.fnmatch_lines(
        ["*FAILED*MHPA-03*", f"*requests to iris-shared failed in the whole run (*x {code})*"]
    )
    assert result.ret == 1


def test_a_backlog_drains_at_the_replicas_rate_once_arrivals_stop():
    # no breaker, a deadline far away: 5 s at twice the capacity leave ~2000 queued
    settings = TwinSettings(
        request_timeout_seconds=60.0, envoy_max_connections=10**9, envoy_max_pending_requests=0
    )
    cluster, run, result = overloaded(settings, "hold 800rps 5s")
    after = [s for s in run.seconds() if s.t >= run.started_at + 6]
    assert result.ok == result.sent  # every request answered, within the deadline
    assert len(after) >= 4  # the backlog takes ~5 s more
    assert all(s.sent == 0 and s.ok <= CAPACITY + 1 for s in after)
    cluster.close()


def test_a_measured_service_time_distribution_sets_the_percentiles_of_unqueued_requests():
    from pytest_seldon_scaling.twin.traffic import ServiceTime

    cluster = TwinCluster()
    cluster.apply(server(replicas=1), model("iris"))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    # p50 20 ms, p95 60 ms, p99 150 ms on 4 workers at 25 ms each: 160 rps per replica
    points = ((0.020, 0.90), (0.060, 0.08), (0.150, 0.02))
    cluster.traffic.service["iris"] = ServiceTime(0.025, 4, points)
    run = cluster.load("iris", "hold 50rps 30s")
    result = run.wait()
    assert result.failed_total == 0
    steady = [s for s in run.seconds() if s.sent == 50]
    assert steady and all((s.p50_ms, s.p95_ms, s.p99_ms) == (20, 60, 150) for s in steady)
    cluster.close()


def test_a_profiled_model_shows_its_measured_percentiles_on_the_twin():
    from pytest_seldon_scaling.service_profile import ServiceProfile, serve_with

    cluster = TwinCluster()
    cluster.apply(server(replicas=1), model("iris"))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    serve_with(cluster, {"iris": ServiceProfile("iris", 5.0, 9.0, 20.0, 2, 100.0, 1000.0)})
    run = cluster.load("iris", "hold 4rps 20s")
    run.wait()
    steady = [s for s in run.seconds() if s.sent == 4]
    assert steady
    assert all((s.p50_ms, s.p95_ms, s.p99_ms) == pytest.approx((5, 9, 20)) for s in steady)
    cluster.close()
