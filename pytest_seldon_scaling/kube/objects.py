"""Pure functions over Kubernetes objects as the API server returns them (plain dicts).

What the watches record into the timeline is decided here: replica counts, conditions matched
by ``type``, HPA status as an :class:`~pytest_seldon_scaling.timeline.HPASample`, and the object
an Event is about.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..adapter_rules import AdapterConfigError, custom_rules
from ..cluster import KINDS, ref_of
from ..conditions import condition, conditions_of
from ..quantity import parse_quantity
from ..timeline import HPASample

# Deleted first: HPAs stop writing replicas, Models unload before their Servers go.
DELETE_ORDER = ("hpa", "model", "server", "serverconfig", "configmap")

_DNS_LABEL = re.compile(r"[^a-z0-9-]+")


def api_version_kind(ref_kind: str) -> tuple[str, str]:
    return KINDS[ref_kind]


def name_of(obj: dict) -> str:
    return obj.get("metadata", {}).get("name", "")


def resource_version(obj: dict) -> str:
    return str(obj.get("metadata", {}).get("resourceVersion", ""))


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def replicas_of(obj: dict) -> tuple[int | None, int | None, int | None]:
    """``(spec.replicas, status.replicas, status.availableReplicas)``; None where unset."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    return (
        _int_or_none(spec.get("replicas")),
        _int_or_none(status.get("replicas")),
        _int_or_none(status.get("availableReplicas")),
    )


def _metric_value(current: dict) -> float | None:
    for key in ("averageValue", "value"):
        if current.get(key) is not None:
            return float(parse_quantity(current[key]))
    if current.get("averageUtilization") is not None:
        return float(current["averageUtilization"])
    return None


def hpa_metrics(status: dict) -> dict[str, float]:
    """``status.currentMetrics`` as ``{metric name: value}`` (natural units, e.g. rps)."""
    metrics: dict[str, float] = {}
    for entry in status.get("currentMetrics") or []:
        # each entry keeps its data under its type in lowerCamelCase (object, containerResource)
        type_ = str(entry.get("type", ""))
        source = entry.get(type_[:1].lower() + type_[1:]) or {}
        name = (source.get("metric") or {}).get("name") or source.get("name")
        value = _metric_value(source.get("current") or {})
        if name and value is not None:
            metrics[name] = value
    return metrics


def hpa_sample(t: float, hpa: dict) -> HPASample | None:
    """What an HPA's status says at ``t``; None before its first sync wrote a status."""
    status = hpa.get("status") or {}
    if "currentReplicas" not in status and "desiredReplicas" not in status:
        return None
    conditions = {
        type_: (state, reason) for type_, (state, reason, _message) in conditions_of(hpa).items()
    }
    return HPASample(
        t=t,
        ref=ref_of(hpa),
        current=int(status.get("currentReplicas") or 0),
        desired=int(status.get("desiredReplicas") or 0),
        metrics=hpa_metrics(status),
        conditions=conditions,
    )


def same_hpa_state(a: HPASample, b: HPASample) -> bool:
    return (a.current, a.desired, a.metrics, a.conditions) == (
        b.current,
        b.desired,
        b.metrics,
        b.conditions,
    )


def event_subject(event: dict) -> str:
    """The ref an Event is about (``involvedObject``, or ``regarding`` for events.k8s.io)."""
    target = event.get("involvedObject") or event.get("regarding") or {}
    return ref_of({"kind": target.get("kind", ""), "metadata": {"name": target.get("name", "")}})


def event_key(event: dict) -> tuple[str, int]:
    """Identity of one occurrence: an Event object repeats with a growing ``count``."""
    count = event.get("count") or (event.get("series") or {}).get("count") or 1
    return event.get("metadata", {}).get("uid", name_of(event)), int(count)


def is_terminating(obj: dict) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def dns_label(text: str, max_length: int = 63) -> str:
    """A DNS-1123 label from arbitrary text: lower case, ``[a-z0-9-]``, trimmed."""
    label = _DNS_LABEL.sub("-", text.lower()).strip("-")
    label = re.sub(r"-{2,}", "-", label)[:max_length].strip("-")
    if not label:
        raise ValueError(f"{text!r} has no character usable in a DNS label")
    return label


