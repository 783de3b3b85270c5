"""Real traffic with Locust, following a :class:`~.profile.LoadProfile` in requests per second.

:func:`start_locust_load` runs Locust in processes of its own (importing Locust monkey-patches a
process with gevent; the pytest process, its kubernetes client and SimPy stay unpatched) and
reads back one row per second of the run over a pipe (:mod:`.stream`). How the schedule is
paced is explained in :mod:`.pacing`; the Locust side lives in ``locustfile.py`` beside this
module and is never imported here.

Modes:

- ``workers=0``: one local runner process sends everything;
- ``workers=N``: a Locust master and ``N`` local ``locust --worker`` processes (Locust's own
  distribution; each worker sends its exact share of the schedule);
- ``expect_remote_workers=M``: the master also waits for ``M`` workers started elsewhere.

Remote workers on Kubernetes (when one machine cannot send enough): run pytest where the
workers can reach it (a pod in the cluster, or a CI runner with a reachable address), start the
load with ``master_bind=("0.0.0.0", 5557)`` and ``expect_remote_workers=M``, expose that port
(a Service selecting the pytest pod, or the pod IP), and run ``M`` worker pods from an image that
has this package installed (``pip install pytest-seldon-scaling``)::

    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: seldon-load-workers}
    spec:
      replicas: 4
      selector: {matchLabels: {app: seldon-load-workers}}
      template:
        metadata: {labels: {app: seldon-load-workers}}
        spec:
          containers:
          - name: worker
            image: <your image with pytest-seldon-scaling installed>
            command: [python, -m, pytest_seldon_scaling.load.locust_driver, worker,
                      --master-host, seldon-load-master, --master-port, "5557"]

The workers need nothing else: model, payload, headers and profile come from the master, the
target host (e.g. ``http://seldon-mesh.seldon-mesh``) from Locust's own spawn message, so the
``host`` given to :func:`start_locust_load` must be an address the workers can reach. The
master waits up to :data:`WORKER_JOIN_TIMEOUT` seconds for them to join.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from ..extras import require
from ..timeline import Timeline, TrafficSecond
from .profile import LoadProfile, ProfileError, Ramp, Segment, profile_of
from .result import LoadResult, summarize
from .stream import StreamError, parse_message, split_lines

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
IRIS_PAYLOAD: dict = {
    "inputs": [{"name": "predict", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]}]
}
WORKER_JOIN_TIMEOUT = 60.0  # seconds the master waits for its workers
STARTUP_TIMEOUT = 30.0  # seconds for Locust to start, beyond waiting for workers
MAX_LAG = 1.0  # seconds a due request may wait for a free user before it counts as missed
MAX_USERS_PER_PROCESS = 1000
WARMUP = 5  # seconds of a run not judged for loop lag (users spawn, connections open)
# A Locust event loop this late is starved of CPU: sends bunch up and latencies are inflated.
# Shorter delays (100-300 ms) happen at low load when other processes share the CPUs: they
# show in the rows (``lag_ms``) but do not by themselves make the run fall short.
LOOP_LAG_LIMIT_MS = 1000.0
# ... in this many seconds and this share of the judged ones: on a shared machine the OS alone
# makes the loop late now and then, saturation makes it late most of the time.
LAGGING_SECONDS = 3
LAGGING_SHARE = 0.25
PROGRESS_EVERY = 5.0
KILL_WAIT = 5.0  # seconds between asking Locust to stop (SIGINT) and killing its groups

Progress = Callable[[str], None]


class LoadDriverError(RuntimeError):
    """Locust could not be started or stopped working before the run began."""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def request_body(payload: dict | str | Path | None) -> str:
    """The JSON request body: a dict, a JSON file (path), or the iris default."""
    if payload is None:
        return json.dumps(IRIS_PAYLOAD)
    if isinstance(payload, dict):
        return json.dumps(payload)
    path = Path(payload)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"payload file {path}: {error.strerror or error}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"payload file {path}: not JSON ({error.msg} at line {error.lineno})"
        ) from None
    return text


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def request_timeout(grace: float) -> float:
    """Per-request timeout: answers must fit in the grace period after the profile ends."""
    return max(1.0, min(10.0, grace / 3))


def worker_command(master_host: str, master_port: int) -> list[str]:
    """The command line of one Locust worker joining a master started by this module."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        "--loglevel",
        "WARNING",
    ]


