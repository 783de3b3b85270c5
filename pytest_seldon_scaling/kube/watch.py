"""Watches that keep a mirror of the namespace's Seldon objects, HPAs and Events.

One thread per kind lists, then watches from the list's resourceVersion, resumes from the last
resourceVersion it saw when the server ends a watch, and lists again on 410 Gone. The
:class:`Mirror` holds the latest objects, records changes into the timeline (replicas,
conditions by type, HPA status, Events) and wakes waiters. A kind whose watch is broken is
marked unsynced, so waits never read a stale or missing object as the truth.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from ..timeline import HPASample, Timeline
from .client import KubeApi, WatchExpired, describe_error, watch_events
from .objects import (
    conditions_of,
    event_key,
    event_subject,
    hpa_sample,
    name_of,
    replicas_of,
    same_hpa_state,
)

# what the mirror watches: ref kind -> (apiVersion, kind)
WATCHED = {
    "model": ("mlops.seldon.io/v1alpha1", "Model"),
    "server": ("mlops.seldon.io/v1alpha1", "Server"),
    "hpa": ("autoscaling/v2", "HorizontalPodAutoscaler"),
    "event": ("v1", "Event"),
}


class Mirror:
    """The latest state of watched objects and what changed, recorded into a Timeline."""

    def __init__(self, timeline: Timeline, clock: Callable[[], float]) -> None:
        self.timeline = timeline
        self.clock = clock
        self.objects: dict[str, dict] = {}
        self.errors: dict[str, str] = {}
        self._synced: set[str] = set()
        self._seen_events: set[tuple[str, int]] = set()
        self._last_hpa: dict[str, HPASample] = {}
        self._changed = threading.Condition()
        self.version = 0

    # -- state ---------------------------------------------------------------------------------

    def synced(self, ref_kind: str) -> bool:
        with self._changed:
            return ref_kind in self._synced

    def lookup(self, ref: str) -> tuple[bool, dict | None, int]:
        """``(synced, object or None when absent, version)`` for a ref, read atomically."""
        ref_kind = ref.partition("/")[0]
        with self._changed:
            return ref_kind in self._synced, self.objects.get(ref), self.version

    def wait_changed(self, since_version: int, timeout: float) -> int:
        """Block until something changed after ``since_version`` or ``timeout``; the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != since_version, timeout=max(0, timeout))
            return self.version

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    # -- updates from watch threads ------------------------------------------------------------

    def replace(self, ref_kind: str, items: list[dict]) -> None:
        """A fresh list: the kind's whole state (objects not listed are gone)."""
        with self._changed:
            if ref_kind == "event":
                # Events from before this handle (or already seen) are not news.
                self._seen_events.update(event_key(e) for e in items)
            else:
                listed = {f"{ref_kind}/{name_of(obj)}": obj for obj in items}
                for ref in [r for r in self.objects if r.startswith(f"{ref_kind}/")]:
                    if ref not in listed:
                        del self.objects[ref]
                for ref, obj in listed.items():
                    self._store(ref_kind, ref, obj)
            self._synced.add(ref_kind)
            self.errors.pop(ref_kind, None)
            self._bump()

    def apply_event(self, ref_kind: str, type_: str, obj: dict) -> None:
        with self._changed:
            if ref_kind == "event":
                if type_ != "DELETED" and event_key(obj) not in self._seen_events:
                    self._seen_events.add(event_key(obj))
                    self.timeline.record_event(
                        self.clock(),
                        event_subject(obj),
                        str(obj.get("reason", "")),
                        str(obj.get("message", "") or obj.get("note", "")),
                    )
            else:
                ref = f"{ref_kind}/{name_of(obj)}"
                if type_ == "DELETED":
                    self.objects.pop(ref, None)
                else:
                    self._store(ref_kind, ref, obj)
            self._bump()

    def mark_unsynced(self, ref_kind: str, reason: str) -> None:
        with self._changed:
            self._synced.discard(ref_kind)
            self.errors[ref_kind] = reason
            self._bump()

    def _store(self, ref_kind: str, ref: str, obj: dict) -> None:
        self.objects[ref] = obj
        t = self.clock()
        if ref_kind == "hpa":
            sample = hpa_sample(t, obj)
            last = self._last_hpa.get(ref)
            if sample is not None and (last is None or not same_hpa_state(last, sample)):
                self._last_hpa[ref] = sample
                self.timeline.record_hpa(sample)
        else:
            spec, status, available = replicas_of(obj)
            self.timeline.record_replicas(t, ref, spec, status, available)
        for type_, (status_, reason, message) in conditions_of(obj).items():
            self.timeline.record_condition(t, ref, type_, status_, reason, message)


class KindWatcher(threading.Thread):
    """Keeps one kind of the mirror current: list, watch, resume, re-list on 410."""

    def __init__(
        self,
        api: KubeApi,
        mirror: Mirror,
        ref_kind: str,
        *,
        watch_seconds: int = 240,
        backoff: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        super().__init__(name=f"seldon-watch-{ref_kind}", daemon=True)
        self.api = api
        self.mirror = mirror
        self.ref_kind = ref_kind
        self.api_version, self.kind = WATCHED[ref_kind]
        self.watch_seconds = watch_seconds
        self.backoff = backoff
        self.relists = 0
        self._stop_event = threading.Event()
        self._response = None

    def stop(self) -> None:
        self._stop_event.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()
            with contextlib.suppress(Exception):
                response.release_conn()

    def run(self) -> None:
        resource_version = ""
        delay = self.backoff[0]
        while not self._stop_event.is_set():
            try:
                if not resource_version:
                    items, resource_version = self.api.list(self.api_version, self.kind)
                    self.mirror.replace(self.ref_kind, items)
                    self.relists += 1
                resource_version = self._watch_from(resource_version)
                delay = self.backoff[0]
            except WatchExpired:
                resource_version = ""
            except Exception as error:
                if self._stop_event.is_set():
                    return
                # Unsynced until a list succeeds again: waits fall back to direct reads.
                self.mirror.mark_unsynced(self.ref_kind, describe_error(error))
                resource_version = ""
                self._stop_event.wait(delay)
                delay = min(self.backoff[1], delay * 2)

    def _watch_from(self, resource_version: str) -> str:
        self._response = self.api.open_watch(
            self.api_version, self.kind, resource_version, self.watch_seconds
        )
        try:
            if self._stop_event.is_set():
                # stop() ran while the watch was opening, before there was a stream to end
                return resource_version
            for event in watch_events(self._response):
                if self._stop_event.is_set():
                    break
                obj = event.get("object") or {}
                resource_version = str(
                    obj.get("metadata", {}).get("resourceVersion") or resource_version
                )
                if event.get("type") != "BOOKMARK":
                    self.mirror.apply_event(self.ref_kind, str(event.get("type")), obj)
        finally:
            self._response.release_conn()
            self._response = None
        return resource_version
