"""Assertions pass when the cluster behaves and fail, for the right reason, when it does not.

The fake cluster below implements the SeldonCluster protocol over a hand-built Timeline and a
script of changes applied as its virtual clock advances, so each test states the history it
needs in a few lines.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling import expect
from pytest_seldon_scaling.cluster import ClusterError, LoadRun, SeldonCluster, WaitTimeout
from pytest_seldon_scaling.load.profile import Hold, LoadProfile
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.timeline import HPASample, ReplicaSample, Timeline, TrafficSecond

REASON = expect.NOT_ENOUGH_REPLICAS


class FakeCluster:
    """Objects in their Kubernetes shape, a virtual clock and a script of timed changes."""

    backend = "fake"
    core_version = "2.10.0"
    namespace = "test"

    def __init__(self, *, retry_reads: bool = False) -> None:
        self.retry_reads = retry_reads  # as the kube backend: a failed read is no answer
        self.timeline = Timeline()
        self.objects: dict[str, dict] = {}
        self.placements: dict[str, dict[int, list[str]]] = {}
        self.script: list[tuple[float, Callable[[], None]]] = []
        self.clock = 0.0

    # scripting --------------------------------------------------------------------------------

    def at(self, t: float, change: Callable[[], None]) -> None:
        self.script.append((t, change))
        self.script.sort(key=lambda item: item[0])
        self._run_due()

    def replicas(self, t: float, ref: str, spec: int, status: int, available: int | None = None):
        def change() -> None:
            obj = self.objects.setdefault(ref, _object(ref))
            obj["spec"]["replicas"] = spec
            obj.setdefault("status", {})["replicas"] = status
            if available is not None:
                obj["status"]["availableReplicas"] = available
            self.timeline.record_replicas(t, ref, spec, status, available)

        self.at(t, change)

    def condition(self, t: float, ref: str, type_: str, status: str, reason="", message=""):
        def change() -> None:
            obj = self.objects.setdefault(ref, _object(ref))
            conds = obj.setdefault("status", {}).setdefault("conditions", [])
            conds[:] = [c for c in conds if c["type"] != type_]
            conds.append({"type": type_, "status": status, "reason": reason, "message": message})
            self.timeline.record_condition(t, ref, type_, status, reason, message)

        self.at(t, change)

    def _run_due(self) -> None:
        while self.script and self.script[0][0] <= self.clock + 1e-9:
            _, change = self.script.pop(0)
            change()

    # protocol ---------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock

    def apply(self, *sources):
        refs = []
        for obj in sources:
            ref = f"{obj['kind'].lower()}/{obj['metadata']['name']}"
            if obj["kind"] == "HorizontalPodAutoscaler":
                ref = f"hpa/{obj['metadata']['name']}"
            self.objects[ref] = copy.deepcopy(obj)
            refs.append(ref)
        return refs

    def delete(self, ref: str, *, wait: bool = True) -> None:
        self.objects.pop(ref)

    def get(self, ref: str) -> dict:
        if ref not in self.objects:
            raise ClusterError(f"get {ref}: not found")
        return copy.deepcopy(self.objects[ref])

    def list(self, kind: str) -> list[dict]:
        return [copy.deepcopy(o) for r, o in self.objects.items() if r.startswith(kind + "/")]

    def scale(self, ref: str, replicas: int) -> None:
        self.objects[ref]["spec"]["replicas"] = replicas

    def placement(self, server: str) -> dict[int, list[str]]:
        return copy.deepcopy(self.placements.get(server, {}))

    def load(self, model, profile, protocol="rest"):
        raise NotImplementedError("the fake cluster takes traffic from the test")

    def wait_until(self, predicate, timeout, *, what, poll=1.0) -> float:
        start = self.clock
        last_error = ""
        while True:
            self._run_due()
            try:
                if predicate():
                    return self.clock
            except ClusterError as error:
                if not self.retry_reads:
                    raise
                last_error = f"; last read error: {error}"
            if self.clock - start >= timeout - 1e-9:
                raise WaitTimeout(f"{what}: not within {timeout:g}s{last_error}")
            self.sleep(poll)

    def sleep(self, seconds: float) -> None:
        end = self.clock + seconds
        while self.script and self.script[0][0] <= end:
            t, change = self.script.pop(0)
            self.clock = max(self.clock, t)
            change()
        self.clock = end

    def close(self) -> None:
        pass


class FakeRun:
    """A finished load run over hand-written seconds."""

    def __init__(self, model: str, seconds: list[TrafficSecond]) -> None:
        self.model = model
        self.profile = LoadProfile(Hold(5, len(seconds)))
        self.started_at = 0.0
        self._seconds = seconds

    @property
    def done(self) -> bool:
        return True

    def seconds(self) -> list[TrafficSecond]:
        return list(self._seconds)

    def wait(self):
        raise NotImplementedError


def _object(ref: str) -> dict:
    kind, name = ref.split("/")
    return {
        "apiVersion": "mlops.seldon.io/v1alpha1",
        "kind": kind.capitalize(),
        "metadata": {"name": name},
        "spec": {},
    }


def traffic(model: str, t0: int, t1: int, rps: int = 5, failed=None, p99=20.0) -> list:
    failed = failed or {}
    return [
        TrafficSecond(
            t,
            model,
            float(rps),
            sent=rps,
            ok=rps - sum(failed.get(t, {}).values()),
            failed=dict(failed.get(t, {})),
            p99_ms=p99,
        )
        for t in range(t0, t1)
    ]


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


def test_fakes_implement_the_protocols(cluster):
    assert isinstance(cluster, SeldonCluster)
    assert isinstance(FakeRun("m", []), LoadRun)


# -- replicas_of ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "field", "expected"),
    [
        ({"spec": {"replicas": 2}, "status": {"replicas": 1}}, "spec", 2),
        ({"spec": {"replicas": 2}, "status": {"replicas": 1}}, "status", 1),
        ({"spec": {}, "status": {"replicas": 3, "availableReplicas": 2}}, "available", 2),
        ({"spec": {"replicas": 2}, "status": {}}, "status", 0),  # omitted zero value
        ({"spec": {"replicas": 2}}, "status", None),  # never reconciled: not zero
        ({"spec": {}}, "spec", None),
    ],
)
def test_replicas_of(obj, field, expected):
    assert expect.replicas_of(obj, field) == expected


def test_replicas_of_rejects_unknown_field():
    with pytest.raises(ValueError, match="field must be one of"):
        expect.replicas_of({}, "ready")


# -- converges --------------------------------------------------------------------------------


def test_converges_returns_when_the_stable_period_began(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(40, "model/irisa0", 3, 2)
    cluster.replicas(52, "model/irisa0", 3, 3)
    began = expect.converges(cluster, "model/irisa0", 3, within="2m", stable_for="30s")
    assert began == 52
    assert cluster.now() >= 82


def test_converges_on_spec_replicas(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(40, "model/irisa0", 3, 1)
    assert expect.converges(cluster, "model/irisa0", 3, within=60, stable_for=0, field="spec") == 40


def test_converges_on_available_replicas(cluster):
    cluster.replicas(0, "model/irisa0", 3, 3, available=1)
    cluster.replicas(20, "model/irisa0", 3, 3, available=3)
    assert expect.converges(cluster, "model/irisa0", 3, within=60, field="available") == 20


def test_available_applies_to_models_only(cluster):
    cluster.replicas(0, "server/mlserver", 1, 1)
    with pytest.raises(ValueError, match="Models only"):
        expect.converges(cluster, "server/mlserver", 1, within=10, field="available")


def test_converges_fails_showing_the_values_seen_and_the_timeline(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(30, "model/irisa0", 2, 2)
    for s in traffic("irisa0", 0, 90):
        cluster.timeline.record_traffic(s)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.converges(cluster, "model/irisa0", 3, within="60s", stable_for="30s")
    message = str(failure.value)
    assert "model/irisa0 did not converge to 3 status replicas within 60s" in message
    assert "last seen 2" in message
    assert "1 at t=0, 2 at t=30" in message
    assert "model/irisa0 spec/status" in message  # the timeline table
    assert "irisa0 rps ok/fail" in message


def test_converges_restarts_the_stable_period_after_a_flap_between_polls(cluster):
    cluster.replicas(0, "model/irisa0", 3, 3)
    cluster.replicas(10.2, "model/irisa0", 3, 2)  # recorded, but no poll sees it
    cluster.replicas(10.6, "model/irisa0", 3, 3)
    assert expect.converges(cluster, "model/irisa0", 3, within=60, stable_for=30) == 10.6


def test_converges_fails_when_it_does_not_stay(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(20, "model/irisa0", 3, 3)
    cluster.replicas(35, "model/irisa0", 4, 4)  # overshoot
    with pytest.raises(expect.ExpectationFailed, match="last seen 4"):
        expect.converges(cluster, "model/irisa0", 3, within=40, stable_for=30)


def test_converges_fails_when_stable_too_late(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(60, "model/irisa0", 3, 3)
    with pytest.raises(
        expect.ExpectationFailed,
        match=r"reached 3 at t=60s, 60s after the wait began and 50s before it ended",
    ):
        expect.converges(cluster, "model/irisa0", 3, within=50, stable_for=60)


def test_converges_shows_the_hpa_decisions(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.apply(_hpa())
    cluster.timeline.record_hpa(HPASample(15, "hpa/irisa0-hpa", 1, 2, {"infer_rps": 5.0}, {}))
    with pytest.raises(expect.ExpectationFailed, match=r"hpa/irisa0-hpa: 1 -> 2"):
        expect.converges(cluster, "model/irisa0", 3, within=30, stable_for=0)


def test_a_failed_read_is_an_error_not_zero_replicas(cluster):
    with pytest.raises(ClusterError, match="not found"):
        expect.converges(cluster, "model/absent", 0, within=10)


def test_failed_reads_retried_by_the_backend_are_not_zero_either():
    cluster = FakeCluster(retry_reads=True)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.converges(cluster, "model/absent", 0, within=10, stable_for=0)
    message = str(failure.value)
    assert "Values read: none (every read failed)" in message
    assert "last read error: get model/absent: not found" in message


def test_a_read_failing_mid_wait_is_reported():
    cluster = FakeCluster(retry_reads=True)
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.at(5, lambda: cluster.objects.pop("model/irisa0"))
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.converges(cluster, "model/irisa0", 1, within=10, stable_for=30)
    message = str(failure.value)
    assert "it reached 1 at t=0s" in message
    assert "last read error: get model/irisa0: not found" in message


@pytest.mark.parametrize(
    ("changes", "now", "expected"),
    [
        ([], 10.0, None),
        ([(0.0, 3)], 10.0, 0.0),
        ([(0.0, 2), (6.0, 3)], 10.0, 6.0),
        ([(0.0, 3), (6.0, 2)], 10.0, None),
        ([(0.0, 3), (6.0, 2), (7.0, 3)], 10.0, 7.0),
        ([(0.0, 2), (11.0, 3)], 10.0, None),  # after now: not yet
    ],
)
def test_run_start(changes, now, expected):
    samples = [ReplicaSample(t, "model/m", 3, v) for t, v in changes]
    assert expect.run_start(samples, "status", 3, now) == expected


def test_converges_counts_a_run_that_began_before_the_call(cluster):
    cluster.replicas(0, "model/irisa0", 2, 2)
    cluster.sleep(100)
    assert expect.converges(cluster, "model/irisa0", 2, within=10, stable_for=30) == 0
    assert cluster.now() == 100  # no wait: the record shows 100 s at 2 already


def test_converges_counts_from_the_read_when_the_record_lags(cluster):
    cluster.objects["model/irisa0"] = {"spec": {"replicas": 2}, "status": {"replicas": 2}}
    assert expect.converges(cluster, "model/irisa0", 2, within=10, stable_for=5) == 0
    assert cluster.now() == 5


# -- schedule_failed / still_serving ----------------------------------------------------------


def test_schedule_failed_matches_the_condition_by_type(cluster):
    cluster.condition(0, "model/irisa0", "Ready", "False", REASON, "ScheduleFailed")
    cluster.condition(0, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    cluster.condition(25, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    assert expect.schedule_failed(cluster, "irisa0", within=60) == 25


def test_schedule_failed_accepts_a_ref(cluster):
    cluster.condition(0, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    assert expect.schedule_failed(cluster, "model/irisa0") == 0


def test_schedule_failed_names_expected_and_seen(cluster):
    other = expect.NO_MATCHING_SERVERS
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.condition(5, "model/irisa0", "ModelReady", "False", other, "ScheduleFailed")
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.schedule_failed(cluster, "irisa0", within="30s")
    message = str(failure.value)
    assert "did not become ScheduleFailed within 30s" in message
    assert f"reason={REASON!r}" in message
    assert f"reason={other!r}" in message
    assert "t=5s ModelReady=False" in message


def test_schedule_failed_rejects_swapped_message_and_reason(cluster):
    cluster.condition(0, "model/irisa0", "ModelReady", "False", "ScheduleFailed", REASON)
    with pytest.raises(expect.ExpectationFailed):
        expect.schedule_failed(cluster, "irisa0", within=5)


def test_schedule_failed_without_condition(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    with pytest.raises(expect.ExpectationFailed, match="seen:     no ModelReady condition"):
        expect.schedule_failed(cluster, "irisa0", within=5)


def _schedule_failed_period(cluster: FakeCluster) -> None:
    cluster.condition(0, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    cluster.condition(20, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    cluster.condition(50, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    cluster.sleep(60)


def test_schedule_failed_intervals(cluster):
    _schedule_failed_period(cluster)
    cluster.condition(70, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    cluster.sleep(30)
    for s in traffic("irisa0", 0, 90):
        cluster.timeline.record_traffic(s)
    assert expect.schedule_failed_intervals(cluster.timeline, "irisa0") == [(20, 50), (70, 90)]


def test_schedule_failed_before_ever_being_ready_is_not_a_serving_period(cluster):
    cluster.condition(0, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    cluster.condition(20, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    cluster.condition(40, "model/irisa0", "ModelReady", "False", REASON, "ScheduleFailed")
    cluster.condition(60, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    cluster.sleep(60)
    timeline = cluster.timeline
    assert expect.schedule_failed_intervals(timeline, "irisa0") == [(0, 20), (40, 60)]
    assert expect.schedule_failed_intervals(timeline, "irisa0", after_available=True) == [(40, 60)]
    for s in traffic("irisa0", 30, 70):  # no traffic during the first period
        timeline.record_traffic(s)
    expect.still_serving(cluster, "irisa0")


def test_still_serving_while_schedule_failed(cluster):
    _schedule_failed_period(cluster)
    for s in traffic("irisa0", 0, 60, failed={10: {"503": 2}}):  # before the period: ignored
        cluster.timeline.record_traffic(s)
    expect.still_serving(cluster, "irisa0")
    expect.still_serving(cluster, "irisa0", during=(20, 50))


def test_still_serving_names_the_first_bad_second(cluster):
    _schedule_failed_period(cluster)
    for s in traffic("irisa0", 0, 60, failed={33: {"503": 5}, 40: {"503": 1}}):
        cluster.timeline.record_traffic(s)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.still_serving(cluster, "irisa0")
    message = str(failure.value)
    assert (
        "irisa0 stopped serving between t=20s and t=50s: first at t=33s (failed 5x 503)" in message
    )
    assert "2 bad second(s) of 30 with traffic" in message
    assert "ModelReady=False" in message  # the table shows the condition change


def test_still_serving_needs_answers_not_just_silence(cluster):
    _schedule_failed_period(cluster)
    seconds = traffic("irisa0", 0, 60)
    seconds[25] = TrafficSecond(25, "irisa0", 5.0, sent=5, ok=0)
    for s in seconds:
        cluster.timeline.record_traffic(s)
    with pytest.raises(expect.ExpectationFailed, match=r"t=25s \(5 sent, none answered\)"):
        expect.still_serving(cluster, "irisa0")


def test_still_serving_allows_listed_codes(cluster):
    _schedule_failed_period(cluster)
    for s in traffic("irisa0", 0, 60, failed={30: {"429": 1}}):
        cluster.timeline.record_traffic(s)
    expect.still_serving(cluster, "irisa0", allow={"429"})


def test_still_serving_without_traffic_proves_nothing(cluster):
    _schedule_failed_period(cluster)
    with pytest.raises(expect.ExpectationFailed, match="no traffic to irisa0"):
        expect.still_serving(cluster, "irisa0")


def test_still_serving_needs_a_schedule_failed_period(cluster):
    cluster.condition(0, "model/irisa0", "ModelReady", "True", "", "ModelAvailable")
    with pytest.raises(expect.ExpectationFailed, match="never ScheduleFailed after it had been"):
        expect.still_serving(cluster, "irisa0")


# -- zero_downtime ----------------------------------------------------------------------------


def test_zero_downtime_passes_on_a_clean_run():
    expect.zero_downtime(FakeRun("irisa0", traffic("irisa0", 0, 30)))


def test_zero_downtime_names_the_first_failure_and_its_codes(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.replicas(0, "server/mlserver", 2, 2)
    cluster.replicas(40, "server/mlserver", 1, 1)
    failed = {41: {"503": 3, "504": 1}, 44: {"503": 2}}
    for s in traffic("irisa0", 0, 60, failed=failed):
        cluster.timeline.record_traffic(s)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.zero_downtime(cluster, during=(30, 60), model="irisa0")
    message = str(failure.value)
    assert "6 of 150 requests to irisa0 failed between t=30s and t=60s" in message
    assert "(5x 503, 1x 504)" in message
    assert "first failure at t=41s: 3x 503, 1x 504 of 5 sent" in message
    assert "server/mlserver spec/status" in message


def test_zero_downtime_outside_the_window_passes(cluster):
    for s in traffic("irisa0", 0, 60, failed={10: {"503": 1}}):
        cluster.timeline.record_traffic(s)
    expect.zero_downtime(cluster.timeline, during=(30, 60))


def test_zero_downtime_bounds_latency():
    seconds = traffic("irisa0", 0, 20)
    seconds[12].p99_ms = 950.0
    run = FakeRun("irisa0", seconds)
    expect.zero_downtime(run, max_p99_ms=1000)
    with pytest.raises(expect.ExpectationFailed, match=r"p99 950 ms at t=12s .* bound of 500 ms"):
        expect.zero_downtime(run, max_p99_ms=500)


def test_zero_downtime_without_requests_fails():
    with pytest.raises(expect.ExpectationFailed, match="no requests to irisa0"):
        expect.zero_downtime(FakeRun("irisa0", []))


second_strategy = st.builds(
    lambda t, sent, fails: TrafficSecond(
        t, "m", float(sent), sent=sent, ok=sent, failed={"503": fails} if fails else {}
    ),
    st.integers(0, 100),
    st.integers(0, 20),
    st.integers(0, 3),
)


@given(st.lists(second_strategy, max_size=30))
def test_downtime_counts_every_failure_and_finds_the_first(seconds):
    verdict = expect.downtime(seconds)
    assert sum(verdict.failed.values()) == sum(s.failed_total for s in seconds)
    failing = [s.t for s in seconds if s.failed_total]
    assert (verdict.first_failure.t if verdict.first_failure else None) == min(
        failing, default=None
    )


# -- packed -----------------------------------------------------------------------------------


def _packed_cluster(cluster: FakeCluster) -> FakeCluster:
    cluster.replicas(0, "server/mlserver", 3, 3)
    cluster.replicas(30, "server/mlserver", 2, 2)
    cluster.placements["mlserver"] = {0: ["irisa0", "irisb0"], 1: ["irisc0"], 2: []}
    return cluster


def test_packed_with_indexed_placement(cluster):
    _packed_cluster(cluster).sleep(30)
    expect.packed(cluster, "mlserver", 2, {0: ["irisb0", "irisa0"], 1: ["irisc0"]})


def test_packed_with_sets_in_any_order(cluster):
    _packed_cluster(cluster).sleep(30)
    expect.packed(cluster, "server/mlserver", 2, [{"irisc0"}, {"irisa0", "irisb0"}])


def test_packed_waits_when_asked(cluster):
    _packed_cluster(cluster)
    expect.packed(cluster, "mlserver", 2, within="1m")
    assert cluster.now() == 30


def test_packed_shows_expected_and_seen_placement(cluster):
    _packed_cluster(cluster).sleep(30)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.packed(cluster, "mlserver", 2, {0: ["irisa0"], 1: ["irisb0", "irisc0"]})
    message = str(failure.value)
    assert "placement expected {0: ['irisa0'], 1: ['irisb0', 'irisc0']}" in message
    assert "placement seen     {0: ['irisa0', 'irisb0'], 1: ['irisc0'], 2: []}" in message


def test_packed_fails_on_replicas(cluster):
    _packed_cluster(cluster)
    with pytest.raises(expect.ExpectationFailed, match="replicas expected 2, seen spec=3 status=3"):
        expect.packed(cluster, "mlserver", 2)


placements = st.dictionaries(
    st.integers(0, 5), st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True), max_size=5
)


@given(placements, st.randoms())
def test_placement_ignores_model_order_and_index_for_sets(placement, rnd):
    shuffled = {i: rnd.sample(m, len(m)) for i, m in placement.items()}
    assert expect.placement_matches(placement, shuffled)
    as_sets = [set(m) for m in placement.values()]
    rnd.shuffle(as_sets)
    assert expect.placement_matches(placement, as_sets)


@given(placements, placements)
def test_placement_differs_when_models_differ(a, b):
    same = {i: set(m) for i, m in a.items() if m} == {i: set(m) for i, m in b.items() if m}
    assert expect.placement_matches(a, b) == same


# -- the HPA ----------------------------------------------------------------------------------


def _hpa(behavior: dict | None = None) -> dict:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "irisa0-hpa"},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "mlops.seldon.io/v1alpha1",
                "kind": "Model",
                "name": "irisa0",
            },
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Object",
                    "object": {
                        "metric": {"name": "infer_rps"},
                        "describedObject": {
                            "apiVersion": "mlops.seldon.io/v1alpha1",
                            "kind": "Model",
                            "name": "irisa0",
                        },
                        "target": {"type": "AverageValue", "averageValue": "3"},
                    },
                }
            ],
        },
    }
    if behavior is not None:
        hpa["spec"]["behavior"] = behavior
    return hpa


@pytest.mark.parametrize(
    ("metric", "key"),
    [
        (_hpa()["spec"]["metrics"][0], "infer_rps"),
        ({"type": "Pods", "pods": {"metric": {"name": "qps"}}}, "qps"),
        ({"type": "External", "external": {"metric": {"name": "queue"}}}, "queue"),
        ({"type": "Resource", "resource": {"name": "cpu"}}, "cpu"),
        (
            {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "a"}},
            "cpu",
        ),
    ],
)
def test_metric_key(metric, key):
    assert expect.metric_key(metric) == key


def test_metric_key_names_a_broken_entry():
    with pytest.raises(ValueError, match="type 'Object' has no metric name"):
        expect.metric_key({"type": "Object", "object": {}})


@pytest.fixture
def hpa_module():
    return pytest.importorskip("pytest_seldon_scaling.hpa", reason="hpa.py is not written yet")


def test_predict_hpa_follows_the_metric(hpa_module):
    syncs = expect.predict_hpa(_hpa(), [(0, 2.0), (60, 8.5), (120, 0.5)], replicas=1, until=600)
    by_t = {s.t: s.predicted for s in syncs}
    assert by_t[45] == 1
    assert by_t[60] == 3  # ceil(8.5 / 3)
    assert by_t[120] == 3  # scale-down stabilization keeps 3 for 300 s
    assert by_t[600] == 1


def _followed_cluster(cluster: FakeCluster, desired_at_60: int = 3) -> FakeCluster:
    cluster.apply(_hpa())
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.objects["model/irisa0"]["status"]["selector"] = "server=mlserver"
    for t in range(0, 61, 15):
        metric = 2.0 if t < 60 else 8.5
        desired = 1 if t < 60 else desired_at_60
        cluster.timeline.record_hpa(
            HPASample(t, "hpa/irisa0-hpa", 1, desired, {"infer_rps": metric}, {})
        )
    cluster.replicas(62, "model/irisa0", desired_at_60, 1)
    cluster.sleep(90)
    return cluster


def test_follows_hpa(cluster, hpa_module):
    replayed = expect.follows_hpa(_followed_cluster(cluster), "hpa/irisa0-hpa")
    assert [s.predicted for s in replayed] == [1, 1, 1, 1, 3]


def test_follows_hpa_reads_the_status_before_its_own_rescale_seen_early(cluster, hpa_module):
    """On a cluster the HPA writes /scale before its status, and the Model's watch can deliver
    the rescale (and the status it led to) before the HPA's: the sync at t=60 read status 1."""
    cluster.apply(_hpa())
    cluster.replicas(0, "model/irisa0", 1, 1)
    cluster.objects["model/irisa0"]["status"]["selector"] = "server=mlserver"
    for t in range(0, 61, 15):
        metric, desired = (2.0, 1) if t < 60 else (8.5, 3)
        cluster.timeline.record_hpa(
            HPASample(t, "hpa/irisa0-hpa", 1, desired, {"infer_rps": metric}, {})
        )
    cluster.replicas(59.6, "model/irisa0", 3, 1)  # the rescale, seen 0.4 s before the sync
    cluster.replicas(59.8, "model/irisa0", 3, 3)
    cluster.sleep(90)
    replayed = expect.follows_hpa(cluster, "hpa/irisa0-hpa")
    assert [(s.predicted, s.status) for s in replayed][-1] == (3, 1)


