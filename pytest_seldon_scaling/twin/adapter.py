"""Prometheus and the Prometheus Adapter, just enough to turn agent counters into ``infer_rps``.

``parse_adapter_config`` reads the adapter ``ConfigMap`` the user applied (``config.yaml`` with
``rules``: ``seriesQuery``, ``resources.overrides``, ``name.matches``/``as``, ``metricsQuery``).
The twin evaluates the metrics queries of the shape Seldon documents,
``<agg> by (<<.GroupBy>>) (<fn>(<<.Series>>{<<.LabelMatchers>>}[W]))`` with ``fn`` one of
``rate``, ``increase``, ``irate`` and ``agg`` one of ``sum``, ``avg``, ``max``, ``min``; any other
shape is reported as an error naming the ConfigMap and the field, never guessed.

:class:`MetricsDB` keeps scraped samples of counters and evaluates ``rate`` with Prometheus's
extrapolation (``extrapolatedRate`` in ``promql/functions.go``), so a 2 m window, the 15 s
scrape interval and a pod that disappeared behave as they do on a real cluster. The adapter's
periodic re-listing of series (``--metrics-relist-interval``) is not modelled: a series is
queryable from its second sample on.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .. import adapter_rules
from ..adapter_rules import AdapterConfigError, Matcher
from ..hpa import MetricUnavailable
from ..load.profile import ProfileError, parse_duration

_QUERY = re.compile(
    r"^\s*(?P<agg>sum|avg|max|min)\s+by\s*\(\s*<<\.GroupBy>>\s*\)\s*\(\s*"
    r"(?P<fn>rate|irate|increase)\s*\(\s*<<\.Series>>\s*\{\s*<<\.LabelMatchers>>\s*\}\s*"
    r"\[\s*(?P<window>[0-9]+(?:ms|s|m|h))\s*\]\s*\)\s*\)\s*$",
    re.S,
)


@dataclass(frozen=True)
class AdapterRule:
    """One ``rules[]`` entry (parsed by :mod:`..adapter_rules`) with its query compiled."""

    rule: adapter_rules.AdapterRule
    series: str
    aggregation: str
    function: str
    window: float

    @property
    def index(self) -> int:
        return self.rule.index

    @property
    def series_matchers(self) -> tuple[Matcher, ...]:
        return tuple(m for m in self.rule.matchers or () if m.label != "__name__")

    def metric_name(self) -> str | None:
        return self.rule.metric_name()

    def label_for(self, group: str, resource: str) -> str | None:
        return self.rule.label_for(group, resource)


def parse_adapter_config(configmap: Mapping) -> list[AdapterRule]:
    """The custom-metric rules of a Prometheus Adapter ConfigMap (``data["config.yaml"]``)."""
    name = adapter_rules.configmap_name(configmap)
    if adapter_rules.config_text(configmap) is None:
        raise AdapterConfigError(f"{name}: data.config.yaml: missing")
    config = adapter_rules.load_config(configmap) or {}
    if not isinstance(config.get("rules"), list):
        raise AdapterConfigError(f"{name}: data.config.yaml rules: must be a list")
    return [_compile(rule) for rule in adapter_rules.parse_rules(config, name) if not rule.external]


def _compile(rule: adapter_rules.AdapterRule) -> AdapterRule:
    if rule.problems:
        raise AdapterConfigError(f"{rule.where}.{rule.problems[0]}")
    if rule.series is None or not any(m.label == "__name__" for m in rule.matchers or ()):
        raise AdapterConfigError(f'{rule.where}.seriesQuery: needs {{__name__="<series>"}}')
    match = _QUERY.match(rule.metrics_query)
    if match is None:
        raise AdapterConfigError(
            f"{rule.where}.metricsQuery: the twin evaluates '<sum|avg|max|min> by (<<.GroupBy>>) "
            f"(<rate|irate|increase>(<<.Series>>{{<<.LabelMatchers>>}}[W]))', not "
            f"{rule.metrics_query!r}"
        )
    try:
        window = parse_duration(match["window"])
    except ProfileError as error:
        raise AdapterConfigError(f"{rule.where}.metricsQuery: {error}") from None
    return AdapterRule(rule, rule.series, match["agg"], match["fn"], window)


# -- samples and queries ---------------------------------------------------------------------


@dataclass
class Series:
    labels: dict[str, str]
    samples: deque = field(default_factory=deque)  # (t, value)


class MetricsDB:
    """Scraped counter samples, kept for ``retention`` seconds."""

    def __init__(self, retention: float = 900.0) -> None:
        self.retention = retention
        self._series: dict[tuple, Series] = {}
        # (__name__, label, value) -> series keys: a query with an equality matcher reads only
        # the series carrying that label value, so a query costs its own series, not the DB's
        # (dicts as ordered sets: series are read in scrape order, as without the index)
        self._index: dict[tuple[str, str, str], dict[tuple, None]] = {}
        # select() results until a series appears or goes: HPAs ask the same query every sync
        self._selected: dict[tuple[str, tuple[Matcher, ...]], list[Series]] = {}

    def scrape(self, t: float, samples: Iterable[tuple[Mapping[str, str], float]]) -> None:
        self.scrape_series(
            t, [(tuple(sorted(labels.items())), labels, value) for labels, value in samples]
        )

    def scrape_series(
        self, t: float, samples: Iterable[tuple[tuple, Mapping[str, str], float]]
    ) -> None:
        """:meth:`scrape` with each series' identity (its sorted label pairs) given."""
        for key, labels, value in samples:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series(dict(labels))
                self._selected.clear()
                for index_key in _index_keys(series.labels):
                    self._index.setdefault(index_key, {})[key] = None
            series.samples.append((t, value))
        horizon = t - self.retention
        for key in [k for k, s in self._series.items() if s.samples[-1][0] < horizon]:
            self._selected.clear()
            for index_key in _index_keys(self._series.pop(key).labels):
                keys = self._index[index_key]
                del keys[key]
                if not keys:
                    del self._index[index_key]
        for series in self._series.values():
            while series.samples and series.samples[0][0] < horizon:
                series.samples.popleft()

    def select(self, name: str, matchers: Sequence[Matcher]) -> list[Series]:
        key = (name, matchers if isinstance(matchers, tuple) else tuple(matchers))
        selected = self._selected.get(key)
        if selected is None:
            selected = self._selected[key] = self._select(name, matchers)
        return selected

    def _select(self, name: str, matchers: Sequence[Matcher]) -> list[Series]:
        buckets = [
            self._index.get((name, m.label, m.value), {})
            for m in matchers
            if m.op == "=" and m.value and m.label != "__name__"
        ]
        if buckets:
            candidates = [self._series[k] for k in min(buckets, key=len)]
        else:
            candidates = list(self._series.values())
        return [
            s
            for s in candidates
            if s.labels.get("__name__") == name and all(m.matches(s.labels) for m in matchers)
        ]


