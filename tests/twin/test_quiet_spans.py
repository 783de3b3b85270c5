"""Quiet spans: seconds of a model nothing queues on, processed in one pass, against the
engine's interval-by-interval processing (``TrafficEngine.quiet_spans = False``)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.twin import TwinCluster
from pytest_seldon_scaling.twin.agent import REST, SERVED_CODE

from .builders import is_available, model, server


def replay(quiet: bool, replicas: int, profile: str, lead: float, seed: int = 3):
    """The seconds and agent counters of ``profile`` on ``replicas`` replicas of iris."""
    cluster = TwinCluster(seed=seed)
    cluster.traffic.quiet_spans = quiet
    cluster.apply(server(replicas=replicas), model("iris", replicas=replicas))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    cluster.sleep(lead)  # a run that starts between whole seconds
    run = cluster.load("iris", profile)
    result = run.wait()
    counted = sum(
        n
        for statefulset in cluster.controller.statefulsets.values()
        for pod in statefulset.pods.values()
        for (m, _, method, code), n in pod.agent.counters.items()
        if m == "iris" and (method, code) == (REST, SERVED_CODE[REST])
    )
    cluster.close()
    # a second after the run holds only what was still in service at its end: rounded per
    # replica or per model, it is there in one way of processing and not the other
    return [s for s in run.seconds() if s.t < run.end or s.sent], result, counted


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    replicas=st.integers(1, 3),
    start=st.integers(0, 350),
    end=st.integers(0, 350),
    seconds=st.integers(5, 90),
    lead=st.sampled_from([0.0, 0.25, 0.5]),
)
def test_quiet_spans_send_serve_and_count_what_interval_by_interval_processing_does(
    replicas, start, end, seconds, lead
):
    # at most 350 rps per replica: under the 400 a replica serves, so nothing queues
    profile = f"ramp {start * replicas}-{end * replicas}rps {seconds}s, hold 20s"
    quick, quick_result, quick_counted = replay(True, replicas, profile, lead)
    slow, slow_result, slow_counted = replay(False, replicas, profile, lead)
    assert [(s.t, s.target_rps, s.sent) for s in quick] == [
        (s.t, s.target_rps, s.sent) for s in slow
    ]
    # latencies are the service time's in both, and nothing fails
    assert [(s.p50_ms, s.p95_ms, s.p99_ms) for s in quick] == [
        (s.p50_ms, s.p95_ms, s.p99_ms) for s in slow
    ]
    assert quick_result.failed_total == slow_result.failed_total == 0
    assert quick_result.ok == slow_result.ok == quick_result.sent
    # what is still in service at the end of a second is rounded per model, not per replica
    assert all(abs(q.ok - s.ok) <= 2 * replicas for q, s in zip(quick, slow, strict=True))
    # the agents counted every completion, spread over the replicas at the end of each span
    assert quick_counted == slow_counted == quick_result.ok


def test_a_quiet_span_ends_where_a_replica_starts_to_queue():
    # 1 replica serves 400 rps: the ramp crosses it 30 s in, and the queue then fills
    profile = "ramp 200-600rps 60s"
    quick, quick_result, _ = replay(True, 1, profile, 0.0)
    slow, slow_result, _ = replay(False, 1, profile, 0.0)
    assert [s.sent for s in quick] == [s.sent for s in slow]
    for seconds, result in ((quick, quick_result), (slow, slow_result)):
        assert result.sent == result.ok + result.failed_total
        started = seconds[0].t
        queued = [s.t - started for s in seconds if s.p99_ms is not None and s.p99_ms > 10]
        assert 29 <= queued[0] <= 32
    # once queueing, both go interval by interval: the same backlog within rounding
    late = [(q.p99_ms, s.p99_ms) for q, s in zip(quick, slow, strict=True)][40:60]
    assert all(abs(q - s) <= 0.02 * s for q, s in late)


def test_a_model_without_a_route_answers_503_to_every_request_in_a_quiet_span_too():
    def unroutable(quiet: bool):
        cluster = TwinCluster()
        cluster.traffic.quiet_spans = quiet
        # no Server serves it: ScheduleFailed, and Envoy has no route for it
        cluster.apply(model("iris"))
        cluster.sleep(5)
        run = cluster.load("iris", "ramp 10-50rps 40s")
        result = run.wait()
        rows = [(s.t, s.sent, s.ok, s.failed, s.p99_ms) for s in run.seconds()]
        cluster.close()
        return rows, result

    quick, quick_result = unroutable(True)
    slow, _ = unroutable(False)
    assert quick == slow
    assert quick_result.failed == {"503": quick_result.sent} and quick_result.ok == 0


def test_the_timeline_shows_every_second_before_now_after_any_wait():
    cluster = TwinCluster()
    cluster.apply(server(replicas=1), model("iris"))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    run = cluster.load("iris", "hold 50rps 10m")
    started = int(run.started_at)
    # the engine runs up to a minute behind between the instants that change or read it
    cluster.sleep(37.5)
    seconds = run.seconds()
    assert seconds[-1].t == int(cluster.now()) - 1
    assert [s.t for s in seconds] == list(range(started, int(cluster.now())))
    assert all(s.sent == 50 for s in seconds[1:])
    cluster.close()