def test_follows_hpa_shows_the_first_divergence(cluster, hpa_module):
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.follows_hpa(_followed_cluster(cluster, desired_at_60=2), "hpa/irisa0-hpa")
    message = str(failure.value)
    assert "hpa/irisa0-hpa diverged from the HPA algorithm at t=60s" in message
    assert "it should want 3 replicas" in message
    assert "but it wanted 2" in message
    assert "<-- differs" in message


def test_follows_hpa_needs_the_target_to_follow(cluster, hpa_module):
    _followed_cluster(cluster)
    cluster.timeline = Timeline()
    cluster.timeline.record_replicas(0, "model/irisa0", 1, 1)
    cluster.timeline.record_hpa(HPASample(60, "hpa/irisa0-hpa", 1, 3, {"infer_rps": 8.5}, {}))
    with pytest.raises(expect.ExpectationFailed, match=r"did not show 3 within 15s"):
        expect.follows_hpa(cluster, "hpa/irisa0-hpa")


def test_follows_hpa_without_syncs_fails(cluster, hpa_module):
    cluster.apply(_hpa())
    cluster.replicas(0, "model/irisa0", 1, 1)
    with pytest.raises(expect.ExpectationFailed, match="no sync of hpa/irisa0-hpa was recorded"):
        expect.follows_hpa(cluster, "hpa/irisa0-hpa")


