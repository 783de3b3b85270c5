"""Inference traffic on the twin: arrivals, Envoy routing, queueing, outcomes per second.

Why counts per interval and not one event per request: at 1,000 RPS an hour is 3.6 million
requests, and a SimPy event per request costs far more than the 5 s budget of the benchmark.
The engine instead advances in *intervals*: every whole second, and additionally at every
instant the routing or the set of replicas changes (an Envoy sync, a pod that disappears, an
unload). Inside an interval nothing about routing changes, so:

* arrivals over the interval are the profile's expected requests: ``paced`` (default) sends
  them evenly with the fraction carried over (a load generator holding its target, like
  Locust's constant-throughput users; the starting phase comes from the seeded RNG), or
  ``poisson`` draws a Poisson count (open-loop arrivals; Poisson counts over adjacent
  intervals add up to the same process as per-request arrivals, so splitting intervals at
  routing changes biases nothing);
* Envoy spreads them round-robin over the model's routes (the ``GetAssignment`` replicas of the
  last sync; draining replicas only while no other replica serves);
* each model replica is a queue with ``concurrency`` workers and a constant service time:
  it completes at most ``concurrency / service_time`` requests per second (fractions carried
  over), the rest wait; requests that arrived during the last service time of the interval are
  still *in service* at its end and complete at the start of the next one; a calibrated
  :class:`ServiceTime` also gives the latencies of requests that do not queue as points of
  the measured service-time distribution;
* latency = service time + the queue ahead of the request divided by the completion rate,
  evaluated at points spread over the interval; percentiles per second come from those points
  weighted by arrivals.

Two shortcuts keep a day of many models cheap:

* **Quiet spans**: while a model has nothing waiting, timing out or draining, and each second's
  round-robin share fits every replica beside what is still in service, its seconds up to the
  next change are processed in one pass (:meth:`TrafficEngine._quiet_span`): the same arrivals,
  latencies and failures, with what is still in service at the end of a second rounded for
  the model rather than per replica. A model without a route is quiet too (every request
  503). The span stops at the first second that would queue, and interval-by-interval
  processing takes over (``quiet_spans = False`` forces it: the reference the spans are
  tested against).
* **Running behind**: whatever changes what traffic sees (an Envoy sync, a pod or model gone,
  a new run) or reads what it did (a Prometheus scrape, the cluster's caller after a wait:
  :meth:`TrafficEngine.catch_up`) first brings the engine up to that instant, so between such
  instants it may run up to ``CATCH_UP_SECONDS`` behind. With 2.9's lag autoscaling on, the
  agents' timers read its lag statistics, and it keeps up every second.

So every second's sent/ok/failed counts are exact integers, and the failure semantics are
exact at the instant they happen: when a replica disappears (pod gone, model unloaded after
its grace period) everything queued or in service on it fails with 503, and a model with no
route answers 503 at once. Completed requests increment the agent's
``seldon_model_infer_total`` (``method_type`` of the run's protocol, ``rest`` with code ``200``
or ``grpc`` with code ``OK``; see :meth:`TrafficEngine._count_mixed` for a model getting both)
and the lag counter used by 2.9 lag autoscaling.

What bounds a request, from the code (SeldonIO/seldon-core v2.10.2 unless said otherwise):

* **The client's deadline** (``request_timeout_seconds``, default 10 s). Locust's
  ``FastHttpUser`` gives up after ``network_timeout`` (60 s by default,
  locustio/locust ``locust/contrib/fasthttp.py``; ``HttpUser``/requests has no timeout at
  all); this project's Locust driver sets it to ``request_timeout(grace)`` = 10 s for the
  default 30 s grace (``load/locust_driver.py``), and the twin uses the same. Each replica
  queue is FIFO at a constant rate, so whether a request makes its deadline is known when it
  joins the queue: one that would wait longer leaves the queue (the client closes the
  connection, Envoy resets the upstream request) and fails as ``timeout`` in the second its
  deadline passes. Served requests' latency includes their queueing, so p99 shows it.
* **No Envoy route timeout**: Core 2 writes ``timeout: 0s`` (disabled) on every model route
  (``scheduler/pkg/envoy/xdscache/resource.go``, ``DefaultRouteTimeoutSecs = 0``), so Envoy
  itself never times a request out, however long it queues.
* **Envoy's circuit breakers** per upstream cluster: one cluster per model version
  (``<model>_<version>_http``, ``scheduler/pkg/envoy/processor/incremental.go``
  ``getClusterNames``) on which Core 2 sets only ``max_retries: 5`` (``getCircuitBreaker``),
  so Envoy's defaults hold (envoyproxy/envoy ``api/envoy/config/cluster/v3/
  circuit_breaker.proto``): 1024 HTTP/1.1 connections, each carrying one request, and 1024
  requests pending for a connection. A request arriving while the model already has
  ``envoy_max_connections + envoy_max_pending_requests`` outstanding (queued, in service, or
  waiting out its deadline) is answered 503 at once (``upstream_rq_pending_overflow``).
* **The agent** proxies to the inference server with ``MaxConnsPerHost: 20`` and no timeout
  (``scheduler/pkg/agent/rproxy.go``, ``scheduler/pkg/util/constants.go``): beyond that,
  requests wait inside the agent without bound, i.e. in this queue.
* **MLServer** has no request timeout and no queue bound; its parallel workers bound how many
  requests run at once (``concurrency_per_replica``).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import simpy

from ..load.profile import LoadProfile
from ..load.result import LoadResult, summarize_counts
from ..timeline import Timeline, TrafficSecond
from .agent import GRPC, REST, SERVED_CODE, Agent
from .settings import TwinSettings

Route = tuple[str, int, str]  # (server, replica index, model_internal)
# (service time, workers, completions per second, longest queue, unqueued latency points)
Constants = tuple[float, int, float, int, tuple[tuple[float, float], ...]]
UNAVAILABLE = "503"
TIMEOUT = "timeout"  # the client gave up: no HTTP status, as Locust records a network timeout
SAMPLE_POINTS = (0.125, 0.375, 0.625, 0.875)
# how far behind the engine may run between the instants that change or read it
CATCH_UP_SECONDS = 60
MIN_QUIET_SPAN = 2  # whole seconds: shorter ones go interval by interval


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: Knuth for small means, Hörmann's PTRS (exact) for large ones."""
    if lam <= 0:
        return 0
    if lam < 10:
        limit, k, product = math.exp(-lam), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= (
            -lam + k * loglam - math.lgamma(k + 1)
        ):
            return k


