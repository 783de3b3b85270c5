"""The twin's API server: objects in their real shape, generations, resourceVersions, /scale.

Objects are kept as the dicts a ``kubectl get -o yaml`` would show. A write that changes
``spec`` bumps ``metadata.generation`` (as the API server does for CRDs with a status
subresource); every write bumps ``resourceVersion``. The ``/scale`` subresource of Model and
Server follows their CRDs: ``specReplicasPath .spec.replicas``, ``statusReplicasPath
.status.replicas``, ``labelSelectorPath .status.selector``. Deleting an object that carries
finalizers only sets ``deletionTimestamp``; it disappears when its finalizers are removed.
Watchers are called synchronously after each write with ``(event, ref, obj)``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from ..cluster import KINDS, ClusterError, parse_ref, ref_of

SCALABLE = frozenset({"model", "server"})
Watcher = Callable[[str, str, dict], None]


@dataclass(frozen=True)
class Change:
    """What a write did: created, spec changed (generation bumped), or only metadata/status."""

    ref: str
    created: bool
    spec_changed: bool


class ObjectStore:
    """Objects of one namespace keyed by ``kind/name`` refs."""

    def __init__(self, namespace: str, clock: Callable[[], str]) -> None:
        """``clock`` gives the RFC 3339 time written into creation/deletion timestamps."""
        self.namespace = namespace
        self._clock = clock
        self._objects: dict[str, dict] = {}
        self._resource_version = 0
        self._uid = 0
        self._watchers: list[Watcher] = []

    # -- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> dict:
        return _copy(self._get(ref))

    def peek(self, ref: str) -> dict | None:
        """The stored object itself (no copy) for the twin's own controllers; None if absent."""
        return self._objects.get(_normal(ref))

    def exists(self, ref: str) -> bool:
        return _normal(ref) in self._objects

    def list(self, kind: str) -> list[dict]:
        ref_kind, _ = parse_ref(f"{kind}/x")
        return [
            _copy(obj)
            for ref, obj in sorted(self._objects.items())
            if ref.split("/", 1)[0] == ref_kind
        ]

    def refs(self, ref_kind: str) -> list[str]:
        return sorted(r for r in self._objects if r.split("/", 1)[0] == ref_kind)

    def _get(self, ref: str) -> dict:
        key = _normal(ref)
        if key not in self._objects:
            raise ClusterError(f"{key} not found in namespace {self.namespace}")
        return self._objects[key]

    # -- writing ---------------------------------------------------------------------------

    def watch(self, watcher: Watcher) -> None:
        self._watchers.append(watcher)

    def apply(self, obj: dict) -> Change:
        """Create or update from a manifest: spec and labels/annotations as given."""
        ref = ref_of(obj)
        kind = ref.split("/", 1)[0]
        if kind not in KINDS:
            raise ClusterError(f"{obj.get('kind')}/{obj['metadata']['name']}: kind: not modelled")
        current = self._objects.get(ref)
        if current is None:
            stored = _copy(obj)
            metadata = stored.setdefault("metadata", {})
            metadata.setdefault("namespace", self.namespace)
            self._uid += 1
            metadata["uid"] = f"twin-{self._uid:08d}"
            metadata["generation"] = 1
            metadata["creationTimestamp"] = self._clock()
            stored.pop("status", None)
            self._objects[ref] = stored
            self._bump(stored)
            self._notify("ADDED", ref, stored)
            return Change(ref, created=True, spec_changed=True)
        body = {k: _copy(v) for k, v in obj.items() if k not in ("metadata", "status")}
        old_spec = current.get("spec")
        for key in [k for k in current if k not in ("metadata", "status", "apiVersion", "kind")]:
            if key not in body:
                del current[key]
        current.update(body)
        given = obj.get("metadata") or {}
        for key in ("labels", "annotations"):
            if key in given:
                current["metadata"][key] = _copy(given[key])
        spec_changed = current.get("spec") != old_spec
        if spec_changed:
            current["metadata"]["generation"] += 1
        self._bump(current)
        self._notify("MODIFIED", ref, current)
        return Change(ref, created=False, spec_changed=spec_changed)

    def patch_spec(self, ref: str, **fields: object) -> bool:
        """Merge-patch fields of ``spec``; True when it changed (generation bumped)."""
        obj = self._get(ref)
        spec = obj.setdefault("spec", {})
        changed = any(spec.get(k) != v for k, v in fields.items())
        if not changed:
            return False
        spec.update(_copy(fields))
        obj["metadata"]["generation"] += 1
        self._bump(obj)
        self._notify("MODIFIED", ref_of(obj), obj)
        return True

    def set_status(self, ref: str, status: dict, *, handed_over: bool = False) -> None:
        """Replace ``status`` (a status-subresource write: generation unchanged).

        ``handed_over``: the caller built ``status`` for this write and keeps no reference to
        it, so the store keeps it as it is instead of a copy (the HPA writes one every sync).
        """
        obj = self._objects.get(_normal(ref))
        if obj is None or obj.get("status") == status:
            return
        obj["status"] = status if handed_over else _copy(status)
        self._bump(obj)

    def add_finalizer(self, ref: str, finalizer: str) -> None:
        obj = self._get(ref)
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if finalizer not in finalizers:
            finalizers.append(finalizer)
            self._bump(obj)

    def remove_finalizer(self, ref: str, finalizer: str) -> None:
        obj = self._objects.get(_normal(ref))
        if obj is None:
            return
        finalizers = obj["metadata"].get("finalizers", [])
        if finalizer in finalizers:
            finalizers.remove(finalizer)
            self._bump(obj)
        if not finalizers and "deletionTimestamp" in obj["metadata"]:
            self._remove(_normal(ref))

    def delete(self, ref: str) -> None:
        key = _normal(ref)
        obj = self._get(key)
        if obj["metadata"].get("finalizers"):
            if "deletionTimestamp" not in obj["metadata"]:
                obj["metadata"]["deletionTimestamp"] = self._clock()
                self._bump(obj)
                self._notify("MODIFIED", key, obj)
            return
        self._remove(key)

    def _remove(self, key: str) -> None:
        obj = self._objects.pop(key)
        self._bump(obj)
        self._notify("DELETED", key, obj)

    def _bump(self, obj: dict) -> None:
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)

    def _notify(self, event: str, ref: str, obj: dict) -> None:
        for watcher in list(self._watchers):
            watcher(event, ref, obj)

    # -- /scale ----------------------------------------------------------------------------

    def get_scale(self, ref: str) -> dict:
        """The ``autoscaling/v1`` Scale of a Model or Server."""
        _kind, name = _scalable(ref)
        obj = self._get(ref)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": name, "namespace": obj["metadata"]["namespace"]},
            "spec": {"replicas": spec.get("replicas")},
            "status": {"replicas": status.get("replicas", 0), "selector": status.get("selector")},
        }

    def set_scale(self, ref: str, replicas: int) -> bool:
        """Write ``spec.replicas`` through ``/scale``; True when the spec changed."""
        _scalable(ref)
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ClusterError(f"{ref}: /scale spec.replicas: must be an integer >= 0")
        return self.patch_spec(ref, replicas=replicas)


_ATOMS = (str, int, float, bool, type(None))


def _copy(value: object) -> object:
    """A deep copy of manifest data (dicts, lists, scalars): several times cheaper than
    ``copy.deepcopy``, which the twin's status writes would otherwise spend most time in."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, _ATOMS) else _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if isinstance(v, _ATOMS) else _copy(v) for v in value]
    if isinstance(value, _ATOMS):
        return value
    return copy.deepcopy(value)


def _normal(ref: str) -> str:
    kind, name = parse_ref(ref)
    return f"{kind}/{name}"


def _scalable(ref: str) -> tuple[str, str]:
    kind, name = parse_ref(ref)
    if kind not in SCALABLE:
        raise ClusterError(f"{kind}/{name}: has no /scale subresource (only Model and Server do)")
    return kind, name
