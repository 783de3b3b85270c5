"""The SeldonCluster protocol: what suites, fixtures and assertions see of a cluster.

Two backends implement it: the embedded twin (:mod:`pytest_seldon_scaling.twin`) and real
Kubernetes (:mod:`pytest_seldon_scaling.kube`, kind or an existing cluster). Everything crosses
this seam as Kubernetes objects in their real shape (plain dicts) and as references
``"<kind>/<name>"`` (``model/irisa0``, ``server/mlserver``, ``hpa/irisa0-model-hpa``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from .load.profile import LoadProfile
from .load.result import LoadResult
from .timeline import Timeline, TrafficSecond

SELDON_API_VERSION = "mlops.seldon.io/v1alpha1"

# ref kind (lower case, as written by users) -> (apiVersion, Kind)
KINDS: dict[str, tuple[str, str]] = {
    "model": (SELDON_API_VERSION, "Model"),
    "server": (SELDON_API_VERSION, "Server"),
    "serverconfig": (SELDON_API_VERSION, "ServerConfig"),
    "hpa": ("autoscaling/v2", "HorizontalPodAutoscaler"),
    "configmap": ("v1", "ConfigMap"),
}
_ALIASES = {
    "models": "model",
    "mlm": "model",
    "servers": "server",
    "mls": "server",
    "serverconfigs": "serverconfig",
    "mlc": "serverconfig",
    "horizontalpodautoscaler": "hpa",
    "horizontalpodautoscalers": "hpa",
    "configmaps": "configmap",
    "cm": "configmap",
}
_REF_KIND = {kind: ref_kind for ref_kind, (_, kind) in KINDS.items()}

Source = str | Path | dict | Iterable[dict]


class ClusterError(RuntimeError):
    """A cluster operation that failed, with what was being done."""


class WaitTimeout(AssertionError):
    """A wait ran out of time; the message says what it waited for and what it saw last."""


# the twin's store and HPA controller parse the same few references on every sync
@functools.lru_cache(maxsize=4096)
def parse_ref(ref: str) -> tuple[str, str]:
    """``"model/irisa0"`` -> ``("model", "irisa0")``; kind aliases as kubectl accepts them."""
    kind, sep, name = ref.partition("/")
    kind = _ALIASES.get(kind.lower(), kind.lower())
    if not sep or not name or kind not in KINDS:
        raise ValueError(
            f"{ref!r} is not an object reference; expected '<kind>/<name>' with kind one of "
            f"{', '.join(KINDS)} (e.g. 'model/irisa0')"
        )
    return kind, name


def ref_of(obj: dict) -> str:
    """The reference of an object in its Kubernetes shape."""
    kind = _REF_KIND.get(obj.get("kind", ""), str(obj.get("kind", "")).lower())
    return f"{kind}/{obj.get('metadata', {}).get('name', '')}"


def kind_of(ref_kind: str) -> str:
    """The Kubernetes ``kind`` for a reference kind (``"hpa"`` -> ``HorizontalPodAutoscaler``)."""
    return KINDS[ref_kind][1]


@runtime_checkable
class LoadRun(Protocol):
    """Load running against one model; its per-second record grows as time passes."""

    model: str
    profile: LoadProfile
    started_at: float

    @property
    def done(self) -> bool: ...

    def seconds(self) -> list[TrafficSecond]:
        """Per-second record so far (the same rows the cluster timeline holds)."""

    def wait(self) -> LoadResult:
        """Block (or advance virtual time) until the profile has finished; the result."""


@runtime_checkable
class SeldonCluster(Protocol):
    """A namespace running Seldon Core 2, on the twin or on real Kubernetes."""

    backend: str  # "twin" | "kind" | "existing"
    core_version: str
    namespace: str
    timeline: Timeline

    def now(self) -> float:
        """Seconds since this handle started (virtual on the twin)."""

    def apply(self, *sources: Source) -> list[str]:
        """Create or update objects from files, directories, YAML text or dicts; their refs."""

    def delete(self, ref: str, *, wait: bool = True) -> None:
        """Delete an object; with ``wait``, until it is gone (finalizers honoured)."""

    def get(self, ref: str) -> dict:
        """The object as the API server holds it (raises ``ClusterError`` if absent)."""

    def list(self, kind: str) -> list[dict]:
        """Every object of a kind (``"model"``, ``"server"``, ``"hpa"``, ...) in the namespace."""

    def scale(self, ref: str, replicas: int) -> None:
        """Write ``spec.replicas`` through the ``/scale`` subresource."""

    def placement(self, server: str) -> dict[int, list[str]]:
        """Models loaded on each replica of a Server: ``{replica_index: [model, ...]}``."""

    def load(self, model: str, profile: LoadProfile, protocol: str = "rest") -> LoadRun:
        """Start sending V2 inference requests to ``model`` following ``profile``.

        ``protocol``: ``"rest"`` or ``"grpc"``, the ``method_type`` the agent counts them as.
        """

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float, *, what: str, poll: float = 1.0
    ) -> float:
        """Advance (virtual or real) time until ``predicate()``; the time it became true.

        Raises :class:`WaitTimeout` naming ``what`` when ``timeout`` seconds pass first.
        """

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (instantly in virtual time)."""

    def close(self) -> None:
        """Release what the handle holds (processes, port-forwards, watches)."""
