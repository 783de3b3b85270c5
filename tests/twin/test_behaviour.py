"""The issue's "behaviour to prove" list, on the twin, in virtual time."""

from pytest_seldon_scaling.twin import TwinCluster, TwinSettings
from pytest_seldon_scaling.twin.scheduler import NOT_ENOUGH_REPLICAS

from .builders import ADAPTER_CONFIGMAP, condition, hpa, is_available, model, server

PACKING = TwinSettings(server_packing_enabled=True, server_packing_percentage=1.0)


def failures(cluster, name, start=0.0, end=None):
    return sum(s.failed_total for s in cluster.timeline.traffic_for(name, start, end))


def test_infer_rps_150_with_average_value_50_gives_3_replicas(twin):
    twin.apply(ADAPTER_CONFIGMAP, server(replicas=3), model("irisa0"))
    twin.apply(hpa("irisa0-model-hpa", "Model", "irisa0", "irisa0", average_value=50))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    run = twin.load("irisa0", "hold 150rps 5m")
    result = run.wait()
    assert result.failed_total == 0
    assert twin.get("model/irisa0")["spec"]["replicas"] == 3
    assert twin.get("model/irisa0")["status"]["availableReplicas"] == 3
    last = twin.timeline.hpa_for("hpa/irisa0-model-hpa")[-1]
    assert last.desired == 3
    assert abs(last.metrics["infer_rps"] - 50) < 1
    assert sorted(twin.placement("mlserver")) == [0, 1, 2]


def _packing_scenario(settings):
    cluster = TwinCluster(settings=settings)
    cluster.apply(server(replicas=2, min_replicas=1, max_replicas=4))
    for name, replicas in (("a", 1), ("b", 1), ("c", 2)):
        cluster.apply(model(name, replicas, memory="100M"))
        cluster.wait_until(is_available(cluster, name), 120, what=f"{name} available")
    assert cluster.placement("mlserver") == {0: ["a", "c"], 1: ["b", "c"]}
    cluster.delete("model/c")
    cluster.sleep(60)
    return cluster


def test_packing_consolidates_after_an_unload():
    cluster = _packing_scenario(PACKING)
    assert cluster.placement("mlserver") == {0: ["a", "b"]}
    assert cluster.get("server/mlserver")["spec"]["replicas"] == 1
    assert any(e.reason == "ServerScaleDown" for e in cluster.timeline.events)


def test_without_packing_both_replicas_stay():
    cluster = _packing_scenario(TwinSettings())
    assert cluster.placement("mlserver") == {0: ["a"], 1: ["b"]}
    assert cluster.get("server/mlserver")["spec"]["replicas"] == 2


def test_packing_removes_the_third_replica_for_two_replica_models():
    cluster = TwinCluster(settings=PACKING)
    cluster.apply(server(replicas=3, min_replicas=1, max_replicas=3))
    cluster.apply(model("a", 3, memory="100M"), model("b", 3, memory="100M"))
    cluster.wait_until(is_available(cluster, "b", 3), 120, what="a and b on 3 replicas")
    cluster.apply(model("a", 2, memory="100M"), model("b", 2, memory="100M"))
    cluster.sleep(60)
    assert cluster.get("server/mlserver")["spec"]["replicas"] == 2
    assert cluster.placement("mlserver") == {0: ["a", "b"], 1: ["a", "b"]}


