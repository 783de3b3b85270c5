"""The served API's pieces: versions and watches, selectors, tables, writes, the mesh queue."""

from __future__ import annotations

import json
import threading

import pytest

from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.serve.api import (
    KubeAPI,
    field_selector_matches,
    label_selector_matches,
    merge_patch,
)
from pytest_seldon_scaling.serve.changes import ChangeLog, Expired
from pytest_seldon_scaling.serve.live import LiveTwin
from pytest_seldon_scaling.serve.mesh import Mesh, Replica
from pytest_seldon_scaling.serve.resources import human_duration, json_path
from pytest_seldon_scaling.twin import TwinCluster
from pytest_seldon_scaling.twin.capacity import NodePool, Resources

MODELS = "/apis/mlops.seldon.io/v1alpha1/namespaces/seldon-mesh/models"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def api() -> KubeAPI:
    """The API over a twin whose wall clock the test moves (no thread, no socket)."""
    cluster = TwinCluster()
    cluster.apply(default_manifests())
    clock = Clock()
    live = LiveTwin(cluster, monotonic=clock, wall=lambda: 1_800_000_000.0 + clock.t)
    live.clock = clock
    live.publish()
    return KubeAPI(live, Mesh(live))


def call(api: KubeAPI, method: str, path: str, body: object = None, **query: str):
    headers = {"content-type": "application/merge-patch+json"}
    data = json.dumps(body).encode() if body is not None else b""
    reply = api.handle(method, path, query, headers, data)
    assert isinstance(reply.body, bytes)
    return reply.status, json.loads(reply.body)


def advance(api: KubeAPI, seconds: float) -> None:
    api.live.clock.t += seconds
    api.live.advance()


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("seldon-server-name=mlserver", {"seldon-server-name": "mlserver"}, True),
        ("seldon-server-name==mlserver", {"seldon-server-name": "triton"}, False),
        ("a!=b", {"a": "c"}, True),
        ("a!=b", {"a": "b"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": "x"}, False),
        ("a in (x, y),b", {"a": "y", "b": "1"}, True),
        ("a notin (x,y)", {"a": "x"}, False),
        ("a=1,b=2", {"a": "1"}, False),
    ],
)
def test_label_selectors(selector, labels, matches):
    assert label_selector_matches(selector, labels) is matches


def test_field_selectors_read_dotted_paths():
    event = {"involvedObject": {"name": "iris", "kind": "Model"}, "metadata": {"name": "e1"}}
    assert field_selector_matches("involvedObject.name=iris,involvedObject.kind=Model", event)
    assert not field_selector_matches("metadata.name!=e1", event)


def test_merge_patch_replaces_and_deletes():
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]}) == {
        "a": {"c": 2, "e": 3},
        "d": [2],
    }


def test_printer_column_json_paths_and_ages():
    model = {
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False"},
                {"type": "ModelReady", "status": "True"},
            ]
        }
    }
    assert json_path(model, '.status.conditions[?(@.type=="ModelReady")].status') == "True"
    assert json_path(model, ".spec.replicas") is None
    assert [human_duration(s) for s in (5, 150, 700, 4000, 90000)] == [
        "5s",
        "2m30s",
        "11m",
        "66m",
        "25h",
    ]


def test_change_log_versions_and_expiry():
    log = ChangeLog(capacity=2)
    key = ("models", "ns", "a")
    log.sync({key: {"v": 1}})
    log.sync({key: {"v": 1}})  # unchanged: no new version
    assert log.version == 1
    for value in range(2, 7):
        log.sync({key: {"v": value}})
    assert [c.version for c in log.since(3, "models", "ns")] == [4, 5, 6]
    assert log.since(3, "servers", "ns") == []
    with pytest.raises(Expired, match="too old resource version: 2"):
        log.since(2, "models", "ns")
    log.sync({})
    assert log.since(6, "models", None)[-1].type == "DELETED"