def _index_keys(labels: Mapping[str, str]) -> list[tuple[str, str, str]]:
    name = labels.get("__name__", "")
    return [(name, label, value) for label, value in labels.items() if label != "__name__"]


def _in_range(
    samples: Sequence[tuple[float, float]], start: float, end: float
) -> list[tuple[float, float]]:
    """The samples with ``start < t <= end``, oldest first.

    Samples are in scrape order, so the range is found from the newest end: a 2 m window
    over the 15 minutes kept reads its 8 samples, not all 60.
    """
    points = []
    for point in reversed(samples):
        t = point[0]
        if t <= start:
            break
        if t <= end:
            points.append(point)
    points.reverse()
    return points


def extrapolated_rate(
    samples: Sequence[tuple[float, float]], start: float, end: float, *, is_rate: bool
) -> float | None:
    """Prometheus ``rate``/``increase`` over the range ``(start, end]`` (None: < 2 samples).

    ``samples`` are ``(t, value)`` in time order, as a series holds them.
    """
    points = _in_range(samples, start, end)
    if len(points) < 2:
        return None
    first_t, first_v = points[0]
    last_t, last_v = points[-1]
    result = last_v - first_v
    previous = first_v
    for _, value in points[1:]:
        if value < previous:  # counter reset
            result += previous
        previous = value
    sampled = last_t - first_t
    average_step = sampled / (len(points) - 1)
    to_start = first_t - start
    to_end = end - last_t
    if result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        to_start = min(to_start, to_zero)
    threshold = average_step * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average_step / 2
    interval += to_end if to_end < threshold else average_step / 2
    result *= interval / sampled
    return result / (end - start) if is_rate else result