def test_model_hpa_beyond_server_max_shows_schedule_failed_while_old_replicas_serve():
    twin = TwinCluster()
    twin.apply(ADAPTER_CONFIGMAP, server(replicas=1, min_replicas=1, max_replicas=1))
    twin.apply(model("irisa0"), hpa("irisa0-model-hpa", "Model", "irisa0", "irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    run = twin.load("irisa0", "hold 9rps 10m")

    def schedule_failed_at_3():
        obj = twin.get("model/irisa0")
        ready = condition(obj, "ModelReady")
        failed = ready["status"] == "False" and ready["message"] == "ScheduleFailed"
        return failed and obj["status"]["replicas"] == 3

    twin.wait_until(schedule_failed_at_3, 400, what="3 replicas wanted, ScheduleFailed")
    ready = condition(twin.get("model/irisa0"), "ModelReady")
    assert ready["reason"] == NOT_ENOUGH_REPLICAS
    status = twin.get("model/irisa0")["status"]
    assert (status["replicas"], status["availableReplicas"]) == (3, 1)
    twin.sleep(60)
    assert failures(twin, "irisa0") == 0
    assert sum(s.ok for s in twin.timeline.traffic_for("irisa0", twin.now() - 30)) > 200

    twin.apply(server(replicas=3, min_replicas=1, max_replicas=3))
    twin.wait_until(is_available(twin, "irisa0", 3), 120, what="irisa0 on 3 replicas")
    result = run.wait()
    assert result.failed_total == 0


def test_native_server_autoscaling_follows_the_model_up_and_back_to_one(twin):
    # Core 2's own e2e scenario: a Server with only replicas: 1
    twin.apply(server(replicas=1), model("alpha", 1, requirements=["sklearn", "mlserver"]))
    twin.wait_until(is_available(twin, "alpha"), 120, what="alpha available")
    twin.apply(model("alpha", 3, requirements=["sklearn", "mlserver"]))
    twin.wait_until(is_available(twin, "alpha", 3), 300, what="alpha on 3 replicas")
    assert twin.get("server/mlserver")["spec"]["replicas"] == 3
    assert sorted(twin.placement("mlserver")) == [0, 1, 2]
    twin.apply(model("alpha", 1, requirements=["sklearn", "mlserver"]))
    twin.wait_until(
        lambda: sorted(twin.placement("mlserver")) == [0], 300, what="server back to 1 pod"
    )
    assert twin.get("server/mlserver")["spec"]["replicas"] == 1
    twin.apply(model("alpha", 0, requirements=["sklearn", "mlserver"]))
    twin.sleep(120)
    assert twin.get("server/mlserver")["spec"]["replicas"] == 1
    assert condition(twin.get("model/alpha"), "ModelReady")["message"] == "ModelScaledDown"


def test_v29_unset_server_max_means_no_native_scale_up():
    twin = TwinCluster(core_version="2.9")
    twin.apply(server(replicas=1), model("alpha", 1))
    twin.wait_until(is_available(twin, "alpha"), 120, what="alpha available")
    twin.apply(model("alpha", 3))
    twin.sleep(300)
    assert twin.get("server/mlserver")["spec"]["replicas"] == 1
    assert condition(twin.get("model/alpha"), "ModelReady")["message"] == "ScheduleFailed"


def test_scale_down_drains_moves_models_first_and_loses_no_request(twin):
    twin.apply(server(replicas=2, min_replicas=1, max_replicas=2))
    twin.apply(model("big", 1, memory="600M"))
    twin.wait_until(is_available(twin, "big"), 120, what="big available")
    twin.apply(model("m", 1, memory="100M"))
    twin.wait_until(is_available(twin, "m"), 120, what="m available")
    assert twin.placement("mlserver") == {0: ["big"], 1: ["m"]}
    run = twin.load("m", "hold 50rps 3m")
    twin.sleep(30)
    twin.scale("server/mlserver", 1)
    result = run.wait()
    assert twin.placement("mlserver") == {0: ["big", "m"]}
    assert result.failed_total == 0 and result.ok == result.sent
    drained = [e for e in twin.timeline.events if e.reason == "Drained"]
    removed = [e for e in twin.timeline.events if e.reason == "ReplicaRemoved"]
    assert drained and removed and drained[0].t <= removed[0].t


def test_model_with_as_many_replicas_as_the_server_fails_to_schedule_on_scale_down():
    twin = TwinCluster(settings=TwinSettings(server_autoscaling_enabled=False))
    twin.apply(server(replicas=2), model("m", 2))
    twin.wait_until(is_available(twin, "m", 2), 120, what="m on 2 replicas")
    run = twin.load("m", "hold 20rps 3m")
    twin.sleep(20)
    twin.scale("server/mlserver", 1)
    twin.sleep(30)
    ready = condition(twin.get("model/m"), "ModelReady")
    assert (ready["status"], ready["message"], ready["reason"]) == (
        "False",
        "ScheduleFailed",
        NOT_ENOUGH_REPLICAS,
    )
    run.wait()
    later = twin.timeline.traffic_for("m", twin.now() - 60)
    assert sum(s.ok for s in later) > 1000
    assert sum(s.failed_total for s in later) == 0


def test_native_scale_up_fights_a_server_scale_down():
    # Core 2 asks for the model's replica count back on the server it is assigned to
    twin = TwinCluster()
    twin.apply(server(replicas=2, min_replicas=1, max_replicas=2), model("m", 2))
    twin.wait_until(is_available(twin, "m", 2), 120, what="m on 2 replicas")
    twin.scale("server/mlserver", 1)
    twin.sleep(120)
    assert twin.get("server/mlserver")["spec"]["replicas"] == 2
    assert is_available(twin, "m", 2)()
    assert any(e.reason == "ScaledByScheduler" for e in twin.timeline.events)


def _lag_scenario(core_version):
    settings = TwinSettings(
        model_autoscaling_enabled=True, service_time_seconds=0.1, concurrency_per_replica=1
    )
    twin = TwinCluster(core_version=core_version, settings=settings)
    twin.apply(
        server(replicas=3),
        model("m", 1, minReplicas=1, maxReplicas=3),
    )
    twin.wait_until(is_available(twin, "m"), 120, what="m available")
    twin.load("m", "hold 25rps 3m").wait()
    peak = twin.get("model/m")["status"]["replicas"]
    twin.sleep(900)
    return twin, peak


def test_v29_lag_autoscaling_scales_up_under_lag_and_down_after_inactivity():
    twin, peak = _lag_scenario("2.9")
    assert peak == 3
    assert twin.get("model/m")["status"]["replicas"] == 1
    assert twin.get("model/m")["spec"]["replicas"] == 1  # the CR is never changed
    scaled = [e.message for e in twin.timeline.events if e.reason == "ModelScaled"]
    assert "lag autoscaling up to 2" in scaled and "lag autoscaling down to 1" in scaled


def test_v210_ignores_lag_autoscaling():
    twin, peak = _lag_scenario("2.10")
    assert peak == 1
    assert not [e for e in twin.timeline.events if e.reason == "ModelScaled"]


def _seeded_run(seed, arrivals="poisson"):
    twin = TwinCluster(seed=seed, settings=TwinSettings(arrivals=arrivals))
    twin.apply(ADAPTER_CONFIGMAP, server(replicas=3), model("irisa0"))
    twin.apply(hpa("irisa0-model-hpa", "Model", "irisa0", "irisa0", average_value=20))
    twin.load("irisa0", "ramp 1-60rps 3m").wait()
    return twin.timeline.to_dict()


def test_same_seed_same_timeline():
    assert _seeded_run(7) == _seeded_run(7)


def test_other_seed_differs_only_in_modelled_randomness():
    first, second = _seeded_run(1, "paced"), _seeded_run(2, "paced")
    assert first["replicas"] == second["replicas"]
    assert first["conditions"] == second["conditions"]
    assert first["events"] == second["events"]
    poisson_a, poisson_b = _seeded_run(1), _seeded_run(2)
    assert [s["sent"] for s in poisson_a["traffic"]] != [s["sent"] for s in poisson_b["traffic"]]


def test_model_applied_before_its_server_waits_as_schedule_failed(twin):
    twin.apply(model("irisa0"))
    ready = condition(twin.get("model/irisa0"), "ModelReady")
    assert ready["message"] == "ScheduleFailed"
    assert ready["reason"] == "Failed to schedule model as no matching servers are available"
    twin.apply(server(replicas=1))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")


def test_a_model_without_routable_replica_answers_503(twin):
    twin.apply(model("irisa0"))
    result = twin.load("irisa0", "hold 5rps 10s").wait()
    assert result.ok == 0 and result.failed == {"503": 50}


def test_requests_in_flight_on_a_vanishing_replica_fail():
    slow = TwinSettings(service_time_seconds=0.5, concurrency_per_replica=1)
    twin = TwinCluster(settings=slow)
    twin.apply(server(replicas=1), model("m"))
    twin.wait_until(is_available(twin, "m"), 120, what="m available")
    run = twin.load("m", "hold 10rps 2m")
    twin.sleep(30)  # overloaded: a queue builds up on the only replica
    twin.delete("server/mlserver", wait=False)
    result = run.wait()
    assert result.failed.get("503", 0) > 0
    gone = next(e.t for e in twin.timeline.events if e.reason == "ReplicaRemoved")
    at_removal = twin.timeline.traffic_for("m", int(gone), int(gone) + 1)[0]
    assert at_removal.failed_total > 10  # the backlog failed at once


def test_hpa_without_adapter_rule_reports_failed_get_object_metric(twin):
    twin.apply(server(replicas=1), model("irisa0"))
    twin.apply(hpa("irisa0-model-hpa", "Model", "irisa0", "irisa0"))
    twin.load("irisa0", "hold 10rps 2m").wait()
    sample = twin.timeline.hpa_for("hpa/irisa0-model-hpa")[-1]
    assert sample.conditions["ScalingActive"] == ("False", "FailedGetObjectMetric")
    assert twin.get("model/irisa0")["spec"]["replicas"] == 1


def test_server_hpa_beyond_server_max_fails_the_server_reconcile(twin):
    twin.apply(ADAPTER_CONFIGMAP, server(replicas=1, min_replicas=1, max_replicas=1))
    twin.apply(model("irisa0"), hpa("irisa0-model-hpa", "Model", "irisa0", "irisa0"))
    twin.apply(hpa("mlserver-server-hpa", "Server", "mlserver", "irisa0"))
    twin.load("irisa0", "hold 9rps 5m").wait()
    ready = condition(twin.get("server/mlserver"), "StatefulSetOrDeploymentReady")
    assert ready["status"] == "False"
    assert ready["reason"].startswith("scaling spec is invalid: number of replicas")
    assert ready["reason"].endswith("must be <= max replicas 1")


def test_model_moves_to_a_server_with_enough_replicas_as_a_new_version():
    twin = TwinCluster(settings=TwinSettings(server_autoscaling_enabled=False))
    twin.apply(server("small", replicas=2), model("m", 2))
    twin.wait_until(is_available(twin, "m", 2), 120, what="m on small")
    twin.apply(server("large", replicas=3))
    twin.sleep(30)
    run = twin.load("m", "hold 20rps 2m")
    twin.sleep(10)
    twin.apply(model("m", 3))
    result = run.wait()
    assert twin.placement("large") == {0: ["m"], 1: ["m"], 2: ["m"]}
    assert twin.placement("small") == {0: [], 1: []}
    assert is_available(twin, "m", 3)()
    assert twin.get("model/m")["status"]["selector"] == "server=large"
    assert result.failed_total == 0
    assert any(e.reason == "NewVersion" for e in twin.timeline.events)


def test_new_artifact_rolls_out_without_failures(twin):
    twin.apply(server(replicas=2), model("m", 2))
    twin.wait_until(is_available(twin, "m", 2), 120, what="m available")
    run = twin.load("m", "hold 20rps 2m")
    twin.sleep(10)
    twin.apply(model("m", 2, storageUri="gs://seldon-models/testing/iris2"))
    result = run.wait()
    assert result.failed_total == 0
    versions = {
        internal
        for p in twin.controller.statefulsets["mlserver"].pods.values()
        for internal in p.agent.loaded
    }
    assert versions == {"m_2"}