class ServiceTime(NamedTuple):
    """How one replica serves a model (``TrafficEngine.service``, e.g. from a calibrated
    service profile).

    ``seconds`` per request on each of ``workers``: the replica completes at most
    ``workers / seconds`` requests a second. ``latencies``: ``(seconds, share)`` points of the
    service-time distribution a request that does not queue sees (shares summing to 1), so a
    second's percentiles follow the measured ones; empty means every such request takes
    ``seconds``. A queued request's latency is its wait plus ``seconds``.
    """

    seconds: float
    workers: int
    latencies: tuple[tuple[float, float], ...] = ()


class Queue:
    """One model replica: requests waiting and in service at the last instant.

    A queue lives no longer than its pod: :meth:`TrafficEngine.drop` removes it when the pod
    (or the model on it) goes, so the agent found when it was made stays the replica's agent.
    """

    __slots__ = ("agent", "carry", "in_service", "internal", "key", "waiting")

    def __init__(self, agent: Agent | None, model: str, internal: str) -> None:
        self.waiting = 0
        self.in_service = 0
        self.carry = 0.0
        self.agent = agent
        self.internal = internal
        # the agent's counter a completion increments while the model gets REST only
        self.key = (model, internal, REST, SERVED_CODE[REST])


class Second:
    """Accumulator for one model's current second.

    Latencies are kept as weight per distinct value: an unloaded replica adds the same value
    (its service time) every interval, so a second holds a handful of entries, not one per
    route and interval. With the default constant service time, weights are whole or
    quarter requests, so their sums are exact in any order and the percentiles equal those of
    the unaggregated samples.
    """

    __slots__ = ("failed", "latencies", "ok", "sent", "t", "target")

    def __init__(self, t: int) -> None:
        self.t = t
        self.target = 0.0
        self.sent = 0
        self.ok = 0
        self.failed: dict[str, int] = {}
        self.latencies: dict[float, float] = {}

    def fail(self, n: int, code: str = UNAVAILABLE) -> None:
        if n:
            self.failed[code] = self.failed.get(code, 0) + n

    def record(self, recorder: Callable[..., None]) -> None:
        """Record the second with the timeline's ``recorder`` for the model (the accumulator
        is not used after this)."""
        latencies = self.latencies
        p50, p95, p99 = _percentiles(latencies) if latencies else (None, None, None)
        recorder(self.t, self.target, self.sent, self.ok, self.failed, p50, p95, p99)


