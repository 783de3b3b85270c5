"""KubeCluster (the SeldonCluster protocol on Kubernetes) against the served twin.

``make_served_cluster`` runs it against ``seldon-scaling twin serve`` (the twin's scheduler,
agents and operator act on what it applies); ``make_cluster`` against the HTTP fake, only where
the test sets statuses by hand, counts requests or injects failures a twin does not produce.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from pytest_seldon_scaling.cluster import ClusterError, SeldonCluster, WaitTimeout
from pytest_seldon_scaling.kube.objects import RUN_LABEL, condition
from pytest_seldon_scaling.serve import ServedTwin

MODEL_YAML = """
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: irisa0
spec:
  storageUri: gs://seldon-models/testing/iris1
  requirements: [sklearn]
  memory: 3M
  replicas: 1
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: irisa0-model-hpa
spec:
  scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Object
      object:
        metric: {name: infer_rps}
        describedObject: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: irisa0}
        target: {type: AverageValue, averageValue: 3}
"""
SERVER = {
    "apiVersion": "mlops.seldon.io/v1alpha1",
    "kind": "Server",
    "metadata": {"name": "mlserver"},
    "spec": {"serverConfig": "mlserver", "replicas": 1},
}
READY = {"type": "Ready", "status": "True"}


def in_twin(twin: ServedTwin, key: tuple[str, str, str]) -> dict | None:
    """The object as the served twin shows it now (None: absent)."""
    with twin.live.lock:
        twin.live.publish()
        return twin.live.log.get(key)


def put_in_twin(twin: ServedTwin, obj: dict) -> None:
    """An object someone else created (helm, the user): applied to the twin directly."""
    with twin.live.lock:
        twin.cluster.apply(obj)
        twin.live.publish()


def deleted_in_order(twin: ServedTwin, plurals: tuple[str, ...]) -> list[str]:
    return [c.key[0] for c in twin.live.log.changes if c.type == "DELETED" and c.key[0] in plurals]


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()), daemon=True)
    thread.start()
    return thread


def synced(cluster, *kinds: str) -> None:
    deadline = time.monotonic() + 5
    while not all(cluster.mirror.synced(k) for k in kinds):
        assert time.monotonic() < deadline, cluster.mirror.errors
        time.sleep(0.01)


def test_kube_cluster_satisfies_the_protocol(make_served_cluster):
    assert isinstance(make_served_cluster(), SeldonCluster)


def test_apply_yaml_puts_objects_in_the_namespace_and_tracks_what_it_created(
    served, make_served_cluster
):
    cluster = make_served_cluster()

    refs = cluster.apply(MODEL_YAML, SERVER)

    assert refs == ["model/irisa0", "hpa/irisa0-model-hpa", "server/mlserver"]
    model = in_twin(served, ("models", "seldon-mesh", "irisa0"))
    assert model["metadata"]["namespace"] == "seldon-mesh"
    assert model["metadata"]["labels"] == {RUN_LABEL: cluster.run_id}
    assert cluster.created == refs
    cluster.apply(MODEL_YAML)  # its own objects it may apply again
    assert cluster.created == refs


def test_apply_onto_an_object_the_run_did_not_create_stops_naming_it(served, make_served_cluster):
    put_in_twin(served, SERVER)  # e.g. installed by helm, or the user's own
    cluster = make_served_cluster()

    already = r"server/mlserver already exists in namespace seldon-mesh and this run did not"
    with pytest.raises(ClusterError, match=already):
        cluster.apply(MODEL_YAML, SERVER)

    assert in_twin(served, ("models", "seldon-mesh", "irisa0")) is None  # checked first
    assert in_twin(served, ("servers", "seldon-mesh", "mlserver"))["spec"]["replicas"] == 1
    assert cluster.created == []


@pytest.mark.parametrize(
    "manifest, named",
    [
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
            r"Deployment \(apps/v1\)",
        ),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", r"Namespace \(v1\)"),
    ],
)
def test_apply_accepts_only_the_supported_namespaced_kinds(fake, make_cluster, manifest, named):
    with pytest.raises(ClusterError, match=named + " is not a kind this run applies; supported"):
        make_cluster().apply(manifest)
    assert fake.count("PATCH", ".") == 0


def test_apply_refuses_an_object_for_another_namespace_naming_where_it_came_from(
    make_served_cluster, tmp_path
):
    manifest = tmp_path / "model.yaml"
    manifest.write_text(
        MODEL_YAML.replace("name: irisa0\nspec", "name: irisa0\n  namespace: x\nspec")
    )

    with pytest.raises(ClusterError, match=r"model\.yaml:2: model/irisa0 is for namespace 'x'"):
        make_served_cluster().apply(manifest)


def test_get_raises_for_an_absent_object_and_list_returns_the_namespace_objects(
    make_served_cluster,
):
    cluster = make_served_cluster()
    cluster.apply(MODEL_YAML)

    assert cluster.get("mlm/irisa0")["spec"]["replicas"] == 1
    assert [m["metadata"]["name"] for m in cluster.list("model")] == ["irisa0"]
    with pytest.raises(ClusterError, match="model/ghost does not exist"):
        cluster.get("model/ghost")


def test_scale_writes_spec_replicas_through_the_scale_subresource(served, make_served_cluster):
    cluster = make_served_cluster()
    cluster.apply(MODEL_YAML)

    cluster.scale("model/irisa0", 2)

    model = in_twin(served, ("models", "seldon-mesh", "irisa0"))
    assert (model["spec"]["replicas"], model["metadata"]["generation"]) == (2, 2)
    assert cluster.read_scale("model/irisa0")["spec"]["replicas"] == 2


def test_watches_record_replicas_conditions_and_hpa_status_into_the_timeline(
    served, make_served_cluster
):
    cluster = make_served_cluster()
    cluster.apply(MODEL_YAML, SERVER)  # the twin's HPA controller and scheduler set the statuses
    cluster.wait_until(
        lambda: (
            [c.status for c in cluster.timeline.condition_history("model/irisa0", "Ready")][-1:]
            == ["True"]
        ),
        30,
        what="irisa0 Ready",
    )
    # the HPA finds no infer_rps (FailedGetObjectMetric) until the agent has counted a request
    request = urllib.request.Request(
        f"{served.mesh_url}/v2/models/irisa0/infer",
        data=b'{"inputs": []}',
        headers={"Seldon-Model": "irisa0", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    cluster.wait_until(
        lambda: bool(cluster.timeline.hpa and cluster.timeline.hpa[-1].metrics),
        30,
        what="an HPA sync that read infer_rps",
    )

    sample = cluster.timeline.hpa[-1]
    assert (sample.ref, sample.current, sample.desired) == ("hpa/irisa0-model-hpa", 1, 1)
    assert set(sample.metrics) == {"infer_rps"} and sample.metrics["infer_rps"] >= 0
    assert sample.conditions["ScalingActive"] == ("True", "ValidMetricFound")
    last = cluster.timeline.replica_series("model/irisa0")[-1]
    assert (last.spec, last.status, last.available) == (1, 1, 1)


def test_wait_for_is_woken_by_the_watch_without_polling_the_object(fake, make_cluster):
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    synced(cluster, "model")
    reads_before = fake.count("GET", r"/models/irisa0$")
    later(0.3, lambda: fake.set_status("models", "irisa0", {"replicas": 1, "conditions": [READY]}))

    started = time.monotonic()
    cluster.wait_for(
        "model/irisa0",
        lambda m: condition(m or {}, "Ready") is not None,
        timeout=5,
        what="irisa0 Ready",
        poll=30,
    )

    assert time.monotonic() - started < 2  # woken by the event, not by the 30 s poll
    assert fake.count("GET", r"/models/irisa0$") == reads_before


def test_a_wait_that_runs_out_says_what_it_waited_for_and_what_it_saw(fake, make_cluster):
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    synced(cluster, "model")
    fake.set_status(
        "models",
        "irisa0",
        {
            "replicas": 1,
            "conditions": [{"type": "Ready", "status": "False", "message": "ScheduleFailed"}],
        },
    )

    with pytest.raises(WaitTimeout) as raised:
        cluster.wait_for("model/irisa0", lambda m: False, timeout=0.5, what="irisa0 at 3 replicas")

    assert str(raised.value).startswith("waited 0.5s for irisa0 at 3 replicas; last seen: ")
    assert "Ready=False (ScheduleFailed)" in str(raised.value)


def test_a_failed_read_is_never_taken_for_an_absent_object(fake, make_cluster):
    cluster = make_cluster(watch=False)
    cluster.apply(MODEL_YAML)
    fake.fail("GET", r"/models/irisa0$", *[500] * 200)

    with pytest.raises(WaitTimeout, match=r"last read error: .*500"):
        cluster.wait_for("model/irisa0", lambda m: m is None, timeout=1, what="irisa0 deleted")


def test_wait_until_keeps_waiting_through_read_errors(fake, make_cluster):
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    fake.fail("GET", r"/models/irisa0$", *[500] * 200)

    def three_replicas() -> bool:
        return cluster.get("model/irisa0")["spec"]["replicas"] == 3

    with pytest.raises(WaitTimeout, match=r"3 replicas; last read error: .*500"):
        cluster.wait_until(three_replicas, 0.5, what="3 replicas", poll=0.1)


@pytest.mark.parametrize("as_http_status", [False, True], ids=["error-event", "http-410"])
def test_a_compacted_watch_re_lists_and_keeps_observing(fake, make_cluster, as_http_status):
    """API servers answer a watch from a compacted version with an ERROR event carrying 410,
    or (before the watch starts) an HTTP 410: both mean list again."""
    fake.expire_with_http_410 = as_http_status
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    synced(cluster, "model")
    watcher = next(w for w in cluster.watchers if w.ref_kind == "model")
    assert watcher.relists == 1

    fake.set_status("models", "irisa0", {"replicas": 1})
    fake.compact()  # ends the watch; resuming from its version now answers 410 Gone
    cluster.wait_until(lambda: watcher.relists == 2, 5, what="a re-list after 410", poll=0.05)
    fake.set_status("models", "irisa0", {"replicas": 2})

    cluster.wait_for(
        "model/irisa0",
        lambda m: (m.get("status") or {}).get("replicas") == 2,
        timeout=5,
        what="status 2",
    )
    statuses = [s.status for s in cluster.timeline.replica_series("model/irisa0")]
    assert statuses[-2:] == [1, 2]


def test_a_watch_resumes_from_its_last_bookmark_without_listing_again(fake, make_cluster):
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    synced(cluster, "model")
    watcher = next(w for w in cluster.watchers if w.ref_kind == "model")
    marked = fake.bookmark("models")
    deadline = time.monotonic() + 5
    while not any(
        r[2].get("resourceVersion") == str(marked) for r in fake.requests if r[2].get("watch")
    ):
        # the watch must come back from the bookmark's version: end it until it does
        assert time.monotonic() < deadline, "never resumed from the bookmark"
        fake.end_watches()
        time.sleep(0.05)

    fake.compacted_through = marked  # older versions are gone; the bookmark's is not
    fake.set_status("models", "irisa0", {"replicas": 1})
    cluster.wait_for(
        "model/irisa0", lambda m: (m.get("status") or {}).get("replicas") == 1, 5, what="status"
    )
    assert watcher.relists == 1


def test_the_api_server_rejects_what_the_crd_schema_rejects_naming_the_field(fake, make_cluster):
    # on the fake: the served twin checks unknown fields, not the CRD schema's types
    if not fake.schemas:
        pytest.skip("the Core 2 CRDs (reference data) are not available")
    cluster = make_cluster(watch=False)
    # fields the manifest loader does not check: the API server is the judge of these
    invalid = r'HTTP 422 .*Model.mlops.seldon.io "irisa0" is invalid: spec.dedicated: '
    with pytest.raises(ClusterError, match=invalid + r'Invalid value: "string": .* type boolean'):
        cluster.apply(MODEL_YAML.replace("replicas: 1\n", "replicas: 1\n  dedicated: 'yes'\n", 1))
    with pytest.raises(ClusterError, match=r"spec.logger.percent: Invalid value: \"string\""):
        cluster.apply(
            MODEL_YAML.replace("replicas: 1\n", "replicas: 1\n  logger: {percent: x}\n", 1)
        )
    assert fake.get("models", "irisa0") is None

    typo = MODEL_YAML.replace("replicas: 1\n", "replicas: 1\n  minreplicas: 1\n", 1)
    with pytest.warns(UserWarning, match=r"model/irisa0: the API server dropped spec.minreplicas"):
        cluster.apply(typo)
    assert "minreplicas" not in fake.get("models", "irisa0")["spec"]  # pruned, as a CRD does


def test_close_deletes_what_the_test_created_waiting_for_finalizers(served, make_served_cluster):
    """The Model's finalizer unloads it from its Server's replicas: the Server goes only once
    its Models are gone, or the unload would have no agent to run it."""
    put_in_twin(served, {**SERVER, "metadata": {"name": "helm-installed"}})
    cluster = make_served_cluster()
    cluster.apply(MODEL_YAML, SERVER)
    cluster.wait_for(
        "model/irisa0", lambda m: condition(m or {}, "Ready") is not None, 30, what="Ready"
    )
    assert in_twin(served, ("models", "seldon-mesh", "irisa0"))["metadata"]["finalizers"]

    cluster.close()

    for plural, name in [
        ("models", "irisa0"),
        ("horizontalpodautoscalers", "irisa0-model-hpa"),
        ("servers", "mlserver"),
    ]:
        assert in_twin(served, (plural, "seldon-mesh", name)) is None
    assert in_twin(served, ("servers", "seldon-mesh", "helm-installed")) is not None
    order = ("horizontalpodautoscalers", "models", "servers")
    assert deleted_in_order(served, order) == list(order)


def test_cleanup_goes_on_past_a_failure_and_names_every_object_left(fake, make_cluster):
    fake.finalizers_on_create["models"] = ["seldon.model.finalizer"]
    cluster = make_cluster(delete_timeout=0.5)
    cluster.apply(MODEL_YAML, SERVER)
    fake.fail("DELETE", "/horizontalpodautoscalers/", 403)

    problems = cluster.cleanup()

    assert [p.split(":")[0] for p in problems] == ["hpa/irisa0-model-hpa", "model/irisa0"]
    assert "HTTP 403" in problems[0]
    assert fake.get("servers", "mlserver") is None  # went on to the Servers


def test_close_reports_an_object_whose_finalizer_never_goes(fake, make_cluster):
    fake.finalizers_on_create["models"] = ["seldon.model.finalizer"]
    cluster = make_cluster(delete_timeout=0.5)
    cluster.apply(MODEL_YAML)

    with pytest.raises(
        ClusterError,
        match=r"cleanup left objects behind:\n  model/irisa0: .*"
        r"finalizers=\['seldon.model.finalizer'\]",
    ):
        cluster.close()


def test_objects_a_killed_run_left_are_found_by_label_removed_and_reported(
    served, make_served_cluster
):
    earlier = make_served_cluster(watch=False)
    earlier.apply(MODEL_YAML)
    earlier.created.clear()  # killed: it never cleaned up
    put_in_twin(served, SERVER)  # nobody's run: never touched

    later_run = make_served_cluster(watch=False)
    with pytest.warns(UserWarning, match=r"removed 2 object\(s\) an earlier run left .*"
                                         r"hpa/irisa0-model-hpa, model/irisa0"):  # fmt: skip
        removed = later_run.remove_leftovers()

    assert removed == ["hpa/irisa0-model-hpa", "model/irisa0"]
    assert in_twin(served, ("models", "seldon-mesh", "irisa0")) is None
    assert in_twin(served, ("servers", "seldon-mesh", "mlserver")) is not None
    assert later_run.remove_leftovers() == []


def test_delete_waits_until_the_object_is_gone(served, make_served_cluster):
    cluster = make_served_cluster()
    cluster.apply(MODEL_YAML, SERVER)
    cluster.wait_for(
        "model/irisa0", lambda m: condition(m or {}, "Ready") is not None, 30, what="Ready"
    )

    cluster.delete("model/irisa0")  # the twin's operator removes the finalizer once unloaded

    assert in_twin(served, ("models", "seldon-mesh", "irisa0")) is None
    assert "model/irisa0" not in cluster.created


AGENT_METRICS = """# HELP seldon_loaded_model_gauge Loaded model gauge
# TYPE seldon_loaded_model_gauge gauge
seldon_loaded_model_gauge{model_internal="irisa0_1",server="mlserver",server_replica="%d"} 1
seldon_loaded_model_gauge{model_internal="irisb_3",server="mlserver",server_replica="%d"} %d
seldon_model_infer_total{code="200",method_type="rest",model="irisa0",server="mlserver"} 12
"""


def _pod(name: str, ready: bool = True) -> dict:
    return {
        "metadata": {"name": name, "labels": {"seldon-server-name": "mlserver"}},
        "spec": {"containers": [{"name": "agent"}, {"name": "mlserver"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def test_placement_reads_each_agent_through_the_pod_proxy(make_served_cluster):
    cluster = make_served_cluster()
    cluster.apply(
        MODEL_YAML.replace("replicas: 1\n---", "replicas: 2\n---", 1),
        {**SERVER, "spec": {**SERVER["spec"], "replicas": 2}},
    )
    cluster.wait_for(
        "model/irisa0",
        lambda m: ((m or {}).get("status") or {}).get("availableReplicas") == 2,
        30,
        what="2 available",
    )

    assert cluster.placement("mlserver") == {0: ["irisa0"], 1: ["irisa0"]}


def test_placement_shows_an_empty_replica_and_fails_loudly_when_an_agent_cannot_be_read(
    fake, make_cluster
):
    fake.put("pods", _pod("mlserver-0"))
    fake.proxy["mlserver-0:9006/metrics"] = "# no models loaded\n"
    cluster = make_cluster()
    assert cluster.placement("mlserver") == {0: []}

    fake.put("pods", _pod("mlserver-1"))  # no metrics: the proxy answers 503
    with pytest.raises(ClusterError, match="agent metrics of pod mlserver-1"):
        cluster.placement("mlserver")


def test_collect_artifacts_writes_objects_conditions_events_and_log_tails(
    fake, make_cluster, tmp_path
):
    cluster = make_cluster()
    cluster.apply(MODEL_YAML)
    fake.put(
        "events",
        {
            "metadata": {"name": "e1"},
            "reason": "ScheduleFailed",
            "count": 2,
            "involvedObject": {"kind": "Model", "name": "irisa0"},
            "message": "Failed to schedule model",
        },
    )
    scheduler = _pod("seldon-scheduler-0")
    scheduler["metadata"]["labels"] = {"app.kubernetes.io/name": "seldon-scheduler"}
    scheduler["spec"]["containers"] = [{"name": "scheduler"}]
    fake.put("pods", scheduler)
    fake.logs[("seldon-scheduler-0", "scheduler")] = "level=info msg=scheduled\n"
    # labelled as the setup chart labels it (SeldonIO/seldon-core v2.10.2
    # k8s/helm-charts/seldon-core-v2-setup/templates/_components-statefulsets.tpl)
    controller = _pod("seldon-v2-controller-manager-6d5f")
    controller["metadata"]["labels"] = {"control-plane": "v2-controller-manager"}
    controller["spec"]["containers"] = [{"name": "manager"}]
    fake.put("pods", controller)
    fake.logs[("seldon-v2-controller-manager-6d5f", "manager")] = "reconciled Server mlserver\n"

    written = cluster.collect_artifacts(tmp_path / "artifacts")

    names = sorted(p.name for p in written)
    assert names == [
        "events.txt",
        "hpa-conditions.txt",
        "hpas.yaml",
        "logs-agent.txt",
        "logs-controller.txt",
        "logs-scheduler.txt",
        "models.yaml",
        "serverconfigs.yaml",
        "servers.yaml",
    ]
    folder = tmp_path / "artifacts"
    assert "name: irisa0" in (folder / "models.yaml").read_text()
    assert "managedFields" not in (folder / "models.yaml").read_text()
    assert "Model/irisa0 ScheduleFailed x2" in (folder / "events.txt").read_text()
    assert "msg=scheduled" in (folder / "logs-scheduler.txt").read_text()
    assert "reconciled Server mlserver" in (folder / "logs-controller.txt").read_text()
    assert fake.count("GET", r"/pods/seldon-scheduler-0/log$", tailLines="300") == 1


def test_events_arriving_after_start_are_recorded_against_their_object(fake, make_cluster):
    fake.put(
        "events",
        {
            "metadata": {"name": "old"},
            "reason": "Old",
            "involvedObject": {"kind": "Model", "name": "irisa0"},
        },
    )
    cluster = make_cluster()
    synced(cluster, "event")
    fake.put(
        "events",
        {
            "metadata": {"name": "new"},
            "reason": "SuccessfulRescale",
            "message": "New size: 2",
            "involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "irisa0-model-hpa"},
        },
    )

    cluster.wait_until(lambda: bool(cluster.timeline.events), 5, what="an event")

    assert [(e.ref, e.reason, e.message) for e in cluster.timeline.events] == [
        ("hpa/irisa0-model-hpa", "SuccessfulRescale", "New size: 2")
    ]


ADAPTER_CM = """
apiVersion: v1
kind: ConfigMap
metadata: {name: hpa-metrics-prometheus-adapter, namespace: seldon-monitoring}
data:
  config.yaml: |
    rules:
    - seriesQuery: '{__name__="seldon_model_infer_total",namespace!=""}'
      resources:
        overrides:
          model: {group: mlops.seldon.io, resource: model}
          server: {group: mlops.seldon.io, resource: server}
      name: {matches: seldon_model_infer_total, as: infer_rps}
      metricsQuery: sum by (<<.GroupBy>>) (rate(<<.Series>>{<<.LabelMatchers>>}[1m]))
