"""The controller: ``horizontal.go`` reconcileAutoscaler over the pure stages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .conditions import (
    _DOWN_STABILIZED,
    ABLE_TO_SCALE,
    SCALING_ACTIVE,
    SCALING_LIMITED,
    Condition,
    set_condition,
)
from .defaults import set_defaults, tolerances_for_hpa
from .metrics import MetricsProposal, compute_replicas_for_metrics
from .normalization import (
    _events,
    _recommendations,
    convert_desired_replicas_with_behavior_rate,
    convert_desired_replicas_with_rules,
    stabilize_recommendation,
    stabilize_recommendation_with_behaviors,
    store_scale_event,
)
from .selectors import parse_selector, select_pods
from .types import (
    CPU_INITIALIZATION_PERIOD,
    DELAY_OF_INITIAL_READINESS_STATUS,
    SCALE_UP_LIMIT_FACTOR,
    SCALE_UP_LIMIT_MINIMUM,
    HPAError,
    Pod,
    Recommendation,
    Scale,
    SyncResult,
)


class HPAController:
    """One HPA as the controller-manager keeps it: spec, conditions and in-memory history.

    ``recommendations=None`` is a fresh controller: its first sync seeds the history with
    ``(spec.replicas, now)``. The event lists are ``(replica_change, timestamp)`` pairs.
    """

    def __init__(
        self,
        hpa_manifest: Mapping,
        *,
        tolerance: float = 0.1,
        downscale_stabilization_seconds: float = 300.0,
        configurable_tolerance: bool = True,
        recommendations: Iterable[tuple[int, float]] | None = None,
        scale_up_events: Iterable[tuple[int, float]] = (),
        scale_down_events: Iterable[tuple[int, float]] = (),
        cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
        delay_of_initial_readiness_status: float = DELAY_OF_INITIAL_READINESS_STATUS,
        scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR,
        scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM,
    ) -> None:
        self.tolerance = tolerance
        self.downscale_stabilization_seconds = downscale_stabilization_seconds
        self.configurable_tolerance = configurable_tolerance
        self.cpu_initialization_period = cpu_initialization_period
        self.delay_of_initial_readiness_status = delay_of_initial_readiness_status
        self.scale_up_limit_factor = scale_up_limit_factor
        self.scale_up_limit_minimum = scale_up_limit_minimum
        self.recommendations: list[Recommendation] | None = (
            None if recommendations is None else _recommendations(recommendations)
        )
        self.scale_up_events = _events(scale_up_events)
        self.scale_down_events = _events(scale_down_events)
        self.conditions: dict[str, Condition] = {}
        self.last_scale_time: float | None = None
        self.update(hpa_manifest)
        for condition in (hpa_manifest.get("status") or {}).get("conditions") or []:
            self.conditions[condition["type"]] = Condition(
                condition["status"], condition.get("reason", ""), condition.get("message", ""), 0.0
            )

    def update(self, hpa_manifest: Mapping) -> None:
        """Take a new version of the HPA object; history and conditions are kept."""
        spec = hpa_manifest.get("spec") or {}
        name = (hpa_manifest.get("metadata") or {}).get("name", "")
        if not isinstance(spec.get("maxReplicas"), int) or spec["maxReplicas"] < 1:
            raise HPAError(
                f"HorizontalPodAutoscaler/{name}: spec.maxReplicas: must be an integer >= 1"
            )
        if not (spec.get("scaleTargetRef") or {}).get("name"):
            raise HPAError(f"HorizontalPodAutoscaler/{name}: spec.scaleTargetRef.name: required")
        self.manifest = set_defaults(hpa_manifest)
        self.name = name
        self.namespace = (hpa_manifest.get("metadata") or {}).get("namespace", "")

    @property
    def spec(self) -> dict:
        return self.manifest["spec"]

    def _set_condition(
        self, now: float, type_: str, status: str, reason: str, message: str
    ) -> None:
        set_condition(self.conditions, type_, status, reason, message, now)

    def _scale_down_window(self) -> float:
        window = self.spec["behavior"]["scaleDown"].get("stabilizationWindowSeconds")
        return float(self.downscale_stabilization_seconds if window is None else window)

    def sync(
        self,
        now: float,
        scale: Scale | Mapping | BaseException,
        metrics: Sequence[object] = (),
        pods: Sequence[Pod] = (),
        *,
        other_hpa_selectors: Sequence[str] = (),
        update_error: BaseException | None = None,
    ) -> SyncResult:
        """One reconcile at time ``now``.

        ``scale`` is the target's Scale (or the exception GET /scale raised); ``metrics`` holds
        one observation per ``spec.metrics`` entry; ``pods`` what the pod lister returns;
        ``other_hpa_selectors`` the selectors of other HPAs in the namespace (ambiguity check);
        ``update_error`` makes the write of the new scale fail.
        """
        events: list[tuple[str, str, str]] = []
        if isinstance(scale, BaseException):
            message = f"the HPA controller was unable to get the target's current scale: {scale}"
            self._set_condition(now, ABLE_TO_SCALE, "False", "FailedGetScale", message)
            events.append(("Warning", "FailedGetScale", str(scale)))
            return self._result(0, 0, False, [], events, error=str(scale))
        scale = Scale.of(scale)
        self._set_condition(
            now,
            ABLE_TO_SCALE,
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        current = scale.spec_replicas
        if self.recommendations is None:
            self.recommendations = [Recommendation(current, now)]
        min_replicas = self.spec.get("minReplicas")
        min_replicas = 1 if min_replicas is None else int(min_replicas)
        max_replicas = int(self.spec["maxReplicas"])
        statuses: list[dict] = []
        reason = ""
        proposal = None
        error = None
        rescale = True
        if current == 0 and min_replicas != 0:
            desired = 0
            rescale = False
            self._set_condition(
                now,
                SCALING_ACTIVE,
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        elif current > max_replicas:
            reason = "Current number of replicas above Spec.MaxReplicas"
            desired = max_replicas
        elif current < min_replicas:
            reason = "Current number of replicas below Spec.MinReplicas"
            desired = min_replicas
        else:
            computed = self._compute_metrics(now, scale, metrics, pods, other_hpa_selectors, events)
            statuses = computed.statuses
            if computed.replicas == -1:
                events.append(("Warning", "FailedComputeMetricsReplicas", computed.error or ""))
                return self._result(current, current, False, statuses, events, error=computed.error)
            error = computed.error
            proposal = computed.replicas
            desired, rescale_metric = 0, ""
            if computed.replicas > desired:
                desired, rescale_metric = computed.replicas, computed.metric_name
            if desired > current:
                reason = f"{rescale_metric} above target"
            if desired < current:
                reason = "All metrics below target"
            if self.spec.get("behavior") is None:
                desired = self._normalize(now, current, desired, min_replicas, max_replicas)
            else:
                desired = self._normalize_with_behaviors(
                    now, current, desired, min_replicas, max_replicas
                )
            rescale = desired != current
        if rescale:
            if update_error is not None:
                events.append(
                    (
                        "Warning",
                        "FailedRescale",
                        f"New size: {desired}; reason: {reason}; error: {update_error}",
                    )
                )
                self._set_condition(
                    now,
                    ABLE_TO_SCALE,
                    "False",
                    "FailedUpdateScale",
                    f"the HPA controller was unable to update the target scale: {update_error}",
                )
                return self._result(
                    current, desired, False, statuses, events, reason, proposal, str(update_error)
                )
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            events.append(("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}"))
            self.scale_up_events, self.scale_down_events = store_scale_event(
                self.spec.get("behavior"),
                self.scale_up_events,
                self.scale_down_events,
                current,
                desired,
                now,
            )
            self.last_scale_time = now
        else:
            desired = current
        return self._result(current, desired, rescale, statuses, events, reason, proposal, error)

    def _compute_metrics(
        self,
        now: float,
        scale: Scale,
        metrics: Sequence[object],
        pods: Sequence[Pod],
        other_hpa_selectors: Sequence[str],
        events: list[tuple[str, str, str]],
    ) -> MetricsProposal:
        specs = self.spec["metrics"]
        blocked = self._validate_selector(now, scale.selector, pods, other_hpa_selectors, events)
        if blocked is not None:
            return MetricsProposal(-1, "", [], None, len(specs), blocked)
        selected = select_pods(pods, scale.selector)
        computed = compute_replicas_for_metrics(
            specs,
            metrics,
            spec_replicas=scale.spec_replicas,
            status_replicas=scale.status_replicas,
            pods=selected,
            tolerances=tolerances_for_hpa(
                self.spec.get("behavior"), self.tolerance, self.configurable_tolerance
            ),
            now=now,
            namespace=self.namespace,
            cpu_initialization_period=self.cpu_initialization_period,
            delay_of_initial_readiness_status=self.delay_of_initial_readiness_status,
        )
        if computed.replicas == -1:
            failure = computed.failure
            if failure is not None:
                self._set_condition(now, SCALING_ACTIVE, "False", failure.reason, failure.message)
        else:
            message = (
                "the HPA was able to successfully calculate a replica count from "
                f"{computed.metric_name}"
            )
            self._set_condition(now, SCALING_ACTIVE, "True", "ValidMetricFound", message)
        return computed

    def _validate_selector(
        self,
        now: float,
        selector: str,
        pods: Sequence[Pod],
        other_hpa_selectors: Sequence[str],
        events: list[tuple[str, str, str]],
    ) -> str | None:
        if selector == "":
            events.append(("Warning", "SelectorRequired", "selector is required"))
            self._set_condition(
                now,
                SCALING_ACTIVE,
                "False",
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
            )
            return "selector is required"
        try:
            selected = select_pods(pods, selector)
        except ValueError as error:
            message = (
                f"couldn't convert selector into a corresponding internal selector object: {error}"
            )
            events.append(("Warning", "InvalidSelector", message))
            self._set_condition(now, SCALING_ACTIVE, "False", "InvalidSelector", message)
            return message
        labelled = [p for p in selected if p.labels is not None]
        for other in other_hpa_selectors if labelled else ():
            matches = parse_selector(other)
            if any(matches(p.labels) for p in labelled):  # type: ignore[arg-type]
                message = (
                    f"pods by selector {selector} are controlled by multiple HPAs: "
                    f"[{self.namespace}/{self.name} {other}]"
                )
                events.append(("Warning", "AmbiguousSelector", message))
                self._set_condition(now, SCALING_ACTIVE, "False", "AmbiguousSelector", message)
                return message
        return None

    def _normalize(
        self, now: float, current: int, proposal: int, min_replicas: int, max_replicas: int
    ) -> int:
        stabilized, self.recommendations = stabilize_recommendation(
            self.recommendations or [], proposal, now, self.downscale_stabilization_seconds
        )
        if stabilized != proposal:
            self._set_condition(now, ABLE_TO_SCALE, "True", "ScaleDownStabilized", _DOWN_STABILIZED)
        else:
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        desired, reason, message = convert_desired_replicas_with_rules(
            current,
            stabilized,
            min_replicas,
            max_replicas,
            scale_up_limit_factor=self.scale_up_limit_factor,
            scale_up_limit_minimum=self.scale_up_limit_minimum,
        )
        self._set_condition(
            now, SCALING_LIMITED, "False" if desired == stabilized else "True", reason, message
        )
        return desired

    def _normalize_with_behaviors(
        self, now: float, current: int, proposal: int, min_replicas: int, max_replicas: int
    ) -> int:
        # the rules read the behavior; only the scale-down window differs from the spec's
        given = self.spec["behavior"]
        behavior = {
            **given,
            "scaleDown": {
                **given["scaleDown"],
                "stabilizationWindowSeconds": self._scale_down_window(),
            },
        }
        stabilized = stabilize_recommendation_with_behaviors(
            self.recommendations or [],
            current,
            proposal,
            now,
            float(behavior["scaleUp"]["stabilizationWindowSeconds"]),
            float(behavior["scaleDown"]["stabilizationWindowSeconds"]),
        )
        self.recommendations = stabilized.recommendations
        if stabilized.replicas != proposal:
            self._set_condition(now, ABLE_TO_SCALE, "True", stabilized.reason, stabilized.message)
        else:
            self._set_condition(
                now,
                ABLE_TO_SCALE,
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        desired, reason, message = convert_desired_replicas_with_behavior_rate(
            current,
            stabilized.replicas,
            min_replicas,
            max_replicas,
            behavior,
            self.scale_up_events,
            self.scale_down_events,
            now,
        )
        self._set_condition(
            now,
            SCALING_LIMITED,
            "False" if desired == stabilized.replicas else "True",
            reason,
            message,
        )
        return desired

    def _result(
        self,
        current: int,
        desired: int,
        rescaled: bool,
        statuses: list[dict],
        events: list[tuple[str, str, str]],
        reason: str = "",
        proposal: int | None = None,
        error: str | None = None,
    ) -> SyncResult:
        return SyncResult(
            current_replicas=current,
            desired_replicas=desired,
            rescaled=rescaled,
            conditions={t: (c.status, c.reason) for t, c in self.conditions.items()},
            current_metrics=[s for s in statuses if s],
            reason=reason,
            proposal=proposal,
            error=error,
            events=events,
            messages={t: c.message for t, c in self.conditions.items()},
        )

    def status(self, result: SyncResult) -> dict:
        """The HPA ``status`` a controller writes after ``result`` (times as given)."""
        status: dict = {
            "currentReplicas": result.current_replicas,
            "desiredReplicas": result.desired_replicas
            if result.rescaled
            else result.current_replicas,
            "currentMetrics": result.current_metrics,
            "conditions": [
                {
                    "type": type_,
                    "status": c.status,
                    "reason": c.reason,
                    "message": c.message,
                    "lastTransitionTime": c.last_transition,
                }
                for type_, c in self.conditions.items()
            ],
        }
        if self.last_scale_time is not None:
            status["lastScaleTime"] = self.last_scale_time
        return status
