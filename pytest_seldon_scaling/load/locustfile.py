"""The Locust side of the driver: a V2 inference user, a profile-following shape, the stream.

Loaded only by Locust processes started by :mod:`.locust_driver` (``python -m locust -f`` this
file), never imported by pytest: importing Locust monkey-patches the process with gevent.

Roles, as Locust assigns them:

- the local runner (one process) or the master (``--master``) *conducts*: its
  :class:`ProfileShape` picks the run's start time, hands every sending process its share of
  the schedule (a ``seldon_start`` custom message), sizes users from the latency seen, merges
  the per-second rows and writes them as JSON lines on the pipe the pytest process reads;
- the local runner or each ``--worker`` *sends*: a pacer greenlet releases tickets as the
  profile's schedule comes due (:mod:`.pacing`), :class:`V2InferenceUser` users take a ticket
  and send one request, and Locust's request events are tallied per second of the run and
  passed back (a ``seldon_rows`` custom message; to itself in the local runner).

Workers need nothing but this file and the package: model, payload, headers and the profile
come from the master, the target host with Locust's own spawn message.
"""

from __future__ import annotations

import json
import math
import os
import time

import gevent
from gevent.queue import Queue
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.runners import MasterRunner, WorkerRunner

from pytest_seldon_scaling.load import pacing, stream
from pytest_seldon_scaling.load.profile import LoadProfile

CONFIG_ENV = "SELDON_LOCUST_CONFIG"
PARENT_ENV = "SELDON_PARENT_PID"
START_MESSAGE = "seldon_start"
ROWS_MESSAGE = "seldon_rows"
SECOND_KEY = "seldon_second"
PACER_TICK = 0.005  # seconds between ticket releases: 200 small batches a second
REPORT_EVERY = 0.25
START_LEAD = 1.0  # seconds between choosing second 0 and reaching it: users spawn meanwhile
EXIT_AFTER_QUIT = 5.0


def _failure_code(exception: BaseException | None, response: object) -> str | None:
    if exception is None:
        return None
    status = getattr(response, "status_code", 0) or 0
    return str(status) if status else type(exception).__name__


class Sender:
    """One sending process: pacer, tallies, and the rows it passes back."""

    def __init__(self) -> None:
        self.queue: Queue = Queue()
        self.runner = None
        self.plan: dict | None = None
        self.tallies: dict[int, pacing.SecondTally] = {}
        self.reported = 0
        self.in_flight = 0
        self.progress = 0.0
        self.paced_out = False

    def start(self, environment, msg, **_: object) -> None:
        if self.plan is not None:
            return
        plan = msg.data
        self.plan = plan
        self.profile = LoadProfile.from_dict(plan["profile"])
        self.seconds = math.ceil(self.profile.duration - 1e-9)
        V2InferenceUser.network_timeout = plan["timeout"]
        V2InferenceUser.connection_timeout = plan["timeout"]
        gevent.spawn(self._pace)
        gevent.spawn(self._report)

    def tally(self, second: int) -> pacing.SecondTally | None:
        if second < self.reported:
            return None  # already reported (forced closed): a late answer changes nothing
        return self.tallies.setdefault(second, pacing.SecondTally())

    def _pace(self) -> None:
        plan, profile = self.plan, self.profile
        before = 0.0
        woke_due = None
        while True:
            now = time.time()
            elapsed = now - plan["t0"]
            if elapsed < 0:
                gevent.sleep(min(-elapsed, 0.05))
                continue
            elapsed = max(elapsed, before)
            if woke_due is not None and elapsed < profile.duration:
                # A CPU-bound process wakes its greenlets late: its latencies are inflated.
                tally = self.tallies.setdefault(math.floor(elapsed), pacing.SecondTally())
                tally.lag_ms = max(tally.lag_ms, (now - woke_due) * 1000)
            for second, n in pacing.releases(
                profile, before, elapsed, plan["index"], plan["count"]
            ):
                self.tallies.setdefault(second, pacing.SecondTally()).released += n
                for _ in range(n):
                    self.queue.put((second, now))
            before = self.progress = elapsed
            if elapsed >= profile.duration:
                self.paced_out = True
                return
            woke_due = time.time() + PACER_TICK
            gevent.sleep(PACER_TICK)

    def take(self) -> tuple[int, str] | None:
        """Block for the next ticket; None when it waited too long (counted as missed)."""
        second, released = self.queue.get()
        tally = self.tally(second)
        if tally is None:
            return None
        if time.time() - released > self.plan["max_lag"]:
            tally.missed += 1
            return None
        tally.sent += 1
        self.in_flight += 1
        tally.busy = max(tally.busy, self.in_flight)
        return second, self.plan["path"]

    def answered(self, second: int, code: str | None, ms: float) -> None:
        self.in_flight -= 1
        tally = self.tally(second)
        if tally is not None:
            tally.record(code, ms)

    def _report(self) -> None:
        plan = self.plan
        while self.reported < self.seconds:
            gevent.sleep(REPORT_EVERY)
            elapsed = time.time() - plan["t0"] if self.paced_out else self.progress
            rows = []
            while self.reported < self.seconds:
                second = self.reported
                tally = self.tallies.get(second, pacing.SecondTally())
                if not pacing.closable(
                    second, elapsed, tally.pending, plan["max_lag"], plan["timeout"]
                ):
                    break
                rows.append(tally.to_row(second))
                self.tallies.pop(second, None)
                self.reported += 1
            if rows:
                self.runner.send_message(ROWS_MESSAGE, {"rows": rows})


