"""resourceVersions and watch events for everything the served API shows.

The twin's store versions only the objects it models, and pods, StatefulSets, Services and
Events are derived from the twin's state. So the served API keeps one version space of its
own: after every step of the twin (and every write) it compares what it would render now with
what it rendered last; each object that differs gets the next resourceVersion and a watch
event (ADDED, MODIFIED, DELETED). At least the last ``capacity`` events are kept (versions are
consecutive, so a watch finds its place by index): a watch from an older version is answered
410 Gone ("too old resource version"), as etcd compaction does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

Key = tuple[str, str, str]  # (plural, namespace or "", name)


class Expired(Exception):
    """The requested resourceVersion is older than the oldest event kept."""


@dataclass(frozen=True)
class Change:
    version: int
    key: Key
    type: str  # ADDED | MODIFIED | DELETED
    obj: dict


def with_version(obj: dict, version: int) -> dict:
    out = copy.deepcopy(obj)
    out.setdefault("metadata", {})["resourceVersion"] = str(version)
    return out


class ChangeLog:
    """The latest rendering of every object, its resourceVersion, and recent changes."""

    def __init__(self, capacity: int = 20000) -> None:
        self.version = 0
        self.objects: dict[Key, tuple[int, dict]] = {}
        self.capacity = capacity
        self.changes: list[Change] = []
        self._compacted = 0

    def sync(self, rendered: dict[Key, dict]) -> int:
        """Record what changed between the last rendering and ``rendered``; how many changed."""
        changed = 0
        for key, obj in rendered.items():
            current = self.objects.get(key)
            if current is not None and current[1] == obj:
                continue
            self.version += 1
            self.objects[key] = (self.version, obj)
            kind = "ADDED" if current is None else "MODIFIED"
            self._append(Change(self.version, key, kind, obj))
            changed += 1
        for key in [k for k in self.objects if k not in rendered]:
            _, obj = self.objects.pop(key)
            self.version += 1
            self._append(Change(self.version, key, "DELETED", obj))
            changed += 1
        return changed

    def _append(self, change: Change) -> None:
        self.changes.append(change)
        if len(self.changes) > 2 * self.capacity:
            del self.changes[: len(self.changes) - self.capacity]

    def compact(self) -> None:
        """Forget every change so far: a watch resuming from any earlier version gets 410."""
        self.changes.clear()
        self._compacted = self.version

    def get(self, key: Key) -> dict | None:
        found = self.objects.get(key)
        return None if found is None else with_version(found[1], found[0])

    def items(self, plural: str, namespace: str | None) -> list[dict]:
        return [
            with_version(obj, version)
            for key, (version, obj) in sorted(self.objects.items())
            if key[0] == plural and (namespace is None or key[1] == namespace)
        ]

    def since(self, version: int, plural: str, namespace: str | None) -> list[Change]:
        """Changes after ``version`` of one plural; raises :class:`Expired` when compacted."""
        oldest = self.changes[0].version if self.changes else self.version + 1
        if version < self._compacted or (version < oldest - 1 and version < self.version):
            raise Expired(f"too old resource version: {version} ({oldest - 1})")
        start = max(0, version + 1 - oldest)
        return [
            c
            for c in self.changes[start:]
            if c.version > version
            and c.key[0] == plural
            and (namespace is None or c.key[1] == namespace)
        ]
