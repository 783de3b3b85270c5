"""The embedded Core 2 twin: a SimPy model of one namespace running Seldon Core 2 + the HPA.

Pure core (functions of plain data, named after Core 2's code): :mod:`.operator`
(``validated_scaling_spec``, conditions), :mod:`.scheduler` (``place_model``, ``model_state``,
``server_scale_up_target``, ``server_scale_down_target``). SimPy shells around them:
:mod:`.store` (API server), :mod:`.controller` (operator), :mod:`.scheduler_service`
(scheduler + Envoy), :mod:`.agent` (StatefulSets, agents, metrics), :mod:`.adapter`
(Prometheus + Prometheus Adapter), :mod:`.hpa_controller`, :mod:`.traffic`; all wired by
:class:`TwinCluster` (:mod:`.cluster`), configured by :class:`TwinSettings`.
"""

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
