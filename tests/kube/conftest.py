from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from kubernetes.client import ApiClient, Configuration
from pytest_httpserver import HTTPServer

from pytest_seldon_scaling.kube.client import KubeApi, RetryPolicy
from pytest_seldon_scaling.kube.cluster import KubeCluster
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.serve import ServedTwin
from pytest_seldon_scaling.twin import TwinSettings
from pytest_seldon_scaling.twin.capacity import NodePool, Resources

from .fakeapi import FakeKube
from .reference import REFERENCE

# The served twin (``seldon-scaling twin serve``) is the cluster these tests run the kube
# backend against; the fake (fakeapi.py) only where a test injects what a twin cannot produce
# (request counts, statuses a test sets by hand, RBAC denials, expiring watches).
# Short virtual delays at 10x the wall clock: a Model is Ready about 1 s after it is applied.
SERVED_SETTINGS = TwinSettings(pod_start_seconds=8.0, scrape_interval=5.0, hpa_sync_period=5.0)


def _crd_schemas() -> dict[str, dict]:
    """plural -> openAPIV3Schema of the Core 2 CRDs (reference data: SeldonIO/seldon-core
    v2.10.2 operator/config/crd/bases); empty when the reference data is absent."""
    import yaml

    schemas = {}
    for path in sorted((REFERENCE / "crds").glob("*.yaml")) if REFERENCE.is_dir() else []:
        crd = yaml.safe_load(path.read_text())
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
        schemas[crd["spec"]["names"]["plural"]] = version["schema"]["openAPIV3Schema"]
    return schemas


CRD_SCHEMAS = _crd_schemas()


@pytest.fixture(scope="session")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(http_server: HTTPServer) -> Iterator[FakeKube]:
    kube = FakeKube()
    kube.schemas = CRD_SCHEMAS
    kube.serve_on(http_server)
    yield kube
    kube.close()


def quick_retries(attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, max_seconds=10, first_wait=0.01, max_wait=0.05, seed=1)


_opened: list[KubeApi] = []


@pytest.fixture(autouse=True)
def _close_apis() -> Iterator[None]:
    """Each KubeApi keeps a discovery cache file: close what a test opened."""
    yield
    while _opened:
        _opened.pop().close()


@pytest.fixture
def served() -> Iterator[ServedTwin]:
    """A served twin with the default adapter rule and one node every test's pods fit on."""
    adapter = default_manifests() / "adapter-configmap.yaml"
    nodes = [NodePool("node", Resources(cpu=64_000, memory=256 * 2**30))]
    with ServedTwin([adapter], speed=10.0, settings=SERVED_SETTINGS, node_pools=nodes) as twin:
        yield twin


@contextlib.contextmanager
def cluster_maker(
    server: FakeKube | ServedTwin, tmp_path, delete_timeout: float, *, forget_created: bool
) -> Iterator[Callable[..., KubeCluster]]:
    """Make KubeClusters (``--seldon-cluster=existing``) on ``server``; close them after.

    ``forget_created``: close without removing what they made (the fake is thrown away after
    each test, and tests that check cleanup close their handle themselves)."""
    made = []

    def make(**options) -> KubeCluster:
        options.setdefault("delete_timeout", delete_timeout)
        cluster = KubeCluster(
            api_for(server), backend="existing", core_version="2.10", report_dir=tmp_path, **options
        )
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        if forget_created:
            cluster.created.clear()
        cluster.close()


@pytest.fixture
def make_served_cluster(served: ServedTwin, tmp_path):
    """KubeClusters (``--seldon-cluster=existing``) on the served twin."""
    with cluster_maker(served, tmp_path, 30.0, forget_created=False) as make:
        yield make


def api_for(fake: FakeKube | ServedTwin, attempts: int = 4) -> KubeApi:
    configuration = Configuration()
    configuration.host = fake.url
    configuration.api_key = {"BearerToken": "fake-token"}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    namespace = fake.namespace if isinstance(fake, FakeKube) else fake.cluster.namespace
    api = KubeApi(ApiClient(configuration), namespace, quick_retries(attempts))
    _opened.append(api)
    return api


@pytest.fixture
def api(fake: FakeKube) -> KubeApi:
    return api_for(fake)


@pytest.fixture
def make_cluster(fake: FakeKube, tmp_path):
    """KubeClusters (``--seldon-cluster=existing``) on the fake API."""
    with cluster_maker(fake, tmp_path, 5.0, forget_created=True) as make:
        yield make
