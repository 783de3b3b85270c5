"""The twin's API server and the SeldonCluster surface of TwinCluster."""

import pytest

from pytest_seldon_scaling.cluster import ClusterError, LoadRun, SeldonCluster, WaitTimeout
from pytest_seldon_scaling.twin import TwinCluster

from .builders import condition, is_available, model, server


def test_twin_cluster_implements_the_protocol(twin):
    assert isinstance(twin, SeldonCluster)
    assert (twin.backend, twin.core_version, twin.namespace) == ("twin", "2.10", "seldon-mesh")
    assert isinstance(twin.load("x", "hold 1rps 1s"), LoadRun)


def test_default_server_configs_are_installed(twin):
    names = [c["metadata"]["name"] for c in twin.list("serverconfig")]
    assert names == ["mlserver", "triton"]


def test_generation_bumps_only_on_spec_change(twin):
    twin.apply(model("irisa0"))
    first = twin.get("model/irisa0")["metadata"]
    assert first["generation"] == 1
    twin.apply(model("irisa0"))
    assert twin.get("model/irisa0")["metadata"]["generation"] == 1
    twin.apply(model("irisa0", 2))
    second = twin.get("model/irisa0")["metadata"]
    assert second["generation"] == 2
    assert int(second["resourceVersion"]) > int(first["resourceVersion"])


def test_scale_subresource_writes_spec_replicas(twin):
    twin.apply(server(replicas=2), model("irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    scale = twin.store.get_scale("model/irisa0")
    assert scale["spec"] == {"replicas": 1}
    assert scale["status"] == {"replicas": 1, "selector": "server=mlserver"}
    twin.scale("model/irisa0", 2)
    assert twin.get("model/irisa0")["metadata"]["generation"] == 2
    twin.wait_until(is_available(twin, "irisa0", 2), 120, what="irisa0 on 2 replicas")
    assert twin.store.get_scale("server/mlserver")["status"]["selector"] == (
        "seldon-server-name=mlserver"
    )
    with pytest.raises(ClusterError, match="no /scale"):
        twin.scale("serverconfig/mlserver", 1)


def test_unknown_kind_is_rejected_naming_the_object(twin):
    pipeline = {
        "apiVersion": "mlops.seldon.io/v1alpha1",
        "kind": "Pipeline",
        "metadata": {"name": "p"},
        "spec": {"steps": []},
    }
    with pytest.raises(ClusterError, match=r"Pipeline/p: kind: .*not modelled"):
        twin.apply(pipeline)


def test_invalid_fields_are_rejected_naming_object_and_field(twin):
    with pytest.raises(ClusterError, match=r"Model/irisa0.*spec\.min_replicas: unknown field"):
        twin.apply(model("irisa0", min_replicas=1))
    with pytest.raises(ClusterError, match="replicas"):
        twin.apply(model("irisa0", replicas="two"))
    assert twin.list("model") == []


def test_invalid_scaling_spec_sets_model_failed_with_core_text(twin):
    twin.apply(model("irisa0", 5, maxReplicas=2))
    ready = condition(twin.get("model/irisa0"), "ModelReady")
    assert (ready["status"], ready["message"], ready["reason"]) == (
        "False",
        "ModelFailed",
        "scaling spec is invalid: number of replicas 5 must be <= max replicas 2",
    )


def test_delete_honours_the_model_finalizer(twin):
    twin.apply(server(replicas=1), model("irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    assert twin.get("model/irisa0")["metadata"]["finalizers"] == ["seldon.model.finalizer"]
    twin.delete("model/irisa0", wait=False)
    assert "deletionTimestamp" in twin.get("model/irisa0")["metadata"]
    twin.wait_until(lambda: not twin.list("model"), 30, what="irisa0 gone")
    assert twin.placement("mlserver") == {0: []}


def test_wait_until_names_what_it_waited_for(twin):
    with pytest.raises(WaitTimeout, match="waiting for something that never happens"):
        twin.wait_until(lambda: False, 5, what="something that never happens")
    assert twin.now() == 5


def test_server_status_and_conditions(twin):
    twin.apply(server(replicas=2))
    obj = twin.get("server/mlserver")
    assert obj["status"]["replicas"] == 2
    assert condition(obj, "Ready")["status"] == "False"
    twin.sleep(30)
    ready = condition(twin.get("server/mlserver"), "StatefulSetOrDeploymentReady")
    assert (ready["status"], ready["reason"]) == (
        "True",
        "StatefulSet replicas matches desired replicas",
    )


def test_server_capabilities_override_and_pinning(twin):
    twin.apply(
        server("custom", replicas=1, capabilities=["mlserver-1.3.4"]),
        model("iris", requirements=["mlserver-1.3.4"]),
    )
    twin.wait_until(is_available(twin, "iris"), 120, what="iris on the custom server")
    assert twin.placement("custom") == {0: ["iris"]}


def test_placement_of_an_unknown_server_is_an_error(twin):
    with pytest.raises(ClusterError, match="server/nope not found"):
        twin.placement("nope")


def test_timeline_records_replicas_and_conditions(twin):
    twin.apply(server(replicas=1), model("irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    series = twin.timeline.replica_series("model/irisa0")
    assert series[-1].available == 1
    history = twin.timeline.condition_history("model/irisa0", "ModelReady")
    assert [c.message for c in history][-1] == "ModelAvailable"


def test_core_version_is_checked():
    with pytest.raises(ValueError, match=r"2\.7"):
        TwinCluster(core_version="2.7")
    assert TwinCluster(core_version="v2.9.1").core_version == "2.9"


def test_simulated_time_runs_with_fewer_collections_and_gives_them_back():
    import gc

    from pytest_seldon_scaling.twin import TwinCluster

    cluster = TwinCluster()
    before = gc.get_threshold()
    seen = []

    def probe():
        yield cluster.env.timeout(1)
        seen.append(gc.get_threshold())

    cluster.env.process(probe())
    cluster.sleep(2)
    assert seen and seen[0][0] >= 50_000  # while the twin's clock runs
    assert gc.get_threshold() == before  # the caller's thresholds, after
