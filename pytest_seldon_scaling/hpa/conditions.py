"""HPA condition types, reasons and messages (``horizontal.go`` setCondition)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


@dataclass(frozen=True)
class Condition:
    status: str
    reason: str
    message: str
    last_transition: float


def set_condition(
    conditions: MutableMapping[str, Condition],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: float,
) -> None:
    """``setCondition``: replace the condition, keeping lastTransitionTime while status holds."""
    previous = conditions.get(type_)
    if previous is not None and previous.status == status:
        if previous.reason == reason and previous.message == message:
            return  # as it was (most syncs): the same condition, not a copy of it
        transition = previous.last_transition
    else:
        transition = now
    conditions[type_] = Condition(status, reason, message, transition)


_UP_STABILIZED = (
    "recent recommendations were lower than current one, applying the lowest recent recommendation"
)
_DOWN_STABILIZED = (
    "recent recommendations were higher than current one, "
    "applying the highest recent recommendation"
)
_WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
_TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
_TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
_UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)
_DOWN_LIMIT = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
)