def progress_line(
    elapsed: float,
    duration: float,
    rows: list[dict],
    users: int,
    capped: bool,
) -> str:
    """What a person watching a long run wants every few seconds."""
    recent = rows[-5:]
    target = sum(r["target_rps"] for r in recent) / len(recent) if recent else 0.0
    sent = sum(r["sent"] for r in recent) / len(recent) if recent else 0.0
    failed = sum(sum(r["failed"].values()) for r in rows)
    missed = sum(r["missed"] for r in rows)
    p99 = [r["p99_ms"] for r in recent if r["p99_ms"] is not None]
    text = (
        f"[load {min(elapsed, duration):5.0f}s/{duration:.0f}s] target {target:7.1f} rps, "
        f"achieved {sent:7.1f} rps, failed {failed}"
    )
    if p99:
        text += f", p99 {max(p99):.0f} ms"
    text += f", users {users}" + (" (capped)" if capped else "")
    if missed:
        text += f", {missed} requests not sent on time"
    return text


def driver_shortfalls(rows: list[dict], expected_seconds: int, capped: bool) -> list[str]:
    """What the driver itself saw that makes the run's figures fall short of the profile."""
    out = []
    missed = [r for r in rows if r["missed"]]
    if missed:
        p99 = max((r["p99_ms"] for r in missed if r["p99_ms"] is not None), default=None)
        why = "users capped at the maximum" if capped else "every user was busy"
        latency = f", p99 latency up to {p99:.0f} ms" if p99 is not None else ""
        out.append(
            f"driver saturated: {sum(r['missed'] for r in missed)} requests due between "
            f"{missed[0]['t']}s and {missed[-1]['t'] + 1}s were not sent within {MAX_LAG:g}s "
            f"({why}{latency}); add workers or lower the target"
        )
    lagging = [r for r in rows if r["t"] >= WARMUP and r.get("lag_ms", 0.0) > LOOP_LAG_LIMIT_MS]
    judged = sum(1 for r in rows if r["t"] >= WARMUP)
    if len(lagging) >= max(LAGGING_SECONDS, LAGGING_SHARE * judged):
        out.append(
            f"load generator saturated: its event loop ran up to "
            f"{max(r['lag_ms'] for r in lagging):.0f} ms late in {len(lagging)} seconds "
            f"between {lagging[0]['t']}s and {lagging[-1]['t'] + 1}s (CPU-bound; latencies "
            "are inflated and sends uneven); add workers or lower the target"
        )
    partial = [r["t"] for r in rows if r.get("reported", 1) < r.get("processes", 1)]
    if partial:
        out.append(
            f"{len(partial)} seconds are missing a Locust process's rows (from {partial[0]}s): "
            "a worker died or fell behind"
        )
    if len(rows) < expected_seconds:
        out.append(
            f"only {len(rows)} of {expected_seconds} seconds were reported: the run ended early"
        )
    return out


def profile_until(profile: LoadProfile, end: float) -> LoadProfile:
    """The first ``end`` seconds of ``profile`` (a run cut short is judged on what it ran)."""
    if end >= profile.duration:
        return profile
    kept = []
    for start, piece in profile.pieces():
        if start >= end:
            break
        length = min(piece.duration, end - start)
        kept.append(Ramp(piece.start_rps, piece.rate_at(length), length))
    return LoadProfile(*kept)


_LIVE: weakref.WeakSet[LocustLoadRun] = weakref.WeakSet()
_HOOKS_LOCK = threading.Lock()
_HOOKS_INSTALLED = False


def _stop_all() -> None:
    for run in list(_LIVE):
        run.stop()


def _install_cleanup_hooks() -> None:
    """Kill Locust process groups at interpreter exit and on SIGTERM (chained), once."""
    global _HOOKS_INSTALLED
    with _HOOKS_LOCK:
        if _HOOKS_INSTALLED:
            return
        _HOOKS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: object) -> None:
        _stop_all()
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


