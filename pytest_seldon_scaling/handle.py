"""The per-test handle: a SeldonCluster that remembers what the test created and ran.

It passes every protocol call through to the cluster, so assertions take it wherever they take
a cluster, and it adds what a test needs around them: objects it created are removed at teardown
(unless the cluster is kept) and load runs are kept for the report.
"""

from __future__ import annotations

from collections.abc import Callable

from .cluster import KINDS, ClusterError, LoadRun, SeldonCluster, Source, ref_of
from .load.profile import LoadProfile, Segment, profile_of
from .load.trace import Trace, profiles_for
from .manifests import load_manifests
from .timeline import Timeline


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
        self.cluster.delete(ref, wait=wait)
        if ref in self.created:
            self.created.remove(ref)

    def get(self, ref: str) -> dict:
        return self.cluster.get(ref)

    def list(self, kind: str) -> list[dict]:
        return self.cluster.list(kind)

    def scale(self, ref: str, replicas: int) -> None:
        self.cluster.scale(ref, replicas)

    def placement(self, server: str) -> dict[int, list[str]]:
        return self.cluster.placement(server)

    def load(self, model: str, profile: LoadProfile | Segment | Trace | str) -> LoadRun:
        """Load on ``model``; a :class:`~.load.trace.Trace` replays that model's series."""
        if isinstance(profile, Trace):
            profile = profiles_for(profile, [model])[model]
        run = self.cluster.load(model, profile_of(profile))
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
