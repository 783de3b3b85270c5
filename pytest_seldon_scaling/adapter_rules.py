"""Prometheus Adapter discovery rules, parsed once for lint, the suites and the twin.

The adapter reads ``config.yaml`` of its ConfigMap: ``rules`` (custom metrics) and
``externalRules``, each with ``seriesQuery``, ``resources`` (``overrides`` label -> group
resource, or a ``template``), ``name`` (``matches``/``as``) and ``metricsQuery``. This module
keeps the structure only; what a rule exposes follows prometheus-adapter
(kubernetes-sigs/prometheus-adapter v0.12, ``pkg/naming/metric_namer.go``): an empty ``as`` is
``$0`` without capture groups and ``$1`` with one, and the metric name is the template
*expanded* from the match (``Regexp.ExpandString``), not a replace-all over the series name.
The twin compiles ``metricsQuery`` on top (:mod:`.twin.adapter`); lint only asks which names
and resources a rule serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

SELDON_GROUP = "mlops.seldon.io"
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
_LEADING_NAME = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{|$)")


class AdapterConfigError(ValueError):
    """An adapter config that cannot be read; the message names the object and field."""


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class AdapterRule:
    """One ``rules[]`` / ``externalRules[]`` entry as written."""

    where: str  # "ConfigMap/x: data.config.yaml rules[0]"
    index: int
    external: bool
    series_query: str
    matchers: tuple[Matcher, ...] | None  # None: the selector does not parse
    resources: Mapping[str, tuple[str, str]]  # override label -> (group, resource)
    resources_template: bool
    name_matches: str
    name_as: str
    metrics_query: str
    problems: tuple[str, ...] = ()  # structural problems, each "field: what"

    @property
    def series(self) -> str | None:
        """The series the rule selects, when its query names exactly one."""
        names = [m.value for m in self.matchers or () if m.label == "__name__" and m.op == "="]
        if names:
            return names[0]
        leading = _LEADING_NAME.match(self.series_query)
        return leading[1] if leading else None

    def metric_names(self) -> frozenset[str] | None:
        """Metric names the rule exposes; None when that cannot be told statically."""
        try:
            pattern = re.compile(self.name_matches)
        except re.error:
            return None  # the adapter refuses the rule too
        template = self.name_as or ("$1" if pattern.groups == 1 else "$0")
        if "$" not in template:
            return frozenset({template})
        series = self.series
        if series is None:
            return None
        found = pattern.search(series)
        if found is None:
            return frozenset()
        groups = [found[0], *found.groups()]

        def expand(m: re.Match) -> str:
            index = int(m[1] or m[2])
            return (groups[index] or "") if index < len(groups) else ""

        return frozenset({re.sub(r"\$\{(\d+)\}|\$(\d+)", expand, template)})

    def metric_name(self) -> str | None:
        names = self.metric_names()
        return next(iter(names)) if names and len(names) == 1 else None

    def label_for(self, group: str, resource: str) -> str | None:
        """The series label the adapter maps to ``resource.group`` (Model, servers, pod...)."""
        for label, (rule_group, rule_resource) in self.resources.items():
            if rule_group == group and _singular(rule_resource) == _singular(resource):
                return label
        return None

    def serves(self, kind: str) -> bool | None:
        """Whether an object of ``kind`` (Model, Server, pods) maps; None with a template."""
        if self.resources_template:
            return None
        if kind in ("Model", "Server"):
            return self.label_for(SELDON_GROUP, kind) is not None
        return self.label_for("", kind) is not None


def _singular(resource: str) -> str:
    resource = resource.lower()
    return resource[:-1] if resource.endswith("s") else resource


def config_text(configmap: Mapping) -> str | None:
    """``data["config.yaml"]`` of a ConfigMap, or None."""
    if configmap.get("kind") != "ConfigMap":
        return None
    text = (configmap.get("data") or {}).get("config.yaml")
    return text if isinstance(text, str) else None


def configmap_name(configmap: Mapping) -> str:
    return f"ConfigMap/{(configmap.get('metadata') or {}).get('name', '')}"


def load_config(configmap: Mapping) -> dict | None:
    """The adapter config of a ConfigMap; None when it is no adapter config.

    Raises :class:`AdapterConfigError` when ``config.yaml`` is not YAML: the adapter would not
    start.
    """
    text = config_text(configmap)
    if text is None:
        return None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise AdapterConfigError(
            f"{configmap_name(configmap)}: data.config.yaml: not YAML ({error})"
        ) from None
    if not isinstance(config, dict) or not {"rules", "externalRules", "resourceRules"} & set(
        config
    ):
        return None
    return config


def custom_rules(configmap: Mapping) -> list[dict] | None:
    """The ``rules`` list of an adapter ConfigMap as written (the adapter chart's
    ``rules.custom`` takes it so); None when the ConfigMap has none.

    Raises :class:`AdapterConfigError` when ``config.yaml`` is not YAML.
    """
    config = load_config(configmap)
    rules = config.get("rules") if config else None
    return rules if isinstance(rules, list) else None


def parse_rules(config: Mapping, name: str) -> list[AdapterRule]:
    """Every custom and external rule of an adapter config (``name`` is the ConfigMap's)."""
    parsed = []
    for key, external in (("rules", False), ("externalRules", True)):
        entries = config.get(key) or []
        if not isinstance(entries, list):
            where = f"{name}: data.config.yaml {key}"
            parsed.append(_broken(where, 0, external, f"{key}: must be a list"))
            continue
        for index, entry in enumerate(entries):
            parsed.append(
                _parse_rule(f"{name}: data.config.yaml {key}[{index}]", index, entry, external)
            )
    return parsed


def _broken(where: str, index: int, external: bool, problem: str) -> AdapterRule:
    return AdapterRule(where, index, external, "", None, {}, False, "^(.*)$", "", "", (problem,))


def _parse_rule(where: str, index: int, entry: object, external: bool) -> AdapterRule:
    if not isinstance(entry, Mapping):
        return _broken(where, index, external, "must be a mapping")
    problems = []
    series_query = str(entry.get("seriesQuery") or "").strip()
    try:
        matchers: tuple[Matcher, ...] | None = tuple(parse_selector(series_query))
    except ValueError as error:
        matchers = None
        problems.append(f"seriesQuery: {error}")
    resources_field = entry.get("resources") if isinstance(entry.get("resources"), Mapping) else {}
    overrides = resources_field.get("overrides")
    resources: dict[str, tuple[str, str]] = {}
    for label, target in (overrides if isinstance(overrides, Mapping) else {}).items():
        if not isinstance(target, Mapping) or "resource" not in target:
            problems.append(f"resources.overrides.{label}: needs resource")
            continue
        resources[str(label)] = (str(target.get("group", "") or ""), str(target["resource"]))
    naming = entry.get("name") if isinstance(entry.get("name"), Mapping) else {}
    return AdapterRule(
        where=where,
        index=index,
        external=external,
        series_query=series_query,
        matchers=matchers,
        resources=resources,
        resources_template=bool(resources_field.get("template")),
        name_matches=str(naming.get("matches") or "^(.*)$"),
        name_as=str(naming.get("as") or ""),
        metrics_query=str(entry.get("metricsQuery") or ""),
        problems=tuple(problems),
    )


def parse_selector(text: str) -> list[Matcher]:
    """``name{label="v",other=~"x.*"}`` -> matchers (the leading name as ``__name__``)."""
    prefix, brace, rest = text.strip().partition("{")
    matchers: list[Matcher] = []
    if prefix.strip():
        matchers.append(Matcher("__name__", "=", prefix.strip()))
    if not brace:
        return matchers
    if not rest.rstrip().endswith("}"):
        raise ValueError(f"unbalanced braces in {text!r}")
    inner = rest.rstrip()[:-1]
    position = 0
    while position < len(inner.strip()):
        found = _MATCHER.match(inner, position)
        if found is None:
            raise ValueError(f"cannot parse label matcher at {inner[position:]!r}")
        matchers.append(Matcher(found[1], found[2], found[3]))
        position = found.end()
    return matchers