class LocustLoadRun:
    """A running Locust load against one model; satisfies :class:`~..cluster.LoadRun`."""

    def __init__(
        self,
        model: str,
        profile: LoadProfile,
        *,
        timeline: Timeline | None,
        clock: Callable[[], float],
        progress: Progress,
        artifacts_dir: Path,
        processes: int,
        deadline_after_start: float,
    ) -> None:
        self.model = model
        self.profile = profile
        self.started_at = math.nan
        self.artifacts_dir = artifacts_dir
        self.processes = processes
        self._timeline = timeline
        self._clock = clock
        self._progress = progress
        self._deadline_after_start = deadline_after_start
        self._deadline = time.monotonic() + STARTUP_TIMEOUT + WORKER_JOIN_TIMEOUT
        self._lock = threading.Lock()
        self._rows: list[dict] = []
        self._seconds: list[TrafficSecond] = []
        self._warnings: list[str] = []
        self._users = 0
        self._capped = False
        self._finished = False
        self._stopped_why: str | None = None
        self._started = threading.Event()
        self._closed = threading.Event()
        self._procs: list[subprocess.Popen] = []
        self._reader: threading.Thread | None = None
        self._monitor: threading.Thread | None = None
        self._result: LoadResult | None = None

    # -- LoadRun -----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._closed.is_set()

    def seconds(self) -> list[TrafficSecond]:
        with self._lock:
            return list(self._seconds)

    def wait(self) -> LoadResult:
        """Block until the profile has finished (hard end: duration + grace); the result."""
        while not self._closed.wait(0.5):
            pass
        if self._result is None:
            self._result = self._summarize()
        return self._result

    def stop(self) -> None:
        """End the run now: Locust is asked to stop, then its whole process group is killed."""
        if self._stopped_why is None and not self._finished:
            self._stopped_why = "stopped before the profile ended"
        self._terminate()

    # -- extras ------------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    # -- process handling --------------------------------------------------------------------

    def _launch(self, commands: list[list[str]], env: dict[str, str], results_fd: int) -> None:
        logs = self.artifacts_dir
        with open(logs / "locust-master.log", "wb") as master_log:
            master = subprocess.Popen(
                commands[0],
                stdin=subprocess.DEVNULL,
                stdout=master_log,
                stderr=subprocess.STDOUT,
                env=env,
                pass_fds=(results_fd,),
                start_new_session=True,
            )
        self._procs.append(master)
        _LIVE.add(self)
        for index, command in enumerate(commands[1:], start=1):
            with open(logs / f"locust-worker-{index}.log", "wb") as log:
                self._procs.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        start_new_session=True,
                    )
                )

    def _terminate(self) -> None:
        """Ask Locust to stop, then SIGKILL every process group after :data:`KILL_WAIT`.

        SIGINT, not SIGTERM: a headless shape run only handles SIGTERM once the shape is over,
        while SIGINT makes the master stop its workers and still write its CSV and HTML report.
        """
        alive = [p for p in self._procs if p.poll() is None]
        for proc in alive[:1] if self._procs[0] in alive else alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGINT)
        end = time.monotonic() + KILL_WAIT
        for proc in alive:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, end - time.monotonic()))
        # Always kill the groups: a child that ignored SIGTERM, or a grandchild, must not survive.
        for proc in self._procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(KILL_WAIT)
        _LIVE.discard(self)

    def _log_tail(self, lines: int = 15) -> str:
        path = self.artifacts_dir / "locust-master.log"
        try:
            tail = path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n".join(tail)

    # -- streaming ---------------------------------------------------------------------------

    def _read(self, fd: int) -> None:
        buffer = b""
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                lines, buffer = split_lines(buffer, chunk)
                for line in lines:
                    try:
                        self._handle(parse_message(line))
                    except StreamError as error:
                        self._warnings.append(f"unreadable results line: {error}")
        finally:
            os.close(fd)
            for proc in self._procs[:1]:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(KILL_WAIT + 1)
            self._terminate()
            self._closed.set()
            self._started.set()

    def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "started":
            offset = self._clock() - time.time()
            self.started_at = float(round(message["t0"] + offset))
            self._deadline = time.monotonic() + (message["t0"] - time.time())
            self._deadline += self._deadline_after_start
            self._started.set()
        elif kind == "waiting":
            self._progress(
                f"[load] waiting for Locust workers: {message['workers_ready']} of "
                f"{message['workers_expected']} joined"
            )
        elif kind == "users":
            self._users, self._capped = message["count"], message["capped"]
        elif kind == "warning":
            self._warnings.append(message["message"])
            self._progress(f"[load] warning: {message['message']}")
        elif kind == "finished":
            self._finished = True
        elif kind == "second":
            self._add_second({**message, "processes": self.processes})

    def _add_second(self, row: dict) -> None:
        second = TrafficSecond(
            t=int(self.started_at) + row["t"],
            model=self.model,
            target_rps=row["target_rps"],
            sent=row["sent"],
            ok=row["ok"],
            failed=dict(row["failed"]),
            p50_ms=row.get("p50_ms"),
            p95_ms=row.get("p95_ms"),
            p99_ms=row.get("p99_ms"),
        )
        with self._lock:
            self._rows.append(row)
            self._seconds.append(second)
        if self._timeline is not None:
            self._timeline.record_traffic(second)

    def _watch(self) -> None:
        """Progress lines, and the hard end: profile duration + grace after second 0."""
        next_line = time.monotonic() + PROGRESS_EVERY
        while not self._closed.wait(0.25):
            now = time.monotonic()
            if now > self._deadline:
                self._stopped_why = (
                    "hard end reached (profile duration + grace) before Locust finished"
                    if self._started.is_set() and not math.isnan(self.started_at)
                    else "Locust did not start in time"
                )
                self._progress(f"[load] {self._stopped_why}: stopping Locust")
                self._terminate()
                return
            if now >= next_line and not math.isnan(self.started_at):
                next_line = now + PROGRESS_EVERY
                elapsed = self._clock() - self.started_at
                if elapsed >= 0:
                    with self._lock:
                        rows = list(self._rows)
                    self._progress(
                        progress_line(
                            elapsed, self.profile.duration, rows, self._users, self._capped
                        )
                    )

    def _summarize(self) -> LoadResult:
        with self._lock:
            rows, seconds = list(self._rows), list(self._seconds)
        expected = math.ceil(self.profile.duration - 1e-9)
        judged = self.profile if self._finished else profile_until(self.profile, len(rows))
        result = summarize(
            self.model,
            judged,
            seconds,
            started_at=0.0 if math.isnan(self.started_at) else self.started_at,
        )
        result.profile = self.profile.describe()
        result.shortfalls.extend(driver_shortfalls(rows, expected, self._capped))
        if self._stopped_why:
            result.shortfalls.append(self._stopped_why)
        result.shortfalls.extend(self._warnings)
        for name, path in {
            "locust_stats_csv": "locust_stats.csv",
            "locust_history_csv": "locust_stats_history.csv",
            "locust_failures_csv": "locust_failures.csv",
            "locust_html": "locust-report.html",
            "locust_log": "locust-master.log",
        }.items():
            if (self.artifacts_dir / path).exists():
                result.artifacts[name] = str(self.artifacts_dir / path)
        return result


