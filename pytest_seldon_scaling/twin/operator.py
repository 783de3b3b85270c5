"""The Seldon controller's pure decisions: the validated scaling spec and status conditions.

``validated_scaling_spec`` is ``operator/internal/utils.go GetValidatedScalingSpec`` (v2.10.x),
with the 2.9 and 2.8 variants the spec calls out. Status builders turn scheduler states into
the conditions Core 2 writes on Models and Servers (message = state name, reason = scheduler
text). The SimPy shell that calls them lives in :mod:`.controller`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..versions import core_minor

MAX_UINT32 = 4294967295
CORE_VERSIONS = ("2.8", "2.9", "2.10")


class ScalingSpecError(ValueError):
    """An invalid replicas/minReplicas/maxReplicas combination; str() is Core 2's message."""


class ScalingSpec(NamedTuple):
    """The validated (replicas, min, max) the controller sends to the scheduler."""

    replicas: int
    min_replicas: int
    max_replicas: int


def _uint32(value: int) -> int:
    return value & MAX_UINT32


def validated_scaling_spec(
    replicas: int | None,
    min_replicas: int | None,
    max_replicas: int | None,
    *,
    core_version: str = "2.10",
) -> ScalingSpec:
    """Core 2's validated scaling spec; ``None`` means the field is unset.

    v2.10: replicas >= 0 used as is (0 allowed), else minReplicas if > 0, else 1; unset or 0
    max becomes 4294967295. v2.9: replicas <= 0 becomes minReplicas-or-1 and unset max is 0
    (no native server scale-up). v2.8: values sent as given, unset min/max as 0, no checks.
    Raises :class:`ScalingSpecError` with Core 2's exact text.
    """
    version = _normalise_version(core_version)
    if version == "2.8":
        return _scaling_spec_28(replicas, min_replicas, max_replicas)
    if version == "2.9":
        return _scaling_spec_29(replicas, min_replicas, max_replicas)
    return _scaling_spec_210(replicas, min_replicas, max_replicas)


def _normalise_version(core_version: str) -> str:
    return core_minor(core_version, CORE_VERSIONS)


def _scaling_spec_210(replicas, min_replicas, max_replicas) -> ScalingSpec:
    prefix = "scaling spec is invalid: "
    if replicas is not None and replicas >= 0:
        valid_replicas = replicas
    elif min_replicas is not None and min_replicas > 0:
        valid_replicas = min_replicas
    else:
        valid_replicas = 1
    valid_min = 0
    if min_replicas is not None and min_replicas > 0:
        valid_min = min_replicas
        if valid_replicas < valid_min:
            raise ScalingSpecError(
                f"{prefix}number of replicas {valid_replicas} must be >= min replicas {valid_min}"
            )
    valid_max = MAX_UINT32
    if max_replicas is not None and max_replicas > 0:
        valid_max = max_replicas
        if valid_min > valid_max:
            raise ScalingSpecError(
                f"{prefix}min number of replicas {valid_min} must be <= max number of replicas "
                f"{valid_max}"
            )
        if valid_replicas > valid_max:
            raise ScalingSpecError(
                f"{prefix}number of replicas {valid_replicas} must be <= max replicas {valid_max}"
            )
    return ScalingSpec(valid_replicas, valid_min, valid_max)


def _scaling_spec_29(replicas, min_replicas, max_replicas) -> ScalingSpec:
    # The 2.9 texts carry a double space and say "min" for the max check: that is the code.
    if replicas is not None and replicas > 0:
        valid_replicas = replicas
    elif min_replicas is not None and min_replicas > 0:
        valid_replicas = min_replicas
    else:
        valid_replicas = 1
    valid_min = 0
    if min_replicas is not None and min_replicas > 0:
        valid_min = min_replicas
        if valid_replicas < valid_min:
            raise ScalingSpecError(
                f"number of replicas {valid_replicas} must be >= min replicas  {valid_min}"
            )
    valid_max = 0
    if max_replicas is not None and max_replicas > 0:
        valid_max = max_replicas
        if valid_replicas > valid_max:
            raise ScalingSpecError(
                f"number of replicas {valid_replicas} must be <= min replicas  {valid_max}"
            )
    return ScalingSpec(valid_replicas, valid_min, valid_max)


def _scaling_spec_28(replicas, min_replicas, max_replicas) -> ScalingSpec:
    if replicas is not None:
        valid_replicas = replicas
    elif min_replicas is not None:
        valid_replicas = min_replicas
    else:
        valid_replicas = 1
    # Go converts the int32 fields to uint32 without checks.
    return ScalingSpec(
        _uint32(valid_replicas), _uint32(min_replicas or 0), _uint32(max_replicas or 0)
    )


# -- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A knative-style condition as written on the CR."""

    type: str
    status: str
    reason: str = ""
    message: str = ""

    def as_dict(self, last_transition_time: str) -> dict:
        data = {
            "type": self.type,
            "status": self.status,
            "lastTransitionTime": last_transition_time,
        }
        if self.reason:
            data["reason"] = self.reason
        if self.message:
            data["message"] = self.message
        return data


def model_conditions(state: str, reason: str) -> list[Condition]:
    """``ModelReady`` and ``Ready`` for a scheduler model state (``setModelStatus``)."""
    if state == "ModelAvailable":
        return [
            Condition("ModelReady", "True", reason, "ModelAvailable"),
            Condition("Ready", "True"),
        ]
    return [
        Condition("ModelReady", "False", reason, state),
        Condition("Ready", "False", reason, state),
    ]


def server_conditions(ready_replicas: int, desired_replicas: int) -> list[Condition]:
    """``StatefulSetOrDeploymentReady`` and ``Ready`` for a Server's StatefulSet."""
    if ready_replicas >= desired_replicas:
        reason = "StatefulSet replicas matches desired replicas"
        return [
            Condition("StatefulSetOrDeploymentReady", "True", reason),
            Condition("Ready", "True", reason),
        ]
    reason = "StatefulSet replicas does not match desired replicas"
    return [
        Condition("StatefulSetOrDeploymentReady", "False", reason),
        Condition("Ready", "False", reason),
    ]


def server_invalid_conditions(error: str) -> list[Condition]:
    """A Server whose scaling spec is invalid: reconcile stops with the error as reason."""
    return [
        Condition("StatefulSetOrDeploymentReady", "False", error),
        Condition("Ready", "False", error),
    ]


def accepts_status_update(update_generation: int, generation: int) -> bool:
    """The controller drops a scheduler status update whose generation is not the object's
    current ``metadata.generation``, so a stale version's state never overwrites the status of
    a newer spec. Scaling requests are not checked: see :func:`accepts_scaling_request`."""
    return update_generation == generation


def accepts_scaling_request(target: int, spec: ScalingSpec) -> bool:
    """The controller applies a scheduler scale request only within the Server's min/max."""
    return spec.min_replicas <= target <= spec.max_replicas


def can_remove_model_finalizer(
    scheduler_state: str, gateway_state: str = "ModelTerminated"
) -> bool:
    """``canRemoveFinalizer``: scheduler done with the model and the gateway terminated it."""
    return (
        scheduler_state
        in {
            "ModelTerminated",
            "ModelTerminateFailed",
            "ModelFailed",
            "ModelStateUnknown",
            "ScheduleFailed",
        }
        and gateway_state == "ModelTerminated"
    )
