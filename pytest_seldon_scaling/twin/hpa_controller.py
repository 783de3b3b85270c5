"""The HorizontalPodAutoscaler controller on the twin: a sync loop around :mod:`..hpa`.

Each HPA is synced when it is created and then every ``hpa_sync_period`` seconds. A sync reads
the target's ``/scale`` (Model or Server), asks the Prometheus Adapter for every metric
(:func:`.adapter.resolve_query` once per rules and spec, then
:func:`.adapter.evaluate_query` over the scraped agent counters), lists the namespace's pods
(the Model selector ``server=<name>`` matches none, the Server selector
``seldon-server-name=<name>`` matches the server pods), runs
:meth:`pytest_seldon_scaling.hpa.HPAController.sync`, writes ``spec.replicas`` through the
target's ``/scale`` when it rescales, and writes the HPA status. Resource (CPU/memory),
Pods and External metrics are not modelled: they are reported as unavailable metrics, so
the HPA shows the failure a cluster without those metrics would show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import simpy

from ..cluster import ClusterError
from ..hpa import HPAController, HPAError, MetricUnavailable, Pod
from ..timeline import HPASample, Timeline
from .adapter import AdapterRule, MetricQuery, MetricsDB, evaluate_query, resolve_query
from .controller import timestamp
from .settings import TwinSettings
from .store import ObjectStore

RulesProvider = Callable[[], tuple[Sequence[AdapterRule], str | None]]


class HPAControllers:
    """Every HPA of the namespace, each with its own sync loop."""

    def __init__(
        self,
        env: simpy.Environment,
        settings: TwinSettings,
        store: ObjectStore,
        timeline: Timeline,
        metrics: MetricsDB,
        rules: RulesProvider,
        pods: Callable[[str], list[Pod]],
    ) -> None:
        self.env = env
        self.settings = settings
        self.store = store
        self.timeline = timeline
        self.metrics = metrics
        self.rules = rules
        self.pods = pods
        self.controllers: dict[str, HPAController] = {}
        # The selector each HPA last read from its target's /scale, indexed by selector: the
        # controller-manager's hpaSelectors (horizontal.go validateAndParseSelector puts it on
        # every reconcile), so the ambiguity check costs the distinct selectors, not every HPA.
        self._selector_of: dict[str, str] = {}
        self._hpas_by_selector: dict[str, set[str]] = {}
        self._selectors: list[str] | None = None  # the keys above, until they change
        # per controller: (rules, spec.metrics, their resolved adapter queries)
        self._queries: dict[int, tuple[list[AdapterRule], list, list]] = {}
        store.watch(self._on_change)

    def _on_change(self, event: str, ref: str, obj: dict) -> None:
        if not ref.startswith("hpa/"):
            return
        if event == "DELETED":
            controller = self.controllers.pop(ref, None)
            self._queries.pop(id(controller), None)
            self._put_selector(ref, None)
            return
        controller = self.controllers.get(ref)
        try:
            if controller is None:
                self.controllers[ref] = HPAController(
                    obj,
                    tolerance=self.settings.hpa_tolerance,
                    downscale_stabilization_seconds=self.settings.hpa_downscale_stabilization,
                )
                self.env.process(self._loop(ref, self.controllers[ref]))
            else:
                controller.update(obj)
        except HPAError as error:
            self.timeline.record_event(self.env.now, ref, "FailedUpdate", str(error))

    def _loop(self, ref: str, controller: HPAController):
        yield self.env.timeout(0)
        while self.controllers.get(ref) is controller:
            self.sync(ref, controller)
            yield self.env.timeout(self.settings.hpa_sync_period)

    def _target(self, controller: HPAController) -> tuple[str, dict | ClusterError]:
        target = controller.spec["scaleTargetRef"]
        kind = str(target.get("kind", "")).lower()
        ref = f"{kind}/{target['name']}"
        if kind not in ("model", "server"):
            return ref, ClusterError(f"no /scale for {target.get('kind')} {target['name']}")
        if not self.store.exists(ref):
            return ref, ClusterError(f'{kind}s.mlops.seldon.io "{target["name"]}" not found')
        return ref, self.store.get_scale(ref)

    def _observations(self, controller: HPAController) -> list[object]:
        rules, broken = self.rules()
        metrics = controller.spec.get("metrics") or []
        cached = self._queries.get(id(controller))
        if cached is None or cached[0] is not rules or cached[1] is not metrics:
            cached = (rules, metrics, self._resolve(rules, broken, metrics))
            self._queries[id(controller)] = cached
        observations: list[object] = []
        for query in cached[2]:
            if isinstance(query, MetricQuery):
                try:
                    observations.append(evaluate_query(query, self.metrics, self.env.now))
                except MetricUnavailable as error:
                    observations.append(error)
            else:
                observations.append(query)
        return observations

    def _resolve(
        self, rules: list[AdapterRule], broken: str | None, metrics: list
    ) -> list[MetricQuery | MetricUnavailable]:
        """Per ``spec.metrics`` entry, the adapter query serving it, or why none can (kept
        while the adapter's rules and the HPA's spec stay the same objects)."""
        resolved: list[MetricQuery | MetricUnavailable] = []
        for metric in metrics:
            kind = metric.get("type")
            if kind != "Object":
                resolved.append(MetricUnavailable(f"{kind} metrics are not modelled by the twin"))
                continue
            source = metric.get("object") or {}
            described = source.get("describedObject") or {}
            api_version = str(described.get("apiVersion", ""))
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            name = (source.get("metric") or {}).get("name", "")
            selector = ((source.get("metric") or {}).get("selector") or {}).get("matchLabels")
            if broken:
                resolved.append(MetricUnavailable(broken))
                continue
            try:
                resolved.append(
                    resolve_query(
                        rules,
                        name,
                        group=group,
                        resource=str(described.get("kind", "")),
                        name=str(described.get("name", "")),
                        namespace=self.store.namespace,
                        selector=selector,
                    )
                )
            except MetricUnavailable as error:
                resolved.append(error)
        return resolved

    def _put_selector(self, ref: str, selector: str | None) -> None:
        old = self._selector_of.get(ref)
        if old == (selector or None):
            return
        if old is not None:
            del self._selector_of[ref]
            holders = self._hpas_by_selector[old]
            holders.discard(ref)
            if not holders:
                del self._hpas_by_selector[old]
                self._selectors = None
        if selector:
            self._selector_of[ref] = selector
            if selector not in self._hpas_by_selector:
                self._selectors = None
            self._hpas_by_selector.setdefault(selector, set()).add(ref)

    def _other_selectors(self, ref: str) -> list[str]:
        """Selectors some other HPA holds (a selector only ``ref`` holds is not another's)."""
        if self._selectors is None:
            self._selectors = list(self._hpas_by_selector)
        own = self._selector_of.get(ref)
        if own is not None and self._hpas_by_selector[own] == {ref}:
            return [s for s in self._selectors if s != own]
        return self._selectors

    def sync(self, ref: str, controller: HPAController) -> None:
        target_ref, scale = self._target(controller)
        selector = (scale["status"].get("selector") or "") if isinstance(scale, dict) else ""
        self._put_selector(ref, selector)
        others = self._other_selectors(ref)
        result = controller.sync(
            self.env.now,
            scale,
            self._observations(controller),
            self.pods(selector),
            other_hpa_selectors=others,
        )
        if result.rescaled and isinstance(scale, dict):
            self.store.set_scale(target_ref, result.desired_replicas)
            self.timeline.record_event(
                self.env.now,
                target_ref,
                "SuccessfulRescale",
                f"{ref}: New size: {result.desired_replicas}; reason: {result.reason}",
            )
        status = controller.status(result)
        for condition in status["conditions"]:
            condition["lastTransitionTime"] = timestamp(condition["lastTransitionTime"])
        if "lastScaleTime" in status:
            status["lastScaleTime"] = timestamp(status["lastScaleTime"])
        self.store.set_status(ref, status, handed_over=True)
        self.timeline.record_hpa(
            HPASample(
                self.env.now,
                ref,
                result.current_replicas,
                result.desired_replicas,
                result.metric_values,
                result.conditions,  # built for this result: the sample may keep it
            )
        )
