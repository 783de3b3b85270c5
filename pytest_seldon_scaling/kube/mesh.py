"""Reaching ``svc/seldon-mesh`` (Envoy) from the test runner: a LoadBalancer address when the
Service has one, else ``kubectl port-forward`` on a free local port.

``kubectl port-forward`` multiplexes every connection over one SPDY session, which keeps up
with Locust's many keep-alive connections; pytest-kind's ``port_forward`` is not used (it
sleeps a second per attempt and runs kubectl with an empty environment).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import threading
import time
from dataclasses import dataclass

from ..cluster import ClusterError

MESH_SERVICE = "seldon-mesh"
_FORWARDING = re.compile(r"Forwarding from (?:127\.0\.0\.1|\[::1\]):(\d+) -> (\d+)")


def forwarded_port(line: str) -> int | None:
    """The local port in kubectl's ``Forwarding from 127.0.0.1:PORT -> REMOTE`` line."""
    match = _FORWARDING.search(line)
    return int(match.group(1)) if match else None


def service_http_port(service: dict) -> int:
    """The Service port in front of Envoy's inference listener.

    The operator names it ``<grpcServicePrefix>data`` (port 80, targetPort ``http``) next to
    ``stats`` (9003) (SeldonIO/seldon-core v2.10.2
    operator/controllers/reconcilers/seldon/service_reconciler.go): found by that targetPort,
    else by the name, never by position.
    """
    ports = (service.get("spec") or {}).get("ports") or []
    for port in ports:
        if port.get("targetPort") == "http":
            return int(port["port"])
    for port in ports:
        if str(port.get("name", "")).endswith("data"):
            return int(port["port"])
    names = ", ".join(f"{p.get('name')}:{p.get('port')}" for p in ports) or "none"
    raise ClusterError(
        f"service {MESH_SERVICE} has no inference port (targetPort http, named data); "
        f"its ports: {names}"
    )


def load_balancer_url(service: dict) -> str | None:
    """``http://<ingress>:<port>`` when the Service is a LoadBalancer with an address."""
    if (service.get("spec") or {}).get("type") != "LoadBalancer":
        return None
    for ingress in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        address = ingress.get("ip") or ingress.get("hostname")
        if address:
            return f"http://{address}:{service_http_port(service)}"
    return None


def port_forward_command(
    kubectl: str, namespace: str, port: int, kubeconfig: str | None, context: str | None
) -> list[str]:
    command = [kubectl]
    if kubeconfig:
        command += ["--kubeconfig", kubeconfig]
    if context:
        command += ["--context", context]
    return [
        *command,
        "port-forward",
        "--namespace",
        namespace,
        "--address",
        "127.0.0.1",
        f"svc/{MESH_SERVICE}",
        f":{port}",
    ]


@dataclass
class PortForward:
    """A running ``kubectl port-forward``; ``url`` is where the mesh answers locally."""

    process: subprocess.Popen
    url: str

    @classmethod
    def open(cls, command: list[str], timeout: float = 30.0) -> PortForward:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ),
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        # One reader for the process's whole life: it hands over lines until the port is
        # known, then keeps draining (kubectl logs every connection; a full pipe stalls it).
        started = threading.Event()
        threading.Thread(target=_read_lines, args=(process, lines, started), daemon=True).start()
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line.rstrip())
            port = forwarded_port(line)
            if port is not None:
                started.set()
                return cls(process, f"http://127.0.0.1:{port}")
        _end(process)
        raise ClusterError(
            f"kubectl port-forward to svc/{MESH_SERVICE} did not start within {timeout:.0f}s "
            f"(command: {' '.join(command)}); it said: {' | '.join(seen) or 'nothing'}"
        )

    def close(self) -> None:
        _end(self.process)


def _read_lines(process: subprocess.Popen, lines: queue.Queue, started: threading.Event) -> None:
    with contextlib.suppress(OSError, ValueError):
        for line in process.stdout or ():
            if not started.is_set():
                lines.put(line)
    lines.put(None)


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout is not None:
        with contextlib.suppress(OSError):
            process.stdout.close()
