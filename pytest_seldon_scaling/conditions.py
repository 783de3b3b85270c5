"""Status conditions of Kubernetes and Core 2 objects, matched by ``type`` (never by position).

One helper for every reader: the kube backend's watches, the assertions in :mod:`.expect`,
the suites' scenarios and ``plan``. Core 2 writes several conditions per object (``Ready``,
``ModelReady``, ``ServerReady``...) and reorders them; reading ``conditions[0]`` is a bug.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Condition(NamedTuple):
    """One ``status.conditions[]`` entry; unpacks as ``(status, reason, message)``."""

    status: str
    reason: str
    message: str

    @property
    def is_true(self) -> bool:
        return self.status == "True"


def conditions_of(obj: Any) -> dict[str, Condition]:
    """``{type: Condition}`` from ``status.conditions`` (a later entry of one type wins)."""
    found: dict[str, Condition] = {}
    status = obj.get("status") if isinstance(obj, dict) else None
    entries = status.get("conditions") if isinstance(status, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("type"):
            found[str(entry["type"])] = Condition(
                str(entry.get("status", "Unknown")),
                str(entry.get("reason", "") or ""),
                str(entry.get("message", "") or ""),
            )
    return found


def condition(obj: Any, type_: str) -> Condition | None:
    """The condition of ``type_``, or None when the object does not carry it."""
    return conditions_of(obj).get(type_)


def is_ready(obj: Any) -> bool:
    """``Ready`` is ``"True"`` (absent or Unknown is not ready)."""
    ready = condition(obj, "Ready")
    return ready is not None and ready.is_true