def _irate(samples: Sequence[tuple[float, float]], start: float, end: float) -> float | None:
    points = _in_range(samples, start, end)
    if len(points) < 2:
        return None
    (t0, v0), (t1, v1) = points[-2], points[-1]
    increase = v1 - v0 if v1 >= v0 else v1
    return increase / (t1 - t0)


@dataclass(frozen=True)
class MetricQuery:
    """The adapter's query for one custom metric of one object: the rule that serves it and
    the series matchers (the rule's own, the object's label, namespace and selector)."""

    rule: AdapterRule
    matchers: tuple[Matcher, ...]
    metric: str
    resource: str
    name: str


def resolve_query(
    rules: Sequence[AdapterRule],
    metric: str,
    *,
    group: str,
    resource: str,
    name: str,
    namespace: str,
    selector: Mapping[str, str] | None = None,
) -> MetricQuery:
    """The query the adapter runs for ``<resource>/<name>/<metric>`` (a pure function of the
    rules and the request, so callers may keep it while neither changes).

    Raises :class:`MetricUnavailable` (the HPA's FailedGetObjectMetric) when no rule serves
    the metric for that resource.
    """
    candidates = [r for r in rules if r.metric_name() == metric]
    rule = next((r for r in candidates if r.label_for(group, resource)), None)
    if rule is None:
        raise MetricUnavailable(
            f'unable to get metric {metric}: no adapter rule serves "{metric}" for '
            f"{resource}.{group or 'core'}"
            + ("" if rules else " (no Prometheus Adapter ConfigMap applied)")
        )
    label = rule.label_for(group, resource)
    matchers = [*list(rule.series_matchers), Matcher(label, "=", name)]
    namespace_label = rule.label_for("", "namespace")
    if namespace_label:
        matchers.append(Matcher(namespace_label, "=", namespace))
    matchers += [Matcher(k, "=", str(v)) for k, v in (selector or {}).items()]
    return MetricQuery(rule, tuple(matchers), metric, resource, name)


_AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "max": max,
    "min": min,
    "avg": lambda values: sum(values) / len(values),
}


def evaluate_query(query: MetricQuery, db: MetricsDB, now: float) -> float:
    """Run ``query`` over the scraped samples at ``now``: the value the metrics API returns.

    Raises :class:`MetricUnavailable` when the query returns no series.
    """
    rule = query.rule
    values = []
    for series in db.select(rule.series, query.matchers):
        if rule.function == "irate":
            value = _irate(series.samples, now - rule.window, now)
        else:
            value = extrapolated_rate(
                series.samples, now - rule.window, now, is_rate=rule.function == "rate"
            )
        if value is not None:
            values.append(value)
    if not values:
        raise MetricUnavailable(
            f"unable to get metric {query.metric}: the server could not find the metric "
            f"{query.metric} for {query.resource} {query.name}"
        )
    return float(_AGGREGATE[rule.aggregation](values))


def query_metric(
    rules: Sequence[AdapterRule],
    db: MetricsDB,
    now: float,
    metric: str,
    *,
    group: str,
    resource: str,
    name: str,
    namespace: str,
    selector: Mapping[str, str] | None = None,
) -> float:
    """What ``custom.metrics.k8s.io`` returns for ``<resource>/<name>/<metric>`` at ``now``.

    Raises :class:`MetricUnavailable` (the HPA's FailedGetObjectMetric) when no rule serves
    the metric for that resource, or the query returns no series.
    """
    query = resolve_query(
        rules,
        metric,
        group=group,
        resource=resource,
        name=name,
        namespace=namespace,
        selector=selector,
    )
    return evaluate_query(query, db, now)