def test_follows_hpa_judges_only_the_window_but_replays_all(cluster, hpa_module):
    _followed_cluster(cluster, desired_at_60=2)
    replayed = expect.follows_hpa(cluster, "hpa/irisa0-hpa", during=(0, 60))
    assert [s.t for s in replayed] == [0, 15, 30, 45]


def test_an_unrecorded_metric_is_unavailable_not_zero(hpa_module):
    samples = [
        HPASample(0, "hpa/irisa0-hpa", 3, 3, {"infer_rps": 9.0}, {}),
        HPASample(15, "hpa/irisa0-hpa", 3, 3, {}, {}),
    ]
    replayed = expect.replay_hpa(_hpa(), samples)
    # a zero metric would propose 1 replica; an unavailable one leaves the count alone
    assert [s.predicted for s in replayed] == [3, 3]


def test_predict_hpa_takes_one_value_per_metric(hpa_module):
    hpa = _hpa()
    second = {"type": "Object", "object": {**hpa["spec"]["metrics"][0]["object"]}}
    second["object"]["metric"] = {"name": "queue"}
    hpa["spec"]["metrics"].append(second)
    syncs = expect.predict_hpa(hpa, [(0, (1.0, 8.0))], replicas=1, until=0)
    assert syncs[0].metrics == {"infer_rps": 1.0, "queue": 8.0}
    assert syncs[0].predicted == 3  # the largest proposal wins
    keyed = expect.predict_hpa(hpa, [(0, {"infer_rps": 7.0, "queue": 1.0})], replicas=1, until=0)
    assert keyed[0].predicted == 3