"""


def _live_adapter(fake, window: str) -> None:
    fake.put(
        "configmaps",
        {"metadata": {"name": "hpa-metrics-prometheus-adapter"},
         "data": {"config.yaml": (
             "rules:\n- seriesQuery: '{__name__=\"seldon_model_infer_total\",namespace!=\"\"}'\n"
             "  resources:\n    overrides:\n"
             "      model: {group: mlops.seldon.io, resource: model}\n"
             "      server: {group: mlops.seldon.io, resource: server}\n"
             "  name: {matches: seldon_model_infer_total, as: infer_rps}\n"
             "  metricsQuery: |\n    sum by (<<.GroupBy>>) (\n"
             f"      rate(<<.Series>>{{<<.LabelMatchers>>}}[{window}]))\n")}},
        namespace="seldon-monitoring",
    )  # fmt: skip
    fake.put(
        "deployments",
        {"metadata": {"name": "hpa-metrics-prometheus-adapter", "generation": 1},
         "spec": {"replicas": 1},
         "status": {"observedGeneration": 1, "updatedReplicas": 1, "availableReplicas": 1}},
        namespace="seldon-monitoring",
    )  # fmt: skip
    fake.custom_metrics = []


def test_adapter_rules_the_adapter_already_serves_change_nothing(fake, make_cluster):
    _live_adapter(fake, "1m")
    for cluster in (
        make_cluster(),
        make_cluster(adapter=("seldon-monitoring", "hpa-metrics-prometheus-adapter")),
    ):
        assert cluster.apply(ADAPTER_CM) == ["configmap/hpa-metrics-prometheus-adapter"]
    assert fake.count("PATCH", ".") == 0


@pytest.mark.parametrize("window, seconds", [("2m", 120), ("5m", 300)])
def test_an_existing_cluster_set_up_from_the_docs_or_ansible_is_accepted_with_its_window(
    fake, make_cluster, window, seconds
):
    """The HPA docs' rule rates over [2m] (SeldonIO/seldon-core v2.10.2
    docs-gb/scaling/hpa-setup.md), ansible's over [5m] (ansible/roles/prometheus/defaults/
    main.yaml seldon_prometheus_adapter_config_rate): both serve infer_rps on Models and
    Servers, so neither is refused; the cluster's own window is what counts."""
    _live_adapter(fake, window)
    cluster = make_cluster()

    assert cluster.apply(ADAPTER_CM) == ["configmap/hpa-metrics-prometheus-adapter"]

    assert cluster.adapter_window == seconds
    assert fake.count("PATCH", ".") == 0