def test_scale_bumps_generation_and_resource_version(api):
    _, before = call(api, "GET", f"{MODELS}/iris-shared")
    status, scale = call(api, "PATCH", f"{MODELS}/iris-shared/scale", {"spec": {"replicas": 2}})
    assert status == 200 and scale["spec"]["replicas"] == 2
    _, after = call(api, "GET", f"{MODELS}/iris-shared")
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_watch_streams_changes_and_410_when_compacted(api):
    _, listing = call(api, "GET", MODELS)
    version = listing["metadata"]["resourceVersion"]
    call(api, "PATCH", f"{MODELS}/iris-shared/scale", {"spec": {"replicas": 2}})
    reply = api.handle(
        "GET", MODELS, {"watch": "true", "resourceVersion": version, "timeoutSeconds": "0"}, {}, b""
    )
    events = [json.loads(line) for line in b"".join(reply.body).splitlines()]
    assert ("MODIFIED", "iris-shared", 2) in {
        (e["type"], e["object"]["metadata"]["name"], e["object"]["spec"]["replicas"])
        for e in events
    }
    api.live.log = ChangeLog(capacity=1)
    api.live.publish()
    api.live.publish()
    call(api, "PATCH", f"{MODELS}/iris-shared/scale", {"spec": {"replicas": 3}})
    call(api, "PATCH", f"{MODELS}/iris-shared/scale", {"spec": {"replicas": 1}})
    reply = api.handle("GET", MODELS, {"watch": "true", "resourceVersion": "1"}, {}, b"")
    (gone,) = [json.loads(line) for line in b"".join(reply.body).splitlines()]
    assert gone["type"] == "ERROR" and gone["object"]["code"] == 410


def test_delete_with_finalizer_sets_deletion_timestamp_then_removes(api):
    advance(api, 30)  # pods start, the model loads and takes the controller's finalizer
    _, model = call(api, "GET", f"{MODELS}/iris-shared")
    assert model["metadata"]["finalizers"]
    status, deleting = call(api, "DELETE", f"{MODELS}/iris-shared")
    assert status == 202 and "deletionTimestamp" in deleting["metadata"]
    for _ in range(20):
        advance(api, 1)
    status, _ = call(api, "GET", f"{MODELS}/iris-shared")
    assert status == 404


def test_conflicting_replace_is_409_and_leases_round_trip(api):
    leases = "/apis/coordination.k8s.io/v1/namespaces/seldon-mesh/leases"
    lease = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}
    reply = api.handle("POST", leases, {}, {}, json.dumps(lease).encode())
    created = json.loads(reply.body)
    assert reply.status == 201
    assert api.handle("POST", leases, {}, {}, json.dumps(lease).encode()).status == 409
    stale = {**created, "metadata": {**created["metadata"], "resourceVersion": "1"}}
    assert api.handle("PUT", f"{leases}/l", {}, {}, json.dumps(stale).encode()).status == 409
    fresh = api.handle("PUT", f"{leases}/l", {}, {}, json.dumps(created).encode())
    assert fresh.status == 200
    assert call(api, "DELETE", f"{leases}/l")[0] == 200


def test_unknown_spec_field_warns_by_default_and_fails_when_strict(api):
    body = json.dumps(
        {
            "apiVersion": "mlops.seldon.io/v1alpha1",
            "kind": "Model",
            "metadata": {"name": "m"},
            "spec": {"storageUri": "gs://x", "replica": 1},
        }
    )
    headers = {"content-type": "application/apply-patch+yaml"}
    strict = api.handle(
        "PATCH",
        f"{MODELS}/m",
        {"fieldManager": "t", "fieldValidation": "Strict"},
        headers,
        body.encode(),
    )
    assert strict.status == 400 and b'unknown field \\"spec.replica\\"' in strict.body
    warned = api.handle("PATCH", f"{MODELS}/m", {"fieldManager": "t"}, headers, body.encode())
    assert warned.status == 201
    assert ("Warning", '299 - "unknown field \\"spec.replica\\""') in warned.headers


def test_replica_queue_is_the_twins_workers_with_constant_service_time():
    replica = Replica()
    finishes = [replica.admit(0.0, workers=2, service=0.01) for _ in range(5)]
    assert finishes == pytest.approx([0.01, 0.01, 0.02, 0.02, 0.03])
    assert replica.admit(1.0, workers=2, service=0.01) == pytest.approx(1.01)


