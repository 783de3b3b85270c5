"""What the served seldon-mesh routes to: the twin's routes, which must only name replicas
that have the model loaded (a request Envoy sends elsewhere fails at the agent).

This was the cause of the one 503 SNA-03 saw over HTTP: the Model scaled 3 -> 1 while its
replicas 1 and 2 were still loading. The scheduler sent them the unload, but their LOADED event
arrived afterwards and the twin's scheduler took it, marking the replicas Available again, so
Envoy routed to them for about a second while their agents unloaded the model. Core 2 rejects
that event, and so does the twin now (``scheduler.agent_event_transition``):
``UpdateModelState`` moves a replica to Loaded only from Loading ("State mismatch ... expected
state Loading", SeldonIO/seldon-core v2.10.2 scheduler/pkg/store/memory.go, the expected
states set in scheduler/pkg/agent/server.go ``AgentEvent``). The in-process run hid it because
the twin's traffic engine serves a request on any route, loaded or not; the mesh answers 503
as the agent would.
"""

from __future__ import annotations

from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.twin import TwinCluster


def unloaded_routes(cluster: TwinCluster, model: str) -> list[tuple[str, int]]:
    """The model's routes whose replica is gone or no longer has the model loaded."""
    bad = []
    for server, index, internal in cluster.traffic.routes.get(model, []):
        pod = cluster.controller.statefulsets[server].pods.get(index)
        if pod is None or not pod.connected or internal not in pod.agent.loaded:
            bad.append((server, index))
    return bad


def test_a_scale_down_while_replicas_load_never_routes_to_an_unloaded_replica():
    manifests = default_manifests()
    cluster = TwinCluster()
    cluster.apply(manifests / "servers.yaml", manifests / "models.yaml")
    cluster.sleep(30)
    assert cluster.placement("mlserver-shared") == {0: ["iris-shared"]}
    cluster.scale("model/iris-shared", 3)
    # the new pods connect and start loading; scale down before the loads complete
    cluster.sleep(cluster.settings.pod_start_seconds)
    cluster.scale("model/iris-shared", 1)
    seen: list[tuple[float, str, int]] = []
    for _ in range(200):  # 10 s in steps of 50 ms
        cluster.sleep(0.05)
        seen += [(cluster.now(), s, i) for s, i in unloaded_routes(cluster, "iris-shared")]
    assert not seen, f"routes to replicas without the model: {seen[0]} .. {seen[-1]}"
