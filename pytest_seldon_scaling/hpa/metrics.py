"""One metric and several: ``horizontal.go`` computeReplicasForMetric[s]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..quantity import milli_value
from .replica_calculator import (
    _pod_metrics,
    get_external_metric_replicas,
    get_external_per_pod_metric_replicas,
    get_metric_replicas,
    get_object_metric_replicas,
    get_object_per_pod_metric_replicas,
    get_raw_resource_replicas,
    get_resource_replicas,
)
from .types import (
    CPU_INITIALIZATION_PERIOD,
    DEFAULT_TOLERANCES,
    DELAY_OF_INITIAL_READINESS_STATUS,
    HPAError,
    MetricFailure,
    MetricProposal,
    MetricUnavailable,
    Pod,
    Tolerances,
    _observed_milli,
    format_milli,
)


def _unable(reason: str, error: object) -> MetricFailure:
    return MetricFailure(reason, f"the HPA was unable to compute the replica count: {error}")


def _selector_text(metric: Mapping) -> str:
    selector = metric.get("selector")
    return "nil" if selector is None else str(selector)


def compute_replicas_for_metric(
    metric_spec: Mapping,
    observation: object,
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod] = (),
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    now: float = 0.0,
    namespace: str = "",
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> MetricProposal:
    """The replica proposal of one ``spec.metrics`` entry for its observation.

    ``observation`` is the metric's value (Object; External: a value or a list of series), a
    ``{pod: value}`` mapping (Pods, Resource, ContainerResource), or an exception when the metric
    could not be read. Raises :class:`MetricFailure` with the ScalingActive reason.
    """
    kind = metric_spec.get("type")
    readiness = (cpu_initialization_period, delay_of_initial_readiness_status)
    if kind == "Object":
        return _object_proposal(
            metric_spec["object"],
            observation,
            spec_replicas,
            status_replicas,
            pods,
            tolerances,
            namespace,
        )
    if kind == "Pods":
        return _pods_proposal(
            metric_spec["pods"], observation, spec_replicas, pods, tolerances, now
        )
    if kind in ("Resource", "ContainerResource"):
        source = metric_spec["resource" if kind == "Resource" else "containerResource"]
        reason = (
            "FailedGetResourceMetric" if kind == "Resource" else "FailedGetContainerResourceMetric"
        )
        container = source.get("container") if kind == "ContainerResource" else None
        try:
            return _resource_proposal(
                kind,
                source,
                observation,
                spec_replicas,
                pods,
                tolerances,
                now,
                container,
                readiness,
            )
        except MetricUnavailable as error:
            raise _unable(
                reason, f"failed to get {source.get('name')} resource metric value: {error}"
            ) from None
    if kind == "External":
        return _external_proposal(
            metric_spec["external"],
            observation,
            spec_replicas,
            status_replicas,
            pods,
            tolerances,
            namespace,
        )
    error = f'unknown metric source type "{kind}"'
    raise _unable("InvalidMetricSourceType", error)


def _raise_if_error(observation: object) -> None:
    if isinstance(observation, BaseException):
        raise MetricUnavailable(str(observation) or type(observation).__name__)


def _object_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    namespace: str,
) -> MetricProposal:
    metric = source.get("metric") or {}
    described = source.get("describedObject") or {}
    target = source.get("target") or {}
    name = metric.get("name", "")
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    try:
        if target.get("type") == "Value" and target.get("value") is not None:
            try:
                _raise_if_error(observation)
                usage = _observed_milli(observation, f"metric {name}")
            except MetricUnavailable as error:
                raise MetricUnavailable(
                    f"unable to get metric {name}: {described.get('kind')} on {namespace} "
                    f"{described.get('name')}/{error}"
                ) from None
            replicas, usage = get_object_metric_replicas(
                spec_replicas, milli_value(target["value"]), usage, tolerances, pods
            )
            status = {
                "type": "Object",
                "object": {
                    "describedObject": dict(described),
                    "metric": identity,
                    "current": {"value": format_milli(usage)},
                },
            }
            return MetricProposal(replicas, f"{described.get('kind')} metric {name}", status)
        if target.get("type") == "AverageValue" and target.get("averageValue") is not None:
            try:
                _raise_if_error(observation)
                usage = _observed_milli(observation, f"metric {name}")
            except MetricUnavailable as error:
                raise MetricUnavailable(f"failed to get {name} object metric: {error}") from None
            replicas, average = get_object_per_pod_metric_replicas(
                status_replicas, milli_value(target["averageValue"]), usage, tolerances
            )
            status = {
                "type": "Object",
                "object": {
                    "describedObject": dict(described),
                    "metric": identity,
                    "current": {"averageValue": format_milli(average)},
                },
            }
            return MetricProposal(
                replicas, f"external metric {name}({_selector_text(metric)})", status
            )
        raise MetricUnavailable(
            "invalid object metric source: neither a value target nor an average value target "
            "was set"
        )
    except MetricUnavailable as error:
        raise _unable(
            "FailedGetObjectMetric", f"failed to get object metric value: {error}"
        ) from None


def _pods_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    now: float,
) -> MetricProposal:
    metric = source.get("metric") or {}
    name = metric.get("name", "")
    target = source.get("target") or {}
    try:
        if target.get("averageValue") is None:
            raise MetricUnavailable("invalid pods metric source: no average value target was set")
        try:
            _raise_if_error(observation)
            values = _pod_metrics(observation, f"metric {name}")  # type: ignore[arg-type]
        except MetricUnavailable as error:
            raise MetricUnavailable(f"unable to get metric {name}: {error}") from None
        replicas, usage = get_metric_replicas(
            spec_replicas, milli_value(target["averageValue"]), values, tolerances, pods, now
        )
    except MetricUnavailable as error:
        raise _unable("FailedGetPodsMetric", f"failed to get pods metric value: {error}") from None
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    status = {
        "type": "Pods",
        "pods": {"metric": identity, "current": {"averageValue": format_milli(usage)}},
    }
    return MetricProposal(replicas, f"pods metric {name}", status)


def _resource_proposal(
    kind: str,
    source: Mapping,
    observation: object,
    spec_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    now: float,
    container: str | None,
    readiness: tuple[float, float],
) -> MetricProposal:
    resource = source.get("name", "")
    target = source.get("target") or {}
    key = "resource" if kind == "Resource" else "containerResource"
    identity = {"name": resource, **({"container": container} if container else {})}
    if target.get("averageValue") is not None:
        _raise_if_error(observation)
        values = _pod_metrics(observation, f"resource {resource}")  # type: ignore[arg-type]
        replicas, raw = get_raw_resource_replicas(
            spec_replicas,
            milli_value(target["averageValue"]),
            resource,
            values,
            tolerances,
            pods,
            now,
            *readiness,
        )
        status = {"type": kind, key: {**identity, "current": {"averageValue": format_milli(raw)}}}
        return MetricProposal(replicas, f"{resource} resource", status)
    if target.get("averageUtilization") is None:
        raise MetricUnavailable(
            "invalid resource metric source: neither an average utilization target nor an "
            "average value (usage) target was set"
        )
    _raise_if_error(observation)
    values = _pod_metrics(observation, f"resource {resource}")  # type: ignore[arg-type]
    replicas, utilization, raw = get_resource_replicas(
        spec_replicas,
        int(target["averageUtilization"]),
        resource,
        values,
        tolerances,
        pods,
        now,
        container,
        *readiness,
    )
    label = "container resource" if kind == "ContainerResource" else "resource"
    status = {
        "type": kind,
        key: {
            **identity,
            "current": {"averageUtilization": utilization, "averageValue": format_milli(raw)},
        },
    }
    return MetricProposal(
        replicas, f"{resource} {label} utilization (percentage of request)", status
    )


def _external_proposal(
    source: Mapping,
    observation: object,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod],
    tolerances: Tolerances,
    namespace: str,
) -> MetricProposal:
    metric = source.get("metric") or {}
    name = metric.get("name", "")
    target = source.get("target") or {}
    identity = {
        "name": name,
        **({"selector": metric["selector"]} if metric.get("selector") else {}),
    }
    described = f"external metric {name}({_selector_text(metric)})"
    try:
        if target.get("averageValue") is None and target.get("value") is None:
            raise MetricUnavailable(
                "invalid external metric source: neither a value target nor an average value "
                "target was set"
            )
        try:
            _raise_if_error(observation)
            series = observation if isinstance(observation, list | tuple) else [observation]
            values = [_observed_milli(v, f"external metric {name}") for v in series]
        except MetricUnavailable as error:
            raise MetricUnavailable(
                f"unable to get external metric {namespace}/{name}/{_selector_text(metric)}: "
                f"{error}"
            ) from None
        if target.get("averageValue") is not None:
            replicas, usage = get_external_per_pod_metric_replicas(
                status_replicas, milli_value(target["averageValue"]), values, tolerances
            )
            current = {"averageValue": format_milli(usage)}
        else:
            replicas, usage = get_external_metric_replicas(
                spec_replicas, milli_value(target["value"]), values, tolerances, pods
            )
            current = {"value": format_milli(usage)}
    except MetricUnavailable as error:
        raise _unable(
            "FailedGetExternalMetric", f"failed to get {name} external metric value: {error}"
        ) from None
    return MetricProposal(
        replicas,
        described,
        {"type": "External", "external": {"metric": identity, "current": current}},
    )


@dataclass
class MetricsProposal:
    """The combined proposal; ``replicas`` is -1 when the metrics forbid scaling."""

    replicas: int
    metric_name: str
    statuses: list[dict]
    failure: MetricFailure | None
    invalid_count: int
    error: str | None


def compute_replicas_for_metrics(
    metric_specs: Sequence[Mapping],
    observations: Sequence[object],
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod] = (),
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    now: float = 0.0,
    namespace: str = "",
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
    delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
) -> MetricsProposal:
    """Max over valid proposals; invalid metrics block scale-down (and everything if all fail)."""
    if len(observations) != len(metric_specs):
        raise HPAError(
            f"{len(metric_specs)} metrics in spec.metrics but {len(observations)} observations"
        )
    replicas, metric_name = 0, ""
    statuses: list[dict] = []
    first_failure: MetricFailure | None = None
    invalid = 0
    for metric_spec, observation in zip(metric_specs, observations, strict=True):
        try:
            proposal = compute_replicas_for_metric(
                metric_spec,
                observation,
                spec_replicas=spec_replicas,
                status_replicas=status_replicas,
                pods=pods,
                tolerances=tolerances,
                now=now,
                namespace=namespace,
                cpu_initialization_period=cpu_initialization_period,
                delay_of_initial_readiness_status=delay_of_initial_readiness_status,
            )
        except MetricFailure as failure:
            if first_failure is None:
                first_failure = failure
            invalid += 1
            statuses.append({})
            continue
        statuses.append(proposal.status)
        if replicas == 0 or proposal.replicas > replicas:
            replicas, metric_name = proposal.replicas, proposal.metric_name
    error = None
    if first_failure is not None:
        cause = first_failure.message.removeprefix(
            "the HPA was unable to compute the replica count: "
        )
        error = (
            f"invalid metrics ({invalid} invalid out of {len(metric_specs)}), "
            f"first error is: {cause}"
        )
    if invalid >= len(metric_specs) or (invalid > 0 and replicas < spec_replicas):
        return MetricsProposal(-1, "", statuses, first_failure, invalid, error)
    return MetricsProposal(replicas, metric_name, statuses, None, invalid, error)
