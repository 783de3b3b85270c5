"""One test session at a time per namespace of a shared cluster, through a coordination Lease.

Autoscaling scenarios share the namespace's scheduler and the cluster's one custom metrics
adapter, and suites use fixed object names: two pytest-xdist workers (or two CI jobs) on the
same existing cluster would corrupt each other's results. The session holding the Lease
renews it; a holder that died stops renewing and its Lease expires.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from ..cluster import ClusterError
from .client import KubeApi

LEASE_NAME = "pytest-seldon-scaling"
API_VERSION = "coordination.k8s.io/v1"


def micro_time(seconds: float) -> str:
    """A Kubernetes MicroTime (RFC 3339 with microseconds, UTC)."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def lease_expired(lease: dict, now: float) -> bool:
    """True when the holder stopped renewing for longer than the lease's duration."""
    spec = lease.get("spec") or {}
    renewed = spec.get("renewTime") or spec.get("acquireTime")
    if not spec.get("holderIdentity") or not renewed:
        return True
    return now > parse_micro_time(renewed) + float(spec.get("leaseDurationSeconds") or 0)


def default_holder() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{socket.gethostname()}/{os.getpid()}/{worker}/{uuid.uuid4().hex[:8]}"


class SessionLease:
    """Hold the namespace's Lease for a whole session: acquire, renew in the background, release."""

    def __init__(
        self,
        api: KubeApi,
        *,
        holder: str | None = None,
        duration: int = 60,
        poll: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = api
        self.holder = holder or default_holder()
        self.duration = duration
        self.poll = poll
        self.clock = clock
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _body(self, resource_version: str | None = None) -> dict:
        now = micro_time(self.clock())
        metadata = {"name": LEASE_NAME, "namespace": self.api.namespace}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        return {
            "apiVersion": API_VERSION,
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self.duration,
                "acquireTime": now,
                "renewTime": now,
            },
        }

    def try_acquire(self) -> str | None:
        """Take the Lease if free or expired; None when taken, else who holds it."""
        resource = self.api.resource(API_VERSION, "Lease")
        try:
            resource.create(body=self._body(), namespace=self.api.namespace)
            return None
        except ConflictError:
            pass
        try:
            current = resource.get(name=LEASE_NAME, namespace=self.api.namespace).to_dict()
        except NotFoundError:
            return "nobody (released just now)"
        holder = (current.get("spec") or {}).get("holderIdentity") or ""
        if holder != self.holder and not lease_expired(current, self.clock()):
            return holder
        try:
            version = current["metadata"]["resourceVersion"]
            resource.replace(body=self._body(version), namespace=self.api.namespace)
        except ConflictError:
            return f"{holder} (taken over concurrently)"
        return None

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (holder := self.try_acquire()) is not None:
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"namespace {self.api.namespace} is in use by another test session "
                    f"({holder}, Lease {LEASE_NAME}) and stayed so for {timeout:g}s: "
                    "autoscaling runs share the scheduler and metrics adapter, so sessions "
                    "on one namespace run one at a time"
                )
            time.sleep(max(0.0, min(self.poll, deadline - time.monotonic())))
        self._renewer = threading.Thread(target=self._renew, name="seldon-lease", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        resource = self.api.resource(API_VERSION, "Lease")
        while not self._stop.wait(self.duration / 3):
            try:
                current = resource.get(name=LEASE_NAME, namespace=self.api.namespace).to_dict()
                spec = current.get("spec") or {}
                if spec.get("holderIdentity") != self.holder:
                    return
                spec["renewTime"] = micro_time(self.clock())
                resource.replace(body=current, namespace=self.api.namespace)
            except Exception:
                continue  # a missed renewal is retried on the next tick

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            resource = self.api.resource(API_VERSION, "Lease")
            current = resource.get(name=LEASE_NAME, namespace=self.api.namespace).to_dict()
            if (current.get("spec") or {}).get("holderIdentity") == self.holder:
                resource.delete(name=LEASE_NAME, namespace=self.api.namespace)
        except Exception:
            # unreachable cluster or already gone: an unrenewed Lease expires by itself
            return
