"""The embedded Core 2 twin: a SimPy model of one namespace running Seldon Core 2 + the HPA."""

from .cluster import TwinCluster
from .operator import ScalingSpec, ScalingSpecError, validated_scaling_spec
from .scheduler import (
    ModelSpec,
    ModelStatus,
    Placement,
    ReplicaStatus,
    ServerReplica,
    ServerSnapshot,
    failed_scheduling_status,
    model_state,
    place_model,
    server_scale_down_target,
    server_scale_up_target,
)
from .settings import TwinSettings

__all__ = [
    "ModelSpec",
    "ModelStatus",
    "Placement",
    "ReplicaStatus",
    "ScalingSpec",
    "ScalingSpecError",
    "ServerReplica",
    "ServerSnapshot",
    "TwinCluster",
    "TwinSettings",
    "failed_scheduling_status",
    "model_state",
    "place_model",
    "server_scale_down_target",
    "server_scale_up_target",
    "validated_scaling_spec",
]