def test_predict_hpa_honours_behavior(hpa_module):
    slow = _hpa({"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}})
    syncs = expect.predict_hpa(slow, [(0, 9.0)], replicas=1, until=60)
    assert [s.predicted for s in syncs] == [2, 2, 2, 2, 3]  # one pod per minute


def test_replay_takes_reported_average_values_per_replica(hpa_module):
    # the HPA reports infer_rps 4.5 per replica over 2 replicas: it read 9 rps, wants 3
    samples = [HPASample(0, "hpa/irisa0-hpa", 2, 3, {"infer_rps": 4.5}, {})]
    replayed = expect.replay_hpa(_hpa(), samples, status_at=lambda t: 2, selector="server=m")
    assert replayed[0].predicted == 3 and replayed[0].agrees


def test_replay_takes_pods_averages_as_every_pod(hpa_module):
    hpa = _hpa()
    hpa["spec"]["metrics"] = [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "qps"},
                "target": {"type": "AverageValue", "averageValue": "3"},
            },
        }
    ]
    samples = [HPASample(0, "hpa/irisa0-hpa", 2, 3, {"qps": 4.5}, {})]
    replayed = expect.replay_hpa(hpa, samples, status_at=lambda t: 2, selector="server=m")
    assert replayed[0].predicted == 3