SENDER = Sender()


class V2InferenceUser(FastHttpUser):
    """Sends one Open Inference Protocol request per ticket; non-2xx is a failure."""

    wait_time = constant(0)

    @task
    def infer(self) -> None:
        ticket = SENDER.take()
        if ticket is None:
            return
        second, path = ticket
        plan = SENDER.plan
        with self.client.post(
            path,
            data=plan["body"],
            headers=plan["headers"],
            name=plan["name"],
            context={SECOND_KEY: second},
            catch_response=True,
        ) as response:
            if 200 <= response.status_code < 300:
                response.success()
            elif response.status_code:
                response.failure(f"HTTP {response.status_code}")


class Conductor:
    """The aggregating process: start, shares, user sizing, merging, the results pipe."""

    def __init__(self, environment, config: dict) -> None:
        self.environment = environment
        self.config = config
        self.profile = LoadProfile.from_dict(config["profile"])
        self.out = os.fdopen(config["results_fd"], "wb", buffering=0)
        self.t0: float | None = None
        self.merger: stream.SecondMerger | None = None
        self.users = 0
        self.capped = False
        self.finished = False
        self.processes: list[str] = []

    def emit(self, message: dict) -> None:
        try:
            self.out.write(stream.encode(message))
        except OSError:
            _quit(self.environment, "the pytest process stopped reading results")

    def senders(self) -> list[str]:
        runner = self.environment.runner
        if not isinstance(runner, MasterRunner):
            return ["local"]
        nodes = runner.clients.ready + runner.clients.spawning + runner.clients.running
        return sorted(node.id for node in nodes)

    def begin(self) -> None:
        self.processes = self.senders()
        self.t0 = stream.first_start(time.time() + START_LEAD, self.config["clock_offset"])
        self.merger = stream.SecondMerger(self.profile, len(self.processes))
        plan = {
            "profile": self.config["profile"],
            "t0": self.t0,
            "count": len(self.processes),
            "path": f"/v2/models/{self.config['model']}/infer",
            "name": f"POST /v2/models/{self.config['model']}/infer",
            "body": self.config["body"],
            "headers": self.config["headers"],
            "max_lag": self.config["max_lag"],
            "timeout": self.config["timeout"],
        }
        runner = self.environment.runner
        for index, process in enumerate(self.processes):
            runner.send_message(START_MESSAGE, {**plan, "index": index}, client_id=process)
        self.emit({"type": "started", "t0": self.t0, "processes": len(self.processes)})
        gevent.spawn(self._flush_stale)
        gevent.spawn_later(
            self.t0 - time.time() + self.profile.duration + self.config["grace"],
            _quit,
            self.environment,
            "hard end (profile duration + grace) reached",
        )

    def tick(self) -> tuple[int, float] | None:
        if self.t0 is None:
            self.begin()
        elapsed = time.time() - self.t0
        drain = self.config["max_lag"] + self.config["timeout"] + 3.0
        if self.merger.complete or elapsed > self.profile.duration + drain:
            if not self.finished:
                self.finished = True
                self.emit({"type": "finished", "seconds": len(self.merger.merged)})
            return None
        recent = self.merger.merged[-3:]
        p99s = [row["p99_ms"] for row in recent if row["p99_ms"] is not None]
        users, capped = pacing.users_needed(
            pacing.peak_rate(self.profile, max(elapsed, 0.0)),
            max(p99s) / 1000 if p99s else None,
            max((row["busy"] for row in recent), default=0),
            len(self.processes),
            self.users,
            self.config["max_users"],
        )
        if (users, capped) != (self.users, self.capped):
            self.users, self.capped = users, capped
            self.emit({"type": "users", "count": users, "capped": capped})
        return users, float(max(100, users * 10))

    def rows(self, environment, msg, **_: object) -> None:
        if self.merger is None:
            return
        for row in self.merger.add(msg.node_id, msg.data["rows"], time.time()):
            self._emit_row(row)
        self._finish_when_complete()

    def _finish_when_complete(self) -> None:
        """Quit as soon as every second is out, rather than at the shape's next tick."""
        if self.merger.complete and not self.finished:
            self.finished = True
            self.emit({"type": "finished", "seconds": len(self.merger.merged)})
            gevent.spawn(self.environment.runner.quit)

    def _emit_row(self, row: dict) -> None:
        self.emit({**row, "users": self.environment.runner.user_count})

    def _flush_stale(self) -> None:
        while not self.merger.complete:
            gevent.sleep(1.0)
            for row in self.merger.flush_stale(time.time()):
                self._emit_row(row)
        self._finish_when_complete()

    def wait_for_workers(self) -> None:
        """Tell the pytest process how many workers have joined, while the master waits."""
        runner = self.environment.runner
        last = None
        while self.t0 is None:
            ready = len(runner.clients.ready)
            if ready != last:
                last = ready
                self.emit(
                    {
                        "type": "waiting",
                        "workers_ready": ready,
                        "workers_expected": self.config["processes"],
                    }
                )
            gevent.sleep(0.5)

    def cpu_warning(self, cpu_usage: float = 0.0, **_: object) -> None:
        self.emit(
            {
                "type": "warning",
                "message": f"Locust process CPU at {cpu_usage:.0f}%: the load generator itself "
                "is saturated, figures may be limited by it",
            }
        )