def ordinal_of(pod_name: str) -> int | None:
    """StatefulSet ordinal from a pod name (``mlserver-2`` -> 2)."""
    head, _, tail = pod_name.rpartition("-")
    return int(tail) if head and tail.isdigit() else None


def pod_ready(pod: dict) -> bool:
    status = (pod.get("status") or {}).get("phase")
    ready = condition(pod, "Ready")
    return status == "Running" and ready is not None and ready[0] == "True"


def adapter_config_rules(obj: dict) -> list[dict] | None:
    """The rules of a prometheus-adapter ConfigMap (``data["config.yaml"]``); None otherwise.

    A ``config.yaml`` that is not YAML is no adapter config here: the object is applied as any
    other ConfigMap, and lint names the field.
    """
    try:
        return custom_rules(obj)
    except AdapterConfigError:
        return None


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(value.split())
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def same_adapter_rules(a: list[dict], b: list[dict]) -> bool:
    """Equal rules, whitespace aside (PromQL and YAML block styles differ, meaning does not)."""
    return _normalised(a) == _normalised(b)


def deployment_rolled_out(deployment: dict) -> bool:
    """Every replica runs the latest pod template and is available (``rollout status``)."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    wanted = spec.get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= deployment.get("metadata", {}).get("generation", 0)
        and status.get("updatedReplicas", 0) == wanted
        and status.get("availableReplicas", 0) == wanted
        and not status.get("unavailableReplicas")
    )


# -- what a run owns ---------------------------------------------------------------------------

# Every object a run creates carries this label with the run's id: a run touches only objects
# labelled with its own id, and objects labelled with another id were left by a run that died.
RUN_LABEL = "pytest-seldon-scaling/run"


def run_of(obj: dict) -> str | None:
    """The id of the run that created ``obj``; None for objects no run of ours created."""
    return ((obj.get("metadata") or {}).get("labels") or {}).get(RUN_LABEL)


def owned(obj: dict, run_id: str) -> dict:
    """``obj`` labelled as created by ``run_id`` (a copy)."""
    obj = copy.deepcopy(obj)
    metadata = obj.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), RUN_LABEL: run_id}
    return obj


# -- capacity ----------------------------------------------------------------------------------


def pod_memory_request(pod_spec: dict) -> int:
    """Bytes of memory a pod of ``pod_spec`` requests (the scheduler's fit), containers summed."""
    total = 0
    for container in pod_spec.get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        if requests.get("memory") is not None:
            total += int(parse_quantity(requests["memory"]))
    return total


def server_max_replicas(server: dict, hpas: list[dict]) -> int:
    """The most pods a Server can ask for: its ``maxReplicas``, else the maxReplicas of an HPA
    scaling it, else its ``replicas`` (at least 1)."""
    spec = server.get("spec") or {}
    if _int_or_none(spec.get("maxReplicas")):
        return int(spec["maxReplicas"])
    name = name_of(server)
    for hpa in hpas:
        target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if target.get("kind") == "Server" and target.get("name") == name:
            return int((hpa.get("spec") or {}).get("maxReplicas") or 1)
    return max(1, _int_or_none(spec.get("replicas")) or 1)


def allocatable_memory(nodes: list[dict]) -> int:
    """Bytes of memory the schedulable nodes can give to pods."""
    total = 0
    for node in nodes:
        if (node.get("spec") or {}).get("unschedulable"):
            continue
        memory = ((node.get("status") or {}).get("allocatable") or {}).get("memory")
        if memory is not None:
            total += int(parse_quantity(memory))
    return total


def gib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB"


def dropped_fields(sent: Any, stored: Any, path: str = "") -> list[str]:
    """Paths of fields in ``sent`` that ``stored`` lacks: what the API server pruned because
    the CRD's schema does not know them (a typo such as ``spec.minreplicas`` vanishes silently)."""
    if not isinstance(sent, dict) or not isinstance(stored, dict):
        return []
    dropped = []
    for key, value in sent.items():
        where = f"{path}.{key}" if path else key
        if key not in stored:
            dropped.append(where)
        else:
            dropped += dropped_fields(value, stored[key], where)
    return dropped