def _percentiles(latencies: dict[float, float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in ms of latencies given as seconds with their weights."""
    if len(latencies) == 1:
        (value,) = latencies
        return value * 1000, value * 1000, value * 1000
    ordered = sorted(latencies.items())
    total = sum(latencies.values())
    p50, p95, p99 = (_quantile(ordered, total, q) * 1000 for q in (0.5, 0.95, 0.99))
    return p50, p95, p99


def _quantile(ordered: list[tuple[float, float]], total: float, q: float) -> float:
    threshold = q * total
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= threshold:
            return value
    return ordered[-1][0]


class LoadRunHandle:
    """A running load profile against one model (the ``LoadRun`` protocol)."""

    def __init__(
        self,
        model: str,
        profile: LoadProfile,
        started_at: float,
        timeline: Timeline,
        advance_to: Callable[[float], None],
        now: Callable[[], float],
        protocol: str = REST,
    ) -> None:
        self.model = model
        self.protocol = protocol
        self.profile = profile
        self.started_at = started_at
        self._timeline = timeline
        self._advance_to = advance_to
        self._now = now
        self.carry: float | None = None
        # set by the engine: the client's timeout, and how many requests have no outcome yet
        self.deadline = 0.0
        self.outstanding: Callable[[], int] = lambda: 0
        # fixed for the run: the engine reads them every interval
        self.duration = profile.duration
        self.end = started_at + profile.duration
        # the run's rows: from the second it starts in (its first requests are sent there)
        self._first = math.floor(started_at)
        self._until = math.ceil(self.end) + 1

    @property
    def done(self) -> bool:
        return self._now() >= self.end

    def seconds(self) -> list[TrafficSecond]:
        """Seconds of the run, and those after it until its last request has an outcome."""
        return self._timeline.traffic_for(self.model, self._first, self._until)

    def wait(self) -> LoadResult:
        # one more second lets requests in service at the end complete; requests still queued
        # are answered, or time out, within the client's deadline
        settled = math.ceil(self.end + self.deadline) + 1
        self._advance_to(max(self._now(), self._until))
        while self.outstanding() and self._now() < settled:
            self._advance_to(min(math.floor(self._now()) + 1, settled))
        self._until = max(self._until, math.ceil(self._now()))
        counts = self._timeline.traffic_counts(self.model, self._first, self._until)
        return summarize_counts(self.model, self.profile, counts, started_at=self.started_at)


class ModelTraffic:
    """What the engine keeps for one model: its routes, replica queues and current second."""

    __slots__ = (
        "abandoning",
        "constants",
        "deadlines",
        "held",
        "mix",
        "mix_remainder",
        "name",
        "offset",
        "orphans",
        "queues",
        "quiet_recorder",
        "recorder",
        "routes",
        "second",
        "spec",
        "unqueued_ms",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        # records a finished second in the timeline (made with the model's first second, so a
        # model that never had traffic has none in the timeline)
        self.recorder: Callable[..., None] | None = None
        self.routes: tuple[Route, ...] = ()
        self.queues: dict[Route, Queue] = {}
        # replicas that left the routes with requests still queued: they drain, getting nothing
        self.orphans: list[Route] = []
        self.offset = 0  # Envoy's round-robin position
        self.held = 0  # what the queues held after the last interval
        # requests that will miss their deadline: (when the client gives up, how many)
        self.deadlines: deque[tuple[float, int]] = deque()
        self.abandoning = 0
        # (gRPC, all) requests of the latest interval with arrivals, once gRPC load was seen,
        # and the remainder of the integer split of completions between protocols
        self.mix: tuple[int, int] | None = None
        self.mix_remainder = 0
        self.second: Second | None = None
        self.quiet_recorder: Callable[..., None] | None = None  # records a quiet span's seconds
        self.spec: object = None  # the service entry ``constants`` were computed from
        self.constants: Constants | None = None
        self.unqueued_ms: tuple[float, float, float] | None = None  # set with ``constants``


class TrafficEngine:
    """Arrivals, routing and queueing for every model with load on it."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: TwinSettings,
        rng: random.Random,
        timeline: Timeline,
        agent_of: Callable[[str, int], Agent | None],
    ) -> None:
        self.env = env
        self.settings = settings
        self.rng = rng
        self.timeline = timeline
        self.agent_of = agent_of
        # the routes of every model (read by the served seldon-mesh)
        self.routes: dict[str, tuple[Route, ...]] = {}
        self.runs: list[LoadRunHandle] = []
        # per model, how a replica serves it in place of the settings' defaults (a
        # ServiceTime, or a (seconds, workers) pair)
        self.service: dict[str, ServiceTime | tuple[float, int]] = {}
        # the agents' lag and last-used statistics feed only 2.9's lag autoscaling: kept when on
        self.track_lag = True
        # False: every interval one by one, the reference the quiet spans are tested against
        self.quiet_spans = True
        self._models: dict[str, ModelTraffic] = {}
        self._last = 0.0
        # a fleet of models under one profile started together expects the same requests: a
        # quiet span's expected requests per second, by (profile, start, span), per advance
        self._expected_of: dict[tuple[int, float, int, int], list[float]] = {}
        self._ticking = False
        self._limit = settings.envoy_max_connections + settings.envoy_max_pending_requests
        self._paced = settings.arrivals != "poisson"

    def _model(self, name: str) -> ModelTraffic:
        state = self._models.get(name)
        if state is None:
            state = self._models[name] = ModelTraffic(name)
        return state

    # -- inputs ----------------------------------------------------------------------------

    def start(self, run: LoadRunHandle) -> None:
        self.advance(self.env.now)
        run.deadline = self.settings.request_timeout_seconds
        run.outstanding = lambda: self.outstanding(run.model)
        self._model(run.model)  # advance() serves the models it keeps
        self.runs.append(run)
        if not self._ticking:
            self._ticking = True
            self.env.process(self._tick())

    def set_routes(self, model: str, routes: list[Route]) -> None:
        self.advance(self.env.now)
        state = self._model(model)
        current = state.routes = self.routes[model] = tuple(routes)
        state.orphans = [route for route in state.queues if route not in current]

    def drop(self, server: str, index: int, internal: str | None) -> None:
        """A replica (or one model on it) is gone: what is queued or in service there fails."""
        self.advance(self.env.now)
        for state in self._models.values():
            queues = state.queues
            for route in [r for r in queues if r[0] == server and r[1] == index]:
                if internal is not None and route[2] != internal:
                    continue
                queue = queues.pop(route)
                lost = queue.waiting + queue.in_service
                if lost:
                    self._second(state, self.env.now).fail(lost)

    def outstanding(self, model: str) -> int:
        """Requests to ``model`` without an outcome yet: queued, in service, timing out."""
        state = self._models.get(model)
        if state is None:
            return 0
        return state.abandoning + sum(q.waiting + q.in_service for q in state.queues.values())

    # -- time ------------------------------------------------------------------------------

    def _tick(self):
        while self.runs or any(s.queues or s.deadlines for s in self._models.values()):
            # Everything that changes what traffic sees (routes, pods, a new run) and everything
            # that reads what it did (scrapes, the cluster's callers, via catch_up) brings the
            # engine up to that instant first, so between them it may run behind: a minute of
            # a quiet model is then one span (_quiet_span), not sixty intervals. 2.9's lag
            # statistics are read by the agents' own timers, so with them on it keeps up every
            # second.
            step = 1 if self.track_lag else CATCH_UP_SECONDS
            yield self.env.timeout(math.floor(self.env.now) + step - self.env.now)
            self.catch_up()
            self.runs = [r for r in self.runs if r.end > self.env.now]
        self._flush(math.inf)
        self._ticking = False

    def catch_up(self) -> None:
        """Process traffic up to now and record every second before the current one."""
        self.advance(self.env.now)
        self._flush(math.floor(self.env.now))

    def _flush(self, before: float) -> None:
        for state in self._models.values():
            second = state.second
            if second is not None and second.t < before:
                self._record(state, second)
                state.second = None

    def _record(self, state: ModelTraffic, second: Second) -> None:
        recorder = state.recorder
        if recorder is None:
            recorder = state.recorder = self.timeline.traffic_recorder(state.name)
        second.record(recorder)

    def _second(self, state: ModelTraffic, t: float) -> Second:
        second = state.second
        index = math.floor(t)
        if second is None or second.t != index:
            if second is not None:
                self._record(state, second)
            second = state.second = Second(index)
        return second

    def advance(self, t: float) -> None:
        """Process traffic over ``[last, t)``, model by model: within it no route, pod or run
        changes (those call this first), and models share nothing but the RNG."""
        start = self._last
        if t <= start:
            return
        self._last = t
        runs_of: dict[str, list[LoadRunHandle]] = {}
        for run in self.runs:
            if run.started_at < t and run.end > start:
                runs_of.setdefault(run.model, []).append(run)
        self._expected_of.clear()
        quiet = self.quiet_spans and self._paced and not self.track_lag
        for state in self._models.values():
            runs = runs_of.get(state.name, ())
            if runs or state.queues or state.deadlines:
                self._advance_model(state, runs, start, t, quiet)

    def _advance_model(
        self,
        state: ModelTraffic,
        runs: list[LoadRunHandle] | tuple[()],
        start: float,
        t: float,
        quiet: bool,
    ) -> None:
        floor = math.floor
        run = runs[0] if quiet and len(runs) == 1 else None
        last_whole = floor(t) if run is None else min(floor(t), floor(run.end))
        pos = start
        while pos < t:
            if run is not None and pos == floor(pos) and last_whole - pos >= MIN_QUIET_SPAN:
                reached = self._quiet_span(state, run, int(pos), last_whole)
                if reached > pos:
                    pos = reached
                    continue
            end = floor(pos) + 1
            if end > t:
                end = t
            self._interval(state, runs, pos, end)
            pos = end

    def _interval(
        self, state: ModelTraffic, runs: list[LoadRunHandle] | tuple[()], start: float, t: float
    ) -> None:
        """One model's traffic over ``[start, t)``, inside one second."""
        arrived = grpc = None
        paced = self._paced
        for run in runs:
            started_at = run.started_at
            offset0 = start - started_at
            end = run.end
            offset1 = (t if t < end else end) - started_at
            if offset1 <= 0 or offset0 >= run.duration:
                continue
            expected = run.profile.requests_between(offset0 if offset0 > 0 else 0.0, offset1)
            second = state.second
            if second is None or second.t != math.floor(start):
                second = self._second(state, start)
            second.target += expected  # summed over the second: the target rps
            if paced:
                carry = run.carry
                if carry is None:
                    carry = self.rng.random()
                n = math.floor(expected + carry)
                run.carry = expected + carry - n
            else:
                n = poisson(self.rng, expected)
            arrived = n if arrived is None else arrived + n
            if run.protocol == GRPC:
                grpc = n if grpc is None else grpc + n
        if arrived is None and not state.queues and not state.deadlines:
            return
        if arrived and (grpc is not None or state.mix is not None):
            # once a model had gRPC load, completions split as its latest arrivals did
            state.mix = (grpc or 0, arrived)
        due = state.deadlines
        while due and due[0][0] < t:
            _, n = due.popleft()
            state.abandoning -= n
            self._second(state, start).fail(n, TIMEOUT)
        if arrived is not None or state.queues:
            self._serve(state, arrived or 0, start, t - start)

    def _quiet_span(self, state: ModelTraffic, run: LoadRunHandle, s0: int, s1: int) -> int:
        """Whole seconds ``[s0, s1)`` of a quiet model in one pass; returns the second it
        reached (``s0``: the model is not quiet now).

        Quiet: no request waits or times out, no replica drains, REST only, and either the
        model has no route (every request is answered 503 at once) or, in each second, every
        replica's share of Envoy's round robin fits beside what is still in service from the
        second before. Each second is then what :meth:`_serve` gives it, without the
        per-replica bookkeeping: every request is served at the profile's latencies, and what
        is still in service at the end of a second (stochastically rounded, as there) is
        counted for the model and spread over the replicas once, at the end of the span. The
        span stops at the first second that would not be quiet.
        """
        if state.orphans or state.deadlines or state.mix is not None or run.protocol != REST:
            return s0
        second = state.second
        if second is not None and second.t >= s0:
            return s0
        queues = state.queues
        k = len(state.routes)
        in_service = busiest = 0
        for queue in queues.values():
            if queue.waiting or queue.carry or not k:
                return s0
            in_service += queue.in_service
            if queue.in_service > busiest:
                busiest = queue.in_service
        if second is not None:
            self._record(state, second)
            state.second = None
        key = (id(run.profile), run.started_at, s0, s1)
        expected = self._expected_of.get(key)
        if expected is None:
            expected = self._expected_of[key] = run.profile.requests_per_second(
                s0 - run.started_at, s1 - s0
            )
        random = self.rng.random
        carry = run.carry
        if carry is None:
            carry = random()
        sent: list[int] = []
        ok: list[int] = []
        if k:
            service, _, rate, _, _ = self._constants(state)
            share = service if service < 1.0 else 1.0
            limit = self._limit
            for e in expected:
                y = e + carry
                n = int(y)
                # the busiest replica's arrivals (ceil n/k) beside its requests in service
                if n + in_service > limit or -(-n // k) + busiest > rate:
                    break
                carry = y - n
                x = n * share
                whole = int(x)
                still = whole + 1 if random() < x - whole else whole
                sent.append(n)
                ok.append(in_service + n - still)
                in_service = still
                busiest = -(-still // k)
            if not sent:
                return s0
            self._hand_over(state, sent, in_service)
            latencies, refused = state.unqueued_ms, None
        else:
            for e in expected:
                y = e + carry
                n = int(y)
                carry = y - n
                sent.append(n)
            ok = [0] * len(sent)
            latencies, refused = None, UNAVAILABLE
        run.carry = carry
        count = len(sent)
        recorder = state.quiet_recorder
        if recorder is None:
            recorder = state.quiet_recorder = self.timeline.seconds_recorder(state.name)
        recorder(s0, expected[:count], sent, ok, latencies, refused)
        return s0 + count

    def _hand_over(self, state: ModelTraffic, sent: list[int], in_service: int) -> None:
        """After a quiet span: each replica's completions to its agent's counter, and what is
        still in service spread over the replicas as the last second's arrivals were."""
        routes = state.routes
        k = len(routes)
        queues = state.queues
        total = sum(sent)
        offset = state.offset
        base, extra = divmod(total, k)
        last_offset = (offset + total - sent[-1]) % k
        still_base, still_extra = divmod(in_service, k)
        for j, route in enumerate(routes):
            arrived = base + 1 if (j - offset) % k < extra else base
            still = still_base + 1 if (j - last_offset) % k < still_extra else still_base
            queue = queues.get(route)
            if queue is None:
                if not (arrived or still):
                    continue
                queue = queues[route] = Queue(
                    self.agent_of(route[0], route[1]), state.name, route[2]
                )
            elif queue.agent is None:
                queue.agent = self.agent_of(route[0], route[1])
            completed = queue.in_service + arrived - still
            queue.in_service = still
            if not still:
                del queues[route]
            agent = queue.agent
            if completed and agent is not None:
                counters = agent.counters
                counters[queue.key] = counters.get(queue.key, 0) + completed
        state.offset = (offset + total) % k
        state.held = in_service

    def _constants(self, state: ModelTraffic) -> Constants:
        """(service time, workers, completions per second, longest queue within the deadline,
        the latency points of a request that does not queue)."""
        spec = self.service.get(state.name)
        constants = state.constants
        if constants is not None and state.spec is spec:
            return constants
        service, concurrency, points = ServiceTime(
            *(spec or (self.settings.service_time_seconds, self.settings.concurrency_per_replica))
        )
        rate = concurrency / service
        # the longest queue ahead of a request that still answers within the client's deadline
        deadline = self.settings.request_timeout_seconds
        longest = max(0, math.floor((deadline - service) * rate) + concurrency - 1)
        unqueued = tuple(points) or ((service, 1.0),)
        constants = state.constants = (service, concurrency, rate, longest, unqueued)
        # a second where nothing queued: its percentiles are those of the points themselves
        weights: dict[float, float] = {}
        for value, weight in unqueued:
            weights[value] = weights.get(value, 0.0) + weight
        state.unqueued_ms = _percentiles(weights)
        state.spec = spec
        return constants

    def _serve(self, state: ModelTraffic, n: int, start: float, dt: float) -> None:
        second = state.second
        if second is None or second.t != math.floor(start):
            second = self._second(state, start)
        second.sent += n
        routes = state.routes
        k = len(routes)
        if n and not k:
            second.fail(n)
            n = 0
        queues = state.queues
        service, concurrency, rate, longest, points = self._constants(state)
        # ``held`` (what the queues held last time, never less than now) spares the exact count
        if n and n + state.held + state.abandoning > self._limit:
            # Envoy's circuit breaker: what the model's cluster cannot hold is refused at once
            draining = sum(math.floor(rate * dt + q.carry) for q in queues.values())
            room = max(0, self._limit - self.outstanding(state.name) + draining)
            if n > room:
                second.fail(n - room)
                n = room
        # Envoy's round robin: every route gets ``base``, ``extra`` routes from the model's
        # offset one more
        base, extra = divmod(n, k) if n else (0, 0)
        offset = state.offset
        if extra:
            state.offset = (offset + extra) % k
        model = state.name
        deadline = self.settings.request_timeout_seconds
        # per interval, not per route: what every replica of the model shares
        drained = rate * dt
        in_service_share = min(1.0, service / dt)
        gives_up_at = start + dt / 2 + deadline
        used_at = start + dt
        random = self.rng.random
        floor = math.floor
        latencies = second.latencies
        mix = state.mix
        held = ok = unqueued = 0
        track_lag = self.track_lag
        orphans = state.orphans
        for j, route in enumerate((*routes, *orphans) if orphans else routes):
            a = (base + 1 if (j - offset) % k < extra else base) if j < k else 0
            queue = queues.get(route)
            if queue is None:
                if not a:
                    continue
                queue = queues[route] = Queue(self.agent_of(route[0], route[1]), model, route[2])
            elif queue.agent is None:
                # made while its pod was gone (a route not yet resynced): the pod may be back
                queue.agent = self.agent_of(route[0], route[1])
            done_first = queue.in_service
            q0 = queue.waiting
            capacity = drained + queue.carry - done_first
            if not q0 and a <= capacity:
                # nothing waits: every arrival is served within the interval, at service time
                served = a
                queue.carry = 0.0
                late = waiting = 0
                unqueued += a
            else:
                backlog = q0 + a
                served = floor(capacity)
                if served < 0:
                    served = 0
                if backlog < served:
                    served = backlog
                queue.carry = min(1.0, capacity - served) if backlog > served else 0.0
                q1 = backlog - served
                # FIFO at a constant rate: the newest requests beyond ``longest`` miss the
                # deadline
                late = q1 - longest
                if late > 0:
                    late = a if late > a else late
                    waiting = queue.waiting = q1 - late
                    self._abandon(state, gives_up_at, late)
                else:
                    late = 0
                    waiting = queue.waiting = q1
                answered = a - late
                if answered > 0:
                    if q0 < concurrency and q1 < concurrency:
                        unqueued += answered
                    else:
                        weight = answered / len(SAMPLE_POINTS)
                        for u in SAMPLE_POINTS:
                            ahead = q0 + (q1 - q0) * u
                            if ahead > longest:
                                ahead = longest
                            wait = (ahead - concurrency + 1) / rate if ahead >= concurrency else 0.0
                            value = service + wait
                            latencies[value] = latencies.get(value, 0.0) + weight
            # stochastic rounding of what is still in service at the end of the interval
            x = served * in_service_share
            whole = int(x)
            in_service = queue.in_service = whole + (1 if random() < x - whole else 0)
            completed = done_first + served - in_service
            ok += completed
            held += waiting + in_service
            if not (waiting or in_service):
                del queues[route]
            agent = queue.agent
            if agent is None:
                continue
            if completed:
                if mix is None:
                    counters = agent.counters
                    key = queue.key
                    counters[key] = counters.get(key, 0) + completed
                else:
                    self._count_mixed(agent, state, queue.internal, completed, mix)
            if track_lag:
                internal = queue.internal
                lag = agent.lag
                backlog = lag.get(internal, 0) + a - late - completed
                lag[internal] = backlog if backlog > 0 else 0
                if a:
                    agent.last_used[internal] = used_at
        if unqueued:
            # no point of the interval waited: their four equal samples, at each point of the
            # service-time distribution
            for value, share in points:
                latencies[value] = latencies.get(value, 0.0) + unqueued * share
        second.ok += ok
        state.held = held
        if orphans and all(route not in queues for route in orphans):
            state.orphans = []

    @staticmethod
    def _count_mixed(
        agent: Agent, state: ModelTraffic, internal: str, completed: int, mix: tuple[int, int]
    ) -> None:
        """Completions split between REST and gRPC as the model's latest arrivals were.

        A replica's queue is not tracked per protocol: the split assumes the protocols are
        mixed evenly in it (exact while a model gets one protocol, or a steady mix). The
        integer split carries its remainder, so the counters add up to every completion.
        """
        grpc, total = mix
        served_grpc, state.mix_remainder = divmod(
            completed * grpc + state.mix_remainder % total, total
        )
        for method_type, n in ((REST, completed - served_grpc), (GRPC, served_grpc)):
            if n:
                agent.count(state.name, internal, SERVED_CODE[method_type], n, method_type)

    @staticmethod
    def _abandon(state: ModelTraffic, at: float, n: int) -> None:
        """``n`` requests will fail as timeouts at ``at``; until then Envoy still holds them."""
        due = state.deadlines
        if due and due[-1][0] == at:
            due[-1] = (at, due[-1][1] + n)
        else:
            due.append((at, n))
        state.abandoning += n