def test_replay_refuses_utilization():
    hpa = _hpa()
    hpa["spec"]["metrics"] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]
    with pytest.raises(ValueError, match="cannot be recovered"):
        expect.reported_to_observed(hpa, {"cpu": 95.0}, 2)


def test_zero_downtime_with_an_open_window(cluster):
    for s in traffic("irisa0", 0, 60, failed={10: {"503": 1}, 50: {"500": 1}}):
        cluster.timeline.record_traffic(s)
    with pytest.raises(expect.ExpectationFailed, match=r"failed from t=30s on \(1x 500\)"):
        expect.zero_downtime(cluster, during=("30s", None))
    expect.zero_downtime(cluster, during=(None, 10))


# -- on the twin ------------------------------------------------------------------------------


@pytest.fixture
def twin():
    module = pytest.importorskip("pytest_seldon_scaling.twin.cluster", reason="no twin yet")
    cluster = module.TwinCluster(seed=3)
    yield cluster
    cluster.close()


def _fixtures(*names: str) -> list[str]:
    root = default_manifests()
    return [str(root / name) for name in names]


def test_on_the_twin_a_model_hpa_ramp_conforms(twin):
    twin.apply(*_fixtures("servers.yaml", "models.yaml", "hpas.yaml", "adapter-configmap.yaml"))
    expect.converges(twin, "model/iris-shared", 1, within="2m", stable_for="10s", field="available")
    run = twin.load("iris-shared", LoadProfile.parse("ramp 1-15rps 2m, hold 3m, ramp 15-1rps 2m"))
    run.wait()
    expect.zero_downtime(run)
    replayed = expect.follows_hpa(twin, "hpa/iris-shared-model-hpa")
    assert max(s.predicted for s in replayed) == 3
    expect.converges(twin, "model/iris-shared", 1, within="10m", stable_for="30s")


