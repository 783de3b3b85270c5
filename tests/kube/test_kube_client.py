"""The kube client shell against a real HTTP Kubernetes API mock, through the kubernetes client."""

from __future__ import annotations

import threading

import pytest
import urllib3

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube.client import (
    FIELD_MANAGER,
    ObjectNotFound,
    RetryPolicy,
    WatchExpired,
    is_transient,
    watch_events,
)

from .conftest import api_for

MODEL = {
    "apiVersion": "mlops.seldon.io/v1alpha1",
    "kind": "Model",
    "metadata": {"name": "irisa0"},
    "spec": {"storageUri": "gs://seldon-models/testing/iris1", "replicas": 1, "memory": "3M"},
}
MODELS = r"/apis/mlops.seldon.io/v1alpha1/namespaces/seldon-mesh/models"


def test_apply_is_server_side_apply_with_our_field_manager(fake, api):
    applied = api.apply({**MODEL, "metadata": {"name": "irisa0", "namespace": "seldon-mesh"}})

    assert applied["metadata"]["uid"] == "uid-models-irisa0"
    _method, path, query, headers = next(r for r in fake.requests if r[0] == "PATCH")
    assert path == f"{MODELS}/irisa0"
    assert headers["Content-Type"] == "application/apply-patch+yaml"
    assert query["fieldManager"] == FIELD_MANAGER == "pytest-seldon-scaling"
    assert query["force"] in ("true", "True")


def test_get_and_list_return_plain_dicts_and_the_list_resource_version(fake, api):
    fake.put("models", MODEL)

    got = api.get("mlops.seldon.io/v1alpha1", "Model", "irisa0")
    items, version = api.list("mlops.seldon.io/v1alpha1", "Model")

    assert got["spec"]["replicas"] == 1 and isinstance(got, dict)
    assert [i["metadata"]["name"] for i in items] == ["irisa0"]
    assert version == str(fake.rv)


def test_absent_object_is_object_not_found_naming_it(api):
    with pytest.raises(ObjectNotFound, match="reading Model seldon-mesh/ghost"):
        api.get("mlops.seldon.io/v1alpha1", "Model", "ghost")


def test_scale_goes_through_the_scale_subresource_as_a_merge_patch(fake, api):
    fake.put("models", {**MODEL, "status": {"replicas": 1, "selector": "server=mlserver"}})

    scale = api.set_scale("mlops.seldon.io/v1alpha1", "Model", "irisa0", 3)

    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 3
    assert fake.get("models", "irisa0")["spec"]["replicas"] == 3
    _, path, _, headers = next(r for r in fake.requests if r[0] == "PATCH")
    assert path == f"{MODELS}/irisa0/scale"
    assert headers["Content-Type"] == "application/merge-patch+json"
    read = api.get_scale("mlops.seldon.io/v1alpha1", "Model", "irisa0")
    assert read["status"]["selector"] == "server=mlserver"


@pytest.mark.parametrize("statuses", [(429,), (500,), (503, 502), (409, 504, 429)])
def test_transient_errors_are_retried_until_success(fake, api, statuses):
    fake.put("models", MODEL)
    fake.fail("GET", f"{MODELS}/irisa0$", *statuses)

    assert api.get("mlops.seldon.io/v1alpha1", "Model", "irisa0")["metadata"]["name"] == "irisa0"
    assert fake.count("GET", f"{MODELS}/irisa0$") == len(statuses) + 1


def test_retries_are_bounded_and_the_give_up_names_what_was_being_done(fake):
    api = api_for(fake, attempts=3)
    fake.put("models", MODEL)
    fake.fail("GET", f"{MODELS}/irisa0$", *[503] * 10)

    with pytest.raises(ClusterError) as raised:
        api.get("mlops.seldon.io/v1alpha1", "Model", "irisa0")

    message = str(raised.value)
    assert "reading Model seldon-mesh/irisa0" in message
    assert "gave up after 3 attempts" in message and "503" in message
    assert fake.count("GET", f"{MODELS}/irisa0$") == 3


def test_client_errors_are_not_retried(fake, api):
    fake.put("models", MODEL)
    fake.fail("GET", f"{MODELS}/irisa0$", 403)

    with pytest.raises(ClusterError, match="403"):
        api.get("mlops.seldon.io/v1alpha1", "Model", "irisa0")
    assert fake.count("GET", f"{MODELS}/irisa0$") == 1


def test_retry_gives_up_on_total_time_too():
    calls = []

    def always_busy():
        calls.append(1)
        raise ConnectionResetError("reset by peer")

    policy = RetryPolicy(attempts=1000, max_seconds=0.3, first_wait=0.05, max_wait=0.05, seed=3)
    with pytest.raises(ClusterError, match=r"waiting for the mesh: gave up after .* reset by peer"):
        policy.run("waiting for the mesh", always_busy)
    assert 2 <= len(calls) < 20


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionResetError(), True),
        (urllib3.exceptions.ProtocolError("Connection aborted."), True),
        (urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out"), True),
        (ValueError("bad"), False),
    ],
)
def test_transient_connection_errors(error, transient):
    assert is_transient(error) is transient


def test_deleting_an_absent_object_reports_it_was_gone(api):
    assert api.delete("mlops.seldon.io/v1alpha1", "Model", "ghost") is False


def test_watch_streams_events_from_a_resource_version(fake, api):
    fake.put("models", MODEL)
    _, version = api.list("mlops.seldon.io/v1alpha1", "Model")
    fake.set_status("models", "irisa0", {"replicas": 1})

    response = api.open_watch("mlops.seldon.io/v1alpha1", "Model", version, timeout_seconds=30)
    threading.Timer(0.2, fake.end_watches).start()  # the server ends the watch
    events = list(watch_events(response))

    assert [(e["type"], e["object"]["status"]) for e in events] == [("MODIFIED", {"replicas": 1})]
    assert fake.count("GET", f"{MODELS}$", watch="true", resourceVersion=version) == 1


def test_watch_from_a_compacted_version_raises_watch_expired(fake, api):
    fake.put("models", MODEL)
    _, version = api.list("mlops.seldon.io/v1alpha1", "Model")
    fake.set_status("models", "irisa0", {"replicas": 1})
    fake.compact()

    response = api.open_watch("mlops.seldon.io/v1alpha1", "Model", version, timeout_seconds=1)
    with pytest.raises(WatchExpired, match="too old resource version"):
        list(watch_events(response))


def test_an_uninstalled_kind_is_named(api):
    with pytest.raises(ObjectNotFound, match="does not serve PodMonitor"):
        api.resource("monitoring.coreos.com/v1", "PodMonitor")
