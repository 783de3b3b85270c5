"""Reaching ``svc/seldon-mesh`` (Envoy) from the test runner: a LoadBalancer address when the
Service has one, else ``kubectl port-forward`` on a free local port.

``kubectl port-forward`` multiplexes every connection over one SPDY session, which keeps up
with Locust's many keep-alive connections; pytest-kind's ``port_forward`` is not used (it
sleeps a second per attempt and runs kubectl with an empty environment).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
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
    """The Service port serving plain HTTP (named ``http``, else the first)."""
    ports = (service.get("spec") or {}).get("ports") or []
    if not ports:
        raise ClusterError(f"service {MESH_SERVICE} has no ports")
    for port in ports:
        if port.get("name") == "http":
            return int(port["port"])
    return int(ports[0]["port"])


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
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        seen = []
        try:
            while time.monotonic() < deadline:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                line = process.stdout.readline()
                if not line:
                    break
                seen.append(line.rstrip())
                port = forwarded_port(line)
                if port is not None:
                    # kubectl logs every connection; an undrained pipe would stall it.
                    threading.Thread(target=_drain, args=(process,), daemon=True).start()
                    return cls(process, f"http://127.0.0.1:{port}")
        finally:
            selector.close()
        _end(process)
        raise ClusterError(
            f"kubectl port-forward to svc/{MESH_SERVICE} did not start within {timeout:.0f}s "
            f"(command: {' '.join(command)}); it said: {' | '.join(seen) or 'nothing'}"
        )

    def close(self) -> None:
        _end(self.process)


def _drain(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError, ValueError):
        for _line in process.stdout or ():
            pass


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
