"""Real inference servers on 127.0.0.1 for live tests and benchmarks of the load driver.

- :func:`mlserver_iris`: a real MLServer (the ``live`` extra: ``mlserver``, ``mlserver-sklearn``)
  serving an sklearn iris classifier trained on the spot from scikit-learn's bundled dataset.
- :func:`minimal_endpoint`: :mod:`.endpoint`, a fixed-answer V2 endpoint.

Each runs in a process group of its own and is ended by killing the whole group: MLServer
1.7.1's worker processes ignore SIGTERM and would be orphaned by killing only the main process.
MLServer runs with ``parallel_workers: 0`` (its worker pool crashes with current uvloop).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TRAIN_IRIS = """
import sys, joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), sys.argv[1])
"""
READY_TIMEOUT = 90.0


class ServerError(RuntimeError):
    """A local server did not come up; the message carries its log tail."""


@dataclass
class LocalServer:
    """A server process group on 127.0.0.1."""

    url: str
    model: str
    process: subprocess.Popen
    log: Path

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, wait: float = 5.0) -> None:
        """Kill the server's whole process group (SIGKILL: what a crashed pod looks like)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(wait)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mlserver_available() -> str | None:
    """None when MLServer with its sklearn runtime can run here, else why not."""
    for module in ("mlserver", "mlserver_sklearn", "sklearn"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'pytest-seldon-scaling[live]')"
    if _mlserver_executable() is None:
        return "the mlserver command is not installed"
    return None


def _mlserver_executable() -> str | None:
    local = Path(sysconfig.get_path("scripts")) / "mlserver"
    return str(local) if local.exists() else shutil.which("mlserver")


def _wait_ready(server: LocalServer, path: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not server.running:
            raise ServerError(
                f"server at {server.url} exited (code {server.process.returncode}); "
                f"log {server.log}:\n{server.log_tail()}"
            )
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(server.url + path, timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.3)
    server.stop()
    raise ServerError(
        f"server at {server.url} not ready after {timeout:g}s; log {server.log}:\n"
        f"{server.log_tail()}"
    )


def _start(command: list[str], workdir: Path, log: Path, url: str, model: str) -> LocalServer:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return LocalServer(url, model, process, log)


def write_iris_repository(workdir: Path, model: str = "iris") -> tuple[int, int, int]:
    """Train the iris model and write MLServer settings into ``workdir``; (http, grpc, metrics)."""
    model_dir = workdir / model
    model_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", TRAIN_IRIS, str(model_dir / "model.joblib")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    ports = (free_port(), free_port(), free_port())
    settings = {
        "parallel_workers": 0,
        "host": "127.0.0.1",
        "http_port": ports[0],
        "grpc_port": ports[1],
        "metrics_port": ports[2],
        "debug": False,
    }
    (workdir / "settings.json").write_text(json.dumps(settings, indent=2))
    (model_dir / "model-settings.json").write_text(
        json.dumps(
            {
                "name": model,
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"},
            },
            indent=2,
        )
    )
    return ports


@contextlib.contextmanager
def mlserver_iris(workdir: Path, model: str = "iris") -> Iterator[LocalServer]:
    """A real MLServer serving ``model`` (an iris classifier) until the block ends."""
    why = mlserver_available()
    if why:
        raise ServerError(why)
    workdir.mkdir(parents=True, exist_ok=True)
    http_port, _, _ = write_iris_repository(workdir, model)
    server = _start(
        [_mlserver_executable(), "start", str(workdir)],
        workdir,
        workdir / "mlserver.log",
        f"http://127.0.0.1:{http_port}",
        model,
    )
    try:
        _wait_ready(server, f"/v2/models/{model}/ready", READY_TIMEOUT)
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def minimal_endpoint(
    workdir: Path, status: int = 200, delay_ms: float = 0.0, model: str = "iris"
) -> Iterator[LocalServer]:
    """:mod:`.endpoint` answering every request with ``status`` after ``delay_ms``."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = _start(
        [
            sys.executable,
            "-m",
            "pytest_seldon_scaling.load.endpoint",
            "--port",
            str(port),
            "--status",
            str(status),
            "--delay-ms",
            str(delay_ms),
        ],
        workdir,
        workdir / f"endpoint-{port}.log",
        f"http://127.0.0.1:{port}",
        model,
    )
    try:
        _wait_ready_socket(server, port)
        yield server
    finally:
        server.stop()


def _wait_ready_socket(server: LocalServer, port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not server.running:
            raise ServerError(f"endpoint exited; log {server.log}:\n{server.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    server.stop()
    raise ServerError(f"endpoint on port {port} not accepting after {timeout:g}s")
