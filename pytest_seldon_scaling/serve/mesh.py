"""``svc/seldon-mesh`` over HTTP: V2 inference routed by the ``Seldon-Model`` header.

Envoy routes a request by its ``Seldon-Model`` header to one of the model's replicas the
scheduler last synced (the twin's routes), round-robin. Each replica is the same queue the
twin's traffic engine models (:mod:`..twin.traffic`): ``concurrency_per_replica`` workers with a
constant ``service_time_seconds``, first come first served. Per request, here: the request
starts when a worker of its replica is free, answers 200 after the service time (slept in
wall time: virtual time / speed), and counts on the agent's ``seldon_model_infer_total``
(which Prometheus scrapes, the adapter turns into ``infer_rps``, the HPA reads). A model with
no route answers 503 at once; a request whose replica disappeared (pod gone, model unloaded)
before it completed answers 503, as the engine fails what was queued there. The outcome is
decided by a SimPy event at the request's virtual completion instant, so a stalled clock
thread (a busy machine) delays answers but never changes them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field

from .live import LiveTwin

INFER_PATH_SUFFIX = "/infer"
LOG = logging.getLogger(__name__)
ANSWER_TIMEOUT = 30.0  # wall seconds a request waits for the twin's clock before a 503


@dataclass
class Replica:
    """The workers of one model replica: when each is next free (virtual seconds)."""

    free_at: list[float] = field(default_factory=list)

    def admit(self, now: float, workers: int, service: float) -> float:
        """When a request arriving at ``now`` completes (and book its worker)."""
        while len(self.free_at) < workers:
            self.free_at.append(0.0)
        index = min(range(len(self.free_at)), key=self.free_at.__getitem__)
        finish = max(now, self.free_at[index]) + service
        self.free_at[index] = finish
        return finish


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    headers: tuple[tuple[str, str], ...] = ()


class Mesh:
    """The data plane of the served twin."""

    def __init__(self, live: LiveTwin) -> None:
        self.live = live
        self._replicas: dict[tuple[str, str, int, str], Replica] = {}
        self._round_robin: dict[str, int] = {}
        self.served = 0
        self.failed = 0

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if path in ("/ready", "/v2/health/live", "/v2/health/ready"):
            return Answer(200, {})
        model = headers.get("seldon-model") or ""
        if not model:
            return Answer(404, {"error": "no route: the Seldon-Model header is missing"})
        model = model.split(".", 1)[0]
        if method == "POST" and path.endswith(INFER_PATH_SUFFIX):
            return self.infer(model, body)
        if method == "GET" and path.startswith("/v2/models/"):
            return self.ready(model)
        return Answer(404, {"error": f"{method} {path} is not a V2 inference path"})

    def ready(self, model: str) -> Answer:
        with self.live.lock:
            routes = self.live.cluster.traffic.routes.get(model) or []
        if not routes:
            return Answer(503, {"error": "no healthy upstream"})
        return Answer(200, {"name": model, "ready": True})

    def infer(self, model: str, body: bytes) -> Answer:
        live = self.live
        settings = live.cluster.settings
        decided = threading.Event()
        outcome: list[int] = []
        with live.lock:
            live.catch_up()  # the request arrives now, not at the last tick
            routes = live.cluster.traffic.routes.get(model) or []
            if not routes:
                self.failed += 1
                LOG.info("t=%.3f %s: 503, no route", live.cluster.now(), model)
                return Answer(503, {"error": "no healthy upstream"})
            turn = self._round_robin.get(model, 0)
            self._round_robin[model] = (turn + 1) % len(routes)
            server, index, internal = routes[turn % len(routes)]
            now = live.cluster.now()
            replica = self._replicas.setdefault((model, server, index, internal), Replica())
            finish = replica.admit(
                now, settings.concurrency_per_replica, settings.service_time_seconds
            )
            agent = self._agent(server, index)
            if agent is not None:
                agent.lag[internal] = agent.lag.get(internal, 0) + 1

            def complete(_event: object) -> None:
                # decided in virtual time at the instant the request completes, as the twin's
                # traffic engine decides it: served if the replica still has the model loaded
                agent = self._agent(server, index)
                if agent is not None:
                    agent.lag[internal] = max(0, agent.lag.get(internal, 0) - 1)
                if agent is None or internal not in agent.loaded:
                    self.failed += 1
                    LOG.info(
                        "t=%.3f %s: 503, replica %s-%d %s while the request was in service",
                        live.cluster.now(),
                        model,
                        server,
                        index,
                        "is gone" if agent is None else f"unloaded {internal}",
                    )
                    outcome.append(503)
                else:
                    agent.count(model, internal, "200", 1)
                    agent.last_used[internal] = live.cluster.now()
                    self.served += 1
                    outcome.append(200)
                decided.set()

            live.cluster.env.timeout(finish - now).callbacks.append(complete)
        time.sleep(max(0.0, live.wall_delay(finish - now)))
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while not decided.is_set() and time.monotonic() < deadline and not live.stopped:
            live.catch_up()
            decided.wait(timeout=live.tick)
        if not outcome:
            LOG.warning(
                "%s: 503, the twin's clock did not reach the request's completion (t=%.3f) "
                "within %gs",
                model,
                finish,
                ANSWER_TIMEOUT,
            )
        if not outcome or outcome[0] != 200:
            return Answer(503, {"error": "upstream connect error or disconnect/reset"})
        return Answer(
            200,
            {
                "model_name": internal,
                "model_version": "1",
                "id": _request_id(body),
                "outputs": [{"name": "predict", "shape": [1, 1], "datatype": "INT64", "data": [2]}],
            },
            (("Seldon-Route", f"[{internal}]"), ("x-seldon-route", f":{internal}:")),
        )

    def _agent(self, server: str, index: int):
        statefulset = self.live.cluster.controller.statefulsets.get(server)
        pod = None if statefulset is None else statefulset.pods.get(index)
        return None if pod is None or not pod.connected else pod.agent


def _request_id(body: bytes) -> str:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return ""
    return str(request.get("id", "")) if isinstance(request, dict) else ""