CONDUCTOR: Conductor | None = None


class ProfileShape(LoadTestShape):
    """Follows the profile in requests per second; user counts only provide concurrency."""

    def tick(self) -> tuple[int, float] | None:
        return None if CONDUCTOR is None else CONDUCTOR.tick()


def _quit(environment, why: str) -> None:
    import logging

    logging.getLogger(__name__).warning("stopping: %s", why)
    gevent.spawn_later(EXIT_AFTER_QUIT, os._exit, 3)
    environment.runner.quit()


def _watch_parent(environment, parent: int) -> None:
    """Quit when the pytest process that started us is gone (no orphaned load generators)."""
    while os.getppid() == parent:
        gevent.sleep(1.0)
    _quit(environment, f"parent process {parent} is gone")


@events.request.add_listener
def _on_request(context, exception, response, response_time, **_: object) -> None:
    second = (context or {}).get(SECOND_KEY)
    if second is not None:
        SENDER.answered(second, _failure_code(exception, response), response_time)


@events.init.add_listener
def _on_init(environment, **_: object) -> None:
    global CONDUCTOR
    runner = environment.runner
    if os.environ.get(PARENT_ENV):
        gevent.spawn(_watch_parent, environment, int(os.environ[PARENT_ENV]))
    if not isinstance(runner, MasterRunner):
        SENDER.runner = runner
        runner.register_message(START_MESSAGE, SENDER.start)
    if isinstance(runner, WorkerRunner):
        return
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise SystemExit(
            f"{__file__} is run by pytest_seldon_scaling.load.locust_driver; "
            f"as a master or local runner it needs ${CONFIG_ENV} (workers need nothing)"
        )
    with open(path, encoding="utf-8") as file:
        CONDUCTOR = Conductor(environment, json.load(file))
    runner.register_message(ROWS_MESSAGE, CONDUCTOR.rows)
    events.cpu_warning.add_listener(CONDUCTOR.cpu_warning)
    if isinstance(runner, MasterRunner):
        gevent.spawn(CONDUCTOR.wait_for_workers)
