"""The per-test handle: a SeldonCluster that remembers what the test created and ran.

It passes every protocol call through to the cluster, so assertions take it wherever they take
a cluster, and it adds what a test needs around them: objects it created are removed at teardown
(unless the cluster is kept) and load runs are kept for the report.

Objects are named one way everywhere, as kubectl names them: ``model/irisa0``,
``server/mlserver``, ``hpa/irisa0-hpa`` (``Model/irisa0``, ``models/irisa0`` too). Where the
kind is implied (``load`` and ``still_serving`` take a Model, ``placement`` and ``packed`` a
Server) the bare name works as well. Times (``now()``, ``during=``, the timeline) are all on
the cluster's clock: seconds since the cluster was opened (virtual seconds on the twin).
"""

from __future__ import annotations

from collections.abc import Callable

from .cluster import KINDS, ClusterError, LoadRun, SeldonCluster, Source, parse_ref, ref_of
from .load.profile import LoadProfile, Segment, profile_of
from .load.trace import Trace, profiles_for
from .manifests import load_manifests
from .timeline import Timeline


def object_ref(ref: str) -> str:
    """``"Model/irisa0"`` / ``"models/irisa0"`` -> ``"model/irisa0"`` (ValueError otherwise)."""
    kind, name = parse_ref(ref)
    return f"{kind}/{name}"


def kind_ref(ref: str, kind: str) -> tuple[str, str]:
    """``"irisa0"`` or ``"model/irisa0"`` -> (``"model/irisa0"``, ``"irisa0"``) for ``kind``."""
    if "/" not in ref:
        return f"{kind}/{ref}", ref
    found, name = parse_ref(ref)
    if found != kind:
        raise ValueError(f"{ref!r} is not a {kind} reference; expected '{kind}/<name>' or a name")
    return f"{kind}/{name}", name


class SeldonHandle:
    """What the ``seldon`` fixture gives a test."""

    def __init__(
        self, cluster: SeldonCluster, *, name: str, keep: bool = False, timeout: float = 600.0
    ) -> None:
        self.cluster = cluster
        self.name = name
        self.keep = keep
        self.timeout = timeout
        self.created: list[str] = []
        self.runs: list[LoadRun] = []
        self.started_at = cluster.now()

    # -- the protocol, passed through ---------------------------------------------------------

    @property
    def backend(self) -> str:
        return self.cluster.backend

    @property
    def core_version(self) -> str:
        return self.cluster.core_version

    @property
    def namespace(self) -> str:
        return self.cluster.namespace

    @property
    def timeline(self) -> Timeline:
        return self.cluster.timeline

    def now(self) -> float:
        return self.cluster.now()

    def apply(self, *sources: Source) -> list[str]:
        """Apply manifests; objects that did not exist before are removed at teardown."""
        manifests = load_manifests(*sources)
        kinds = {ref_of(m.obj).split("/")[0] for m in manifests} & set(KINDS)
        existing = {ref_of(obj) for kind in kinds for obj in self.cluster.list(kind)}
        refs = self.cluster.apply(*manifests)
        self.created += [r for r in refs if r not in existing and r not in self.created]
        return refs

    def delete(self, ref: str, *, wait: bool = True) -> None:
        ref = object_ref(ref)
        self.cluster.delete(ref, wait=wait)
        if ref in self.created:
            self.created.remove(ref)

    def get(self, ref: str) -> dict:
        return self.cluster.get(object_ref(ref))

    def list(self, kind: str) -> list[dict]:
        return self.cluster.list(kind)

    def scale(self, ref: str, replicas: int) -> None:
        self.cluster.scale(object_ref(ref), replicas)

    def placement(self, server: str) -> dict[int, list[str]]:
        """Models on each replica of a Server (``"server/mlserver"`` or ``"mlserver"``)."""
        return self.cluster.placement(kind_ref(server, "server")[1])

    def load(
        self,
        model: str,
        profile: LoadProfile | Segment | Trace | str,
        *,
        protocol: str = "rest",
    ) -> LoadRun:
        """Start load on a Model (``"model/irisa0"`` or ``"irisa0"``); a
        :class:`~.load.trace.Trace` replays that model's series. ``protocol="grpc"`` sends
        gRPC inference requests (the agent counts them as ``method_type="grpc"``)."""
        name = kind_ref(model, "model")[1]
        if isinstance(profile, Trace):
            profile = profiles_for(profile, [name])[name]
        run = self.cluster.load(name, profile_of(profile), protocol=protocol)
        self.runs.append(run)
        return run

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float | None = None,
        *,
        what: str,
        poll: float = 1.0,
    ) -> float:
        return self.cluster.wait_until(
            predicate, self.timeout if timeout is None else timeout, what=what, poll=poll
        )

    def sleep(self, seconds: float) -> None:
        self.cluster.sleep(seconds)

    def close(self) -> None:
        self.cleanup()

    # -- around the protocol ------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Delete what this test created, newest first; the refs that could not be deleted."""
        if self.keep:
            return []
        failed = []
        for ref in reversed(self.created):
            try:
                self.cluster.delete(ref, wait=True)
            except ClusterError as error:
                failed.append(f"{ref}: {error}")
        self.created.clear()
        return failed