def test_mesh_answers_503_without_a_route_then_200_when_the_twin_completes_it(api):
    headers = {"seldon-model": "iris-shared"}
    answer = api.mesh.handle("POST", "/v2/models/iris-shared/infer", headers, b"{}")
    assert answer.status == 503  # not loaded yet: no route
    advance(api, 30)
    answers = []
    request = threading.Thread(
        target=lambda: answers.append(
            api.mesh.handle("POST", "/v2/models/iris-shared/infer", headers, b'{"id": "r1"}')
        )
    )
    request.start()
    request.join(timeout=0.5)
    assert not answers  # the twin's clock has not reached the request's completion yet
    api.live.clock.t += 1.0
    request.join(timeout=10)
    (answer,) = answers
    assert answer.status == 200 and answer.body["model_name"] == "iris-shared_1"
    assert answer.body["id"] == "r1"


def test_a_dry_run_writes_nothing(api):
    body = json.dumps({"metadata": {"name": "dry"}, "spec": {"storageUri": "gs://x"}}).encode()
    headers = {"content-type": "application/apply-patch+yaml"}
    reply = api.handle(
        "PATCH", f"{MODELS}/dry", {"fieldManager": "t", "dryRun": "All"}, headers, body
    )
    assert reply.status == 201
    assert call(api, "GET", f"{MODELS}/dry")[0] == 404


def test_injected_faults_answer_in_order_then_stop(api):
    api.inject("GET", r"/models/iris-shared$", 503, 429)
    assert call(api, "GET", f"{MODELS}/iris-shared")[0] == 503
    assert call(api, "GET", f"{MODELS}/iris-shared")[0] == 429
    assert call(api, "GET", f"{MODELS}/iris-shared")[0] == 200


def test_compaction_expires_every_earlier_version(api):
    _, listing = call(api, "GET", MODELS)
    api.live.log.compact()

    def first_event(version: str) -> dict | None:
        query = {"watch": "true", "resourceVersion": version, "timeoutSeconds": "0"}
        lines = b"".join(api.handle("GET", MODELS, query, {}, b"").body).splitlines()
        return json.loads(lines[0]) if lines else None

    assert first_event(listing["metadata"]["resourceVersion"]) is None  # nothing since: no 410
    assert first_event("1")["object"]["code"] == 410


def test_derived_objects_cannot_be_written(api):
    pods = "/api/v1/namespaces/seldon-mesh/pods"
    status, body = call(api, "PATCH", f"{pods}/seldon-scheduler-0", {"metadata": {"labels": {}}})
    assert status == 405 and "derived" in body["message"]
    assert call(api, "DELETE", f"{pods}/seldon-scheduler-0")[0] == 405
    assert call(api, "GET", f"{pods}/seldon-scheduler-0")[0] == 200


def test_a_server_pod_that_fits_no_node_is_pending_unschedulable_and_the_node_is_listed():
    # one 1-CPU node: a Server pod of the chart's mlserver ServerConfig requests 1.7 CPU
    cluster = TwinCluster(node_pools=[NodePool("small", Resources(cpu=1000, memory=8 * 2**30))])
    server = {"metadata": {"name": "chart-requests"}, "spec": {"serverConfig": "mlserver"}}
    cluster.apply({"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server", **server})
    clock = Clock()
    live = LiveTwin(cluster, monotonic=clock, wall=lambda: 1_800_000_000.0 + clock.t)
    live.clock = clock
    api = KubeAPI(live, Mesh(live))
    advance(api, 1)

    _, nodes = call(api, "GET", "/api/v1/nodes")
    assert [(n["metadata"]["name"], n["status"]["allocatable"]["cpu"]) for n in nodes["items"]] == [
        ("small-0", "1")
    ]
    _, pod = call(api, "GET", "/api/v1/namespaces/seldon-mesh/pods/chart-requests-0")
    scheduled = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    assert scheduled[0]["reason"] == "Unschedulable"
    assert "Insufficient cpu" in scheduled[0]["message"]
