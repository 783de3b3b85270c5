"""Findings as people and tools read them: text, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote

from ..manifests import Manifest, digest
from .findings import Finding
from .registry import RULES, SEVERITIES

TOOL = "seldon-scaling lint"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def tool_version() -> str:
    try:
        return version("pytest-seldon-scaling")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


def summary_line(findings: Sequence[Finding], suppressed: int = 0) -> str:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    text = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    return text + (f" ({suppressed} suppressed by annotation)" if suppressed else "")


def format_text(findings: Sequence[Finding], suppressed: int = 0) -> str:
    return "\n".join([*(f.format() for f in findings), summary_line(findings, suppressed)]) + "\n"


def format_json(
    findings: Sequence[Finding], manifests: Sequence[Manifest], core_version: str
) -> str:
    report = {
        "core_version": core_version,
        "manifests": len(manifests),
        "digest": digest(manifests),
        "summary": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
        "findings": [f.to_dict() for f in findings],
    }
    return json.dumps(report, indent=2) + "\n"


def _uri(source: str) -> str:
    path = Path(source)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def sarif_log(findings: Sequence[Finding]) -> dict:
    """A SARIF 2.1.0 log (one run) as GitHub code scanning accepts it."""
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for finding in findings:
        result: dict = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": f"{finding.message.rstrip('.')}. Fix: {finding.fix}"},
            "logicalLocations": [{"fullyQualifiedName": finding.object_ref}]
            if finding.object_ref
            else [],
        }
        if not finding.source.startswith("<"):
            region = {"startLine": finding.line} if finding.line else {}
            if finding.line and finding.column:
                region["startColumn"] = finding.column
            physical: dict = {"artifactLocation": {"uri": _uri(finding.source)}}
            if region:
                physical["region"] = region
            result["locations"] = [
                {"physicalLocation": physical, "logicalLocations": result.pop("logicalLocations")}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": tool_version(),
                        "rules": [
                            {
                                "id": rule.id,
                                "name": _pascal(rule.name),
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.description},
                                "help": {"text": rule.explanation},
                                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                                "properties": {"tags": [rule.family]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def format_sarif(findings: Sequence[Finding]) -> str:
    return json.dumps(sarif_log(findings), indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: ``::error file=x,line=7,col=3,title=...::message``."""
    lines = []
    for finding in findings:
        properties = []
        if not finding.source.startswith("<"):
            properties.append(f"file={_escape_property(finding.source)}")
            if finding.line:
                properties.append(f"line={finding.line}")
            if finding.column:
                properties.append(f"col={finding.column}")
        properties.append(f"title={_escape_property(f'{finding.label} {finding.object_ref}')}")
        message = f"{finding.message.rstrip('.')}. Fix: {finding.fix}"
        lines.append(
            f"::{_GITHUB_LEVEL[finding.severity]} {','.join(properties)}::{_escape_data(message)}"
        )
    return "".join(line + "\n" for line in lines)
