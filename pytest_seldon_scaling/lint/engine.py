"""Running the rules: one :class:`~..setup.Setup` per setup in the inputs, findings in order.

Findings on an object whose ``metadata.annotations`` carry ``pytest-seldon-scaling/ignore``
(rule IDs or names, comma separated, or ``all``) are suppressed, as ``# noqa: SCL013`` would be
in ruff; ``--ignore`` does the same for a whole run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..manifests import Manifest
from ..setup import build_setup, group_setups
from .findings import Finding
from .objects import IGNORE_ANNOTATION
from .registry import RULES, SEVERITIES, Rule


@dataclass(frozen=True)
class LintResult:
    findings: list[Finding]
    suppressed: list[Finding]


def run_rules(
    manifests: Sequence[Manifest],
    *,
    core_version: str = "2.10",
    helm_values: dict | None = None,
    rules: Iterable[str] | None = None,
    shared: Sequence[Manifest] = (),
) -> LintResult:
    """Every finding of the (selected) rules over each setup, and those annotations suppressed.

    ``shared`` manifests (``--helm-values``) belong to every setup.
    """
    selected = [RULES[r] for r in rules] if rules is not None else list(RULES.values())
    found: dict[tuple, Finding] = {}
    for group in group_setups(manifests) or [[]]:
        setup = build_setup([*group, *shared], core_version, helm_values)
        for rule in selected:
            for finding in rule.check(setup):
                finding = finding.with_rule(rule.name, rule.severity)
                # A shared object (a Server above several setups) is reported once.
                found.setdefault(_identity(finding), finding)
    ordered = sorted(found.values(), key=_order)
    kept = [f for f in ordered if not _suppressed(f)]
    return LintResult(kept, [f for f in ordered if _suppressed(f)])


def lint(
    manifests: Sequence[Manifest],
    *,
    core_version: str = "2.10",
    helm_values: dict | None = None,
    rules: Iterable[str] | None = None,
) -> list[Finding]:
    """Every unsuppressed finding of the (selected) rules, sorted by file, line and rule."""
    return run_rules(
        manifests, core_version=core_version, helm_values=helm_values, rules=rules
    ).findings


def exit_code(findings: Iterable[Finding], fail_on: str = "error") -> int:
    """1 when a finding is at least as severe as ``fail_on`` (error, warning or info)."""
    worst = SEVERITIES.index(fail_on)
    return 1 if any(SEVERITIES.index(f.severity) <= worst for f in findings) else 0


def ignored_rules(manifest: Manifest) -> set[str] | None:
    """Rule IDs an object's annotation suppresses (``{"*"}`` for all); None without one."""
    annotations = (manifest.obj.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return None
    ids: set[str] = set()
    for entry in text.replace(" ", ",").split(","):
        entry = entry.strip()
        if entry.lower() == "all":
            ids.add("*")
        elif entry:
            ids.update(r.id for r in _named(entry))
    return ids


def _named(entry: str) -> list[Rule]:
    return [r for r in RULES.values() if entry.upper() == r.id or entry == r.name]


def _suppressed(finding: Finding) -> bool:
    if finding.manifest is None:
        return False
    ids = ignored_rules(finding.manifest)
    return ids is not None and ("*" in ids or finding.rule_id in ids)


def _identity(finding: Finding) -> tuple:
    return (finding.rule_id, finding.source, finding.line, finding.object_ref, finding.message)


def _order(finding: Finding) -> tuple:
    return (finding.source, finding.line, finding.column, finding.rule_id, finding.object_ref)
