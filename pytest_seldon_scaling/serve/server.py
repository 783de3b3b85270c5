"""Assembling a served twin: the live twin, its API server, its mesh and a kubeconfig."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from ..cluster import Source
from ..twin.capacity import KIND_CI_POOL, NodePool
from ..twin.cluster import TwinCluster
from ..twin.settings import TwinSettings
from .api import KubeAPI, json_reply
from .http import HTTPService
from .live import LiveTwin
from .mesh import Mesh

CONTEXT = "seldon-twin"


def kubeconfig(url: str, namespace: str, context: str = CONTEXT) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        # the served twin checks no credentials; a token keeps clients that insist on one happy
        "users": [{"name": context, "user": {"token": "seldon-twin"}}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": context, "user": context, "namespace": namespace},
            }
        ],
        "current-context": context,
    }


def write_kubeconfig(path: str | Path, url: str, namespace: str, context: str = CONTEXT) -> Path:
    """Write a kubeconfig whose context ``context`` reaches the served twin at ``url``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(url, namespace, context), sort_keys=False))
    return path


class ServedTwin:
    """A twin on the wall clock, serving the Kubernetes API and seldon-mesh on 127.0.0.1.

    ``node_pools``: the cluster's nodes, by default one kind node on a GitHub-hosted runner
    (:data:`..twin.capacity.KIND_CI_POOL`): Server pods bind to a node or stay Pending, and
    ``/api/v1/nodes`` lists them, so the kube backend's capacity check reads them.
    """

    def __init__(
        self,
        manifests: Sequence[Source] = (),
        *,
        port: int = 0,
        mesh_port: int = 0,
        speed: float = 1.0,
        core_version: str = "2.10",
        namespace: str = "seldon-mesh",
        seed: int = 0,
        settings: TwinSettings | None = None,
        node_pools: Sequence[NodePool] = (KIND_CI_POOL,),
    ) -> None:
        cluster = TwinCluster(
            core_version=core_version,
            namespace=namespace,
            seed=seed,
            settings=settings,
            node_pools=node_pools,
        )
        if manifests:
            cluster.apply(*manifests)
        self.cluster = cluster
        mesh_holder: list[Mesh] = []
        self.mesh_http = HTTPService(
            lambda method, path, query, headers, body: _mesh_reply(
                mesh_holder[0], method, path, headers, body
            ),
            mesh_port,
        )
        self.live = LiveTwin(cluster, speed=speed, mesh_port=self.mesh_http.port)
        self.mesh = Mesh(self.live)
        mesh_holder.append(self.mesh)
        self.api = KubeAPI(self.live, self.mesh)
        self.api_http = HTTPService(self.api.handle, port)

    @property
    def url(self) -> str:
        return self.api_http.url

    @property
    def mesh_url(self) -> str:
        return self.mesh_http.url

    def start(self) -> ServedTwin:
        self.live.start()
        self.api_http.start()
        self.mesh_http.start()
        return self

    def write_kubeconfig(self, path: str | Path, context: str = CONTEXT) -> Path:
        return write_kubeconfig(path, self.url, self.cluster.namespace, context)

    def close(self) -> None:
        self.live.stop()
        self.api_http.close()
        self.mesh_http.close()

    def __enter__(self) -> ServedTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mesh_reply(mesh: Mesh, method, path, headers, body):
    answer = mesh.handle(method, path, headers, body)
    return json_reply(answer.body, answer.status, answer.headers)