def test_on_the_twin_a_model_outgrowing_its_server_is_schedule_failed_but_serving(twin):
    twin.apply(*_fixtures("servers.yaml", "models.yaml"))
    expect.converges(
        twin, "model/iris-dedicated", 1, within="2m", stable_for="10s", field="available"
    )
    run = twin.load("iris-dedicated", LoadProfile.parse("hold 3rps 5m"))
    twin.sleep(30)
    twin.scale("model/iris-dedicated", 5)  # the Server allows at most 3 replicas
    expect.schedule_failed(twin, "iris-dedicated", within="2m")
    twin.sleep(60)
    twin.scale("model/iris-dedicated", 2)
    run.wait()
    expect.still_serving(twin, "iris-dedicated")
    expect.zero_downtime(run)
    with pytest.raises(expect.ExpectationFailed, match="did not converge to 5 available"):
        expect.converges(twin, "model/iris-dedicated", 5, within="1m", field="available")


# -- one way to name objects, the clock, short failures -------------------------------------


def test_every_helper_takes_kind_slash_name_and_kubectl_aliases(cluster):
    from pytest_seldon_scaling.handle import SeldonHandle

    cluster.replicas(0, "model/irisa0", 2, 2)
    _packed_cluster(cluster).sleep(30)
    seldon = SeldonHandle(cluster, name="naming")
    for ref in ("model/irisa0", "Model/irisa0", "models/irisa0"):
        assert seldon.get(ref)["metadata"]["name"] == "irisa0"
        assert expect.converges(seldon, ref, 2, within=10, stable_for=0) is not None
    assert seldon.placement("server/mlserver") == seldon.placement("mlserver")
    expect.packed(seldon, "server/mlserver", 2)
    with pytest.raises(ValueError, match="'server/mlserver' is not a model reference"):
        seldon.load("server/mlserver", "1m")
    with pytest.raises(ValueError, match="expected '<kind>/<name>'"):
        seldon.get("irisa0")  # no kind is implied by get


def test_a_failure_records_when_it_happened_and_hides_the_helpers_frames(cluster):
    cluster.replicas(0, "model/irisa0", 1, 1)
    with pytest.raises(expect.ExpectationFailed) as failure:
        expect.converges(cluster, "model/irisa0", 3, within="60s", stable_for="0s")
    assert failure.value.at == cluster.now()
    assert failure.traceback[-1].frame.f_locals.get("__tracebackhide__") is True
    assert failure.traceback.filter(failure)[-1].name == (
        "test_a_failure_records_when_it_happened_and_hides_the_helpers_frames"
    )