def test_an_existing_adapter_without_an_infer_rps_rule_is_refused(fake, make_cluster):
    _live_adapter(fake, "2m")
    live = fake.get_in("configmaps", "seldon-monitoring", "hpa-metrics-prometheus-adapter")
    live["data"]["config.yaml"] = live["data"]["config.yaml"].replace("as: infer_rps", "as: rps")
    with pytest.raises(ClusterError, match=r"seldon-monitoring/hpa-metrics-prometheus-adapter has"
                                           r" no rule serving infer_rps"):  # fmt: skip
        make_cluster().apply(MODEL_YAML, ADAPTER_CM)
    assert fake.count("PATCH", ".") == 0  # the Model listed first was not applied either


def test_other_adapter_rules_on_our_kind_install_replace_its_config_and_restart_it(
    fake, make_cluster
):
    _live_adapter(fake, "5m")
    cluster = make_cluster(adapter=("seldon-monitoring", "hpa-metrics-prometheus-adapter"))

    cluster.apply(ADAPTER_CM)

    live = fake.get_in("configmaps", "seldon-monitoring", "hpa-metrics-prometheus-adapter")
    assert "[1m]" in live["data"]["config.yaml"]
    deployment = "/deployments/hpa-metrics-prometheus-adapter"
    assert fake.count("PATCH", deployment + "$") == 1
    restarted = fake.get_in("deployments", "seldon-monitoring", "hpa-metrics-prometheus-adapter")
    annotations = restarted["spec"]["template"]["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/restartedAt"].startswith("pytest-seldon-scaling-")
    assert cluster.created == []  # the adapter's config is not a test object to delete


