"""Every lint rule, its stable ID, name and severity, in one table (as ruff keeps its codes).

A rule is a function ``Setup -> Iterable[Finding]`` in the module of its family; its
docstring's first line is the summary and the rest says what breaks at run time, as read from
Core 2's code (v2.10.2) and the Kubernetes HPA controller. IDs never change meaning; a retired
rule keeps its ID out of use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..setup import Setup
from . import adapter, capacity, objects, references, server_hpa, versions
from .findings import Finding

SEVERITIES = ("error", "warning", "info")

Check = Callable[[Setup], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    check: Check = field(repr=False)

    @property
    def family(self) -> str:
        return self.check.__module__.rsplit(".", 1)[-1]

    @property
    def summary(self) -> str:
        """The docstring's first paragraph (its summary sentence), as plain text."""
        first = (self.check.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(first.replace("``", "").split())

    @property
    def description(self) -> str:
        return " ".join((self.check.__doc__ or "").replace("``", "").split())

    @property
    def explanation(self) -> str:
        """The whole docstring, paragraphs kept (``--explain``)."""
        text = (self.check.__doc__ or "").replace("``", "")
        paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
        return "\n\n".join(paragraphs)


_TABLE: tuple[tuple[str, str, str, Check], ...] = (
    ("SCL001", "scale-target-without-replicas", "error", references.check_scale_target_replicas),
    ("SCL002", "value-target-on-model", "error", references.check_value_target),
    ("SCL003", "pod-metric-on-model", "error", references.check_pod_metrics_on_model),
    ("SCL004", "missing-reference", "error", references.check_missing_reference),
    ("SCL005", "wrong-reference-kind", "error", references.check_reference_kind),
    ("SCL006", "no-adapter-rule", "error", adapter.check_adapter_rules),
    ("SCL007", "model-hpa-above-server-capacity", "error", capacity.check_server_capacity),
    ("SCL008", "hpa-bounds-outside-target-spec", "error", capacity.check_hpa_bounds),
    ("SCL009", "server-hpa-multi-model", "warning", server_hpa.check_server_hpa_multi_model),
    ("SCL010", "server-hpa-differs-from-model-hpa", "warning", server_hpa.check_server_hpa_pairing),
    ("SCL011", "server-hpa-and-native-autoscaling", "warning", server_hpa.check_server_hpa_native),
    ("SCL012", "model-lag-autoscaling-disabled", "warning", versions.check_lag_autoscaling),
    ("SCL013", "model-min-max-myth", "info", versions.check_model_min_max_myth),
    ("SCL014", "server-min-max-myth", "warning", versions.check_server_min_max_myth),
    ("SCL015", "packing-percentage-as-percent", "warning", versions.check_packing_percentage),
    ("SCL016", "invalid-scaling-spec", "error", capacity.check_scaling_spec),
    ("SCL017", "unsatisfiable-requirements", "error", capacity.check_requirements),
    ("SCL018", "model-memory-too-large", "error", capacity.check_memory),
    ("SCL019", "server-min-max-with-hpa", "warning", server_hpa.check_server_min_max_with_hpa),
    ("SCL020", "packing-percentage-fraction", "error", versions.check_packing_fraction),
    ("SCL021", "duplicate-object", "error", objects.check_duplicates),
    ("SCL022", "unknown-rule-in-ignore", "warning", objects.check_ignore_annotations),
)

RULES: dict[str, Rule] = {rule_id: Rule(rule_id, *rest) for rule_id, *rest in _TABLE}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES.values()}


def resolve(selector: str) -> list[Rule]:
    """Rules an ``--select``/``--ignore`` entry names: an ID, a name, a prefix (``SCL01``),
    a family (``capacity``) or ``ALL``. Raises ValueError naming the entry."""
    key = selector.strip()
    if key.upper() == "ALL":
        return list(RULES.values())
    if key in BY_NAME:
        return [BY_NAME[key]]
    matched = [r for r in RULES.values() if r.id.startswith(key.upper()) or r.family == key]
    if not matched:
        raise ValueError(
            f"unknown rule {selector!r}: use an ID (SCL007), a name "
            "(model-hpa-above-server-capacity), a prefix (SCL0) or ALL; see --list-rules"
        )
    return matched
