"""What a rule reports (:class:`Finding`) and the small helpers the rule families share."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..manifests import Manifest


@dataclass(frozen=True)
class Finding:
    """One problem: where, which object, what goes wrong at run time, and the fix.

    Rules leave ``severity`` and ``name`` empty; :func:`~.engine.lint` fills them from the
    registry (a rule may set a lower severity for one finding).
    """

    rule_id: str
    severity: str
    source: str
    line: int
    object_ref: str
    message: str
    fix: str
    column: int = 0
    name: str = ""
    manifest: Manifest | None = field(default=None, compare=False, repr=False)

    @property
    def where(self) -> str:
        """``file:line:column`` (as compilers and editors read it), shorter when unknown."""
        if not self.line:
            return self.source
        return (
            f"{self.source}:{self.line}:{self.column}"
            if self.column
            else f"{self.source}:{self.line}"
        )

    @property
    def label(self) -> str:
        """``SCL007 (model-hpa-above-server-capacity)``."""
        return f"{self.rule_id} ({self.name})" if self.name else self.rule_id

    def format(self) -> str:
        """``file:line:col: SCL003 (pod-metric-on-model) error Model/x: what. Fix: how``."""
        head = f"{self.where}: {self.label} {self.severity} {self.object_ref}"
        return f"{head}: {self.message.rstrip('.')}. Fix: {self.fix}"

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "name": self.name,
            "severity": self.severity,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "object_ref": self.object_ref,
            "message": self.message,
            "fix": self.fix,
        }

    def with_rule(self, name: str, severity: str) -> Finding:
        return replace(self, name=name, severity=self.severity or severity)


def finding(
    rule_id: str,
    manifest: Manifest | None,
    path: str | tuple[str, ...],
    message: str,
    fix: str,
    *,
    severity: str = "",
    object_ref: str | None = None,
    where: tuple[str, int] | None = None,
) -> Finding:
    """A finding on ``manifest`` at the field ``path`` (``where`` overrides the place)."""
    column = 0
    if where is None:
        if manifest is None:
            where = ("<defaults>", 0)
        else:
            where = (manifest.source, manifest.line_of(path))
            column = manifest.column_of(path)
    ref = object_ref or (manifest.display if manifest else "")
    return Finding(rule_id, severity, *where, ref, message, fix, column=column, manifest=manifest)


def metrics_of(hpa: Manifest) -> list[tuple[int, dict]]:
    """``(index, metric)`` of an HPA's ``spec.metrics`` entries that are mappings."""
    return [(i, m) for i, m in enumerate(hpa.spec.get("metrics") or []) if isinstance(m, dict)]


def hpa_min(hpa: Manifest) -> int:
    """``spec.minReplicas`` with the API server's default of 1."""
    return hpa.spec.get("minReplicas", 1)


def byte_size(amount: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if amount >= size and amount % size == 0:
            return f"{amount // size}{suffix}"
    return f"{amount} bytes"