RUN_UNTIL_TERMINATED = """
import sys, time
from kubernetes.client import ApiClient, Configuration
from pytest_seldon_scaling.kube.client import KubeApi
from pytest_seldon_scaling.kube.cluster import KubeCluster

configuration = Configuration()
configuration.host = sys.argv[1]
api = KubeApi(ApiClient(configuration), "seldon-mesh")
cluster = KubeCluster(api, backend="existing", core_version="2.10", watch=False, delete_timeout=5)
cluster.apply(sys.stdin.read())
print("applied", flush=True)
time.sleep(60)
"""


def test_sigterm_cleans_up_as_ctrl_c_does(fake):
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_UNTIL_TERMINATED, fake.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdin.write(MODEL_YAML)
    process.stdin.close()
    assert process.stdout.readline() == "applied\n", process.stderr.read()
    assert fake.get("models", "irisa0") is not None

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)

    assert fake.get("models", "irisa0") is None
    assert fake.get("horizontalpodautoscalers", "irisa0-model-hpa") is None


def test_locust_on_a_real_cluster_waits_the_runs_request_timeout(make_cluster, monkeypatch):
    # --seldon-request-timeout reaches the driver (open_kube_cluster -> KubeCluster -> Locust)
    from pytest_seldon_scaling.load import locust_driver
    from pytest_seldon_scaling.load.profile import Hold

    started = {}

    def start(host, model, profile, **options):
        started.update(options, host=host, model=model)
        return type("Run", (), {"done": True})()

    monkeypatch.setattr(locust_driver, "start_locust_load", start)
    cluster = make_cluster(request_timeout=2.5)
    monkeypatch.setattr(cluster, "mesh_url", lambda: "http://127.0.0.1:1")
    cluster.load("iris", Hold(1, 1))
    assert (started["model"], started["timeout"]) == ("iris", 2.5)