def start_locust_load(
    host: str,
    model: str,
    profile: LoadProfile | Segment | str,
    *,
    timeline: Timeline | None = None,
    clock: Callable[[], float] | None = None,
    workers: int = 0,
    expect_remote_workers: int = 0,
    master_bind: tuple[str, int] | None = None,
    payload: dict | str | Path | None = None,
    headers: dict[str, str] | None = None,
    artifacts_dir: Path | None = None,
    grace: float = 30.0,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> LocustLoadRun:
    """Start Locust sending V2 inference requests to ``model`` at ``host``, following ``profile``.

    Returns once Locust runs and the run's second 0 is chosen (``started_at``, on ``clock``);
    rows then stream into ``run.seconds()`` and ``timeline`` as each second completes. See the
    module docstring for the modes and for remote workers on Kubernetes. ``timeout``: the
    seconds each request waits for its answer (default :func:`request_timeout` of ``grace``;
    the plugin passes ``--seldon-request-timeout``, so a real cluster and the twin judge
    requests by the same deadline).
    Raises :class:`~pytest_seldon_scaling.extras.MissingExtra` without the ``[load]`` extra.
    """
    require("real load with Locust", "load")
    if not host.startswith(("http://", "https://")):
        raise ValueError(f"host {host!r} must be an http:// or https:// URL")
    if not model or "/" in model:
        raise ValueError(f"model {model!r} must be a model name")
    try:
        profile = profile_of(profile)
    except (ProfileError, TypeError) as error:
        raise ValueError(f"profile {profile!r}: {error}") from None
    if profile.duration <= 0:
        raise ValueError(f"profile must be a non-empty LoadProfile, not {profile!r}")
    if workers < 0 or expect_remote_workers < 0:
        raise ValueError("workers and expect_remote_workers must be >= 0")
    if grace <= 0:
        raise ValueError(f"grace must be > 0 seconds, not {grace!r}")
    if timeout is None:
        timeout = request_timeout(grace)
    elif not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be > 0 seconds, not {timeout!r}")
    # the last requests' answers (or timeouts) must come within the grace after the profile
    grace = max(grace, timeout)
    body = request_body(payload)
    progress = progress or _stderr
    if clock is None:
        zero = time.monotonic()

        def clock() -> float:
            return time.monotonic() - zero

    artifacts = Path(artifacts_dir or tempfile.mkdtemp(prefix="seldon-locust-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    distributed = workers + expect_remote_workers > 0
    processes = workers + expect_remote_workers if distributed else 1
    bind_host, bind_port = master_bind or ("127.0.0.1", 0)
    if distributed and not bind_port:
        bind_port = _free_port(bind_host)

    read_fd, write_fd = os.pipe()
    config = {
        "model": model,
        "profile": profile.to_dict(),
        "body": body,
        "headers": {"Content-Type": "application/json", "Seldon-Model": model, **(headers or {})},
        "timeout": timeout,
        "max_lag": MAX_LAG,
        "grace": grace,
        "processes": processes,
        "max_users": MAX_USERS_PER_PROCESS * processes,
        "clock_offset": clock() - time.time(),
        "results_fd": write_fd,
    }
    config_path = artifacts / "seldon-locust-config.json"
    config_path.write_text(json.dumps(config, indent=2))
    env = {
        **os.environ,
        "SELDON_LOCUST_CONFIG": str(config_path),
        "SELDON_PARENT_PID": str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
    }
    master = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--host",
        host,
        "--csv",
        str(artifacts / "locust"),
        "--html",
        str(artifacts / "locust-report.html"),
    ]
    if distributed:
        master += [
            "--master",
            "--expect-workers",
            str(processes),
            "--expect-workers-max-wait",
            str(int(WORKER_JOIN_TIMEOUT)),
            "--master-bind-host",
            bind_host,
            "--master-bind-port",
            str(bind_port),
        ]
    connect_host = "127.0.0.1" if bind_host in ("0.0.0.0", "*", "") else bind_host
    commands = [master] + [worker_command(connect_host, bind_port) for _ in range(workers)]

    run = LocustLoadRun(
        model,
        profile,
        timeline=timeline,
        clock=clock,
        progress=progress,
        artifacts_dir=artifacts,
        processes=processes,
        deadline_after_start=profile.duration + grace,
    )
    _install_cleanup_hooks()
    try:
        run._launch(commands, env, write_fd)
    except BaseException:
        os.close(read_fd)
        run._terminate()
        raise
    finally:
        os.close(write_fd)
    run._reader = threading.Thread(target=run._read, args=(read_fd,), daemon=True)
    run._reader.start()
    run._monitor = threading.Thread(target=run._watch, daemon=True)
    run._monitor.start()
    try:
        run._started.wait()
    except BaseException:
        run.stop()
        raise
    if math.isnan(run.started_at):
        run.wait()
        raise LoadDriverError(
            f"Locust did not start ({run._stopped_why or 'it exited'}); "
            f"log {artifacts / 'locust-master.log'}:\n{run._log_tail()}"
        )
    progress(
        f"[load] Locust running ({'local runner' if not distributed else f'{processes} workers'}) "
        f"-> {host} model {model}: {profile.describe()}; artifacts in {artifacts}"
    )
    return run


def main(argv: list[str] | None = None) -> int:
    """``python -m pytest_seldon_scaling.load.locust_driver worker --master-host H [...]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m pytest_seldon_scaling.load.locust_driver")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run one Locust worker joining a pytest-started master")
    worker.add_argument("--master-host", required=True)
    worker.add_argument("--master-port", type=int, default=5557)
    args = parser.parse_args(argv)
    command = worker_command(args.master_host, args.master_port)
    os.execv(command[0], command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
