"""``seldon-scaling lint``: the thin shell around :func:`~.engine.run_rules`.

Exit codes as ruff and kube-linter use them: 0 clean, 1 findings at or above ``--fail-on``,
2 the inputs or options cannot be used (the message names the path, file or option).
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from ..manifests import HELM_VALUES, SERVERS_CHART, SETUP_CHART, ManifestError, load_manifests
from ..setup import parse_core_version
from .engine import IGNORE_ANNOTATION, exit_code, run_rules
from .output import format_github, format_json, format_sarif, format_text, tool_version
from .registry import BY_NAME, RULES, SEVERITIES, resolve

FORMATS = ("text", "json", "sarif", "github")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check manifests for autoscaling that breaks at run time",
        description="Report Seldon Core 2 autoscaling problems in manifests. A directory holding "
        "Models, Servers or HPAs is one setup (split by namespace); Servers, ServerConfigs, "
        "adapter ConfigMaps and helm values in directories above it belong to it too. "
        f"Suppress a rule on one object with the annotation '{IGNORE_ANNOTATION}: SCL013'.",
        epilog="exit status: 0 clean, 1 findings at or above --fail-on, 2 unusable input",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories")
    parser.add_argument("--core-version", default="2.10", help="Core 2 version (default 2.10)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--helm-values",
        action="append",
        default=[],
        metavar="FILE",
        help=f"values for the {SETUP_CHART} / {SERVERS_CHART} charts (repeatable)",
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="RULES",
        help="only these rules: IDs, names, prefixes (SCL01) or families, comma separated",
    )
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="RULES", help="skip these rules"
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="error",
        help="exit 1 when a finding is at least this severe (default error)",
    )
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--explain", metavar="RULE", help="explain one rule and exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"seldon-scaling lint: {message}", file=sys.stderr)
    return 2


def _selection(args: argparse.Namespace) -> list[str]:
    def names(entries: list[str]) -> list[str]:
        return [part for entry in entries for part in entry.split(",") if part.strip()]

    chosen = [r.id for entry in names(args.select) for r in resolve(entry)] or list(RULES)
    ignored = {r.id for entry in names(args.ignore) for r in resolve(entry)}
    return [rule_id for rule_id in RULES if rule_id in chosen and rule_id not in ignored]


def list_rules() -> str:
    width = max(len(rule.name) for rule in RULES.values())
    return "".join(
        f"{rule.id}  {rule.name:<{width}}  {rule.severity:<7}  {rule.summary}\n"
        for rule in RULES.values()
    )


def explain(selector: str) -> str:
    rule = RULES.get(selector.strip().upper()) or BY_NAME.get(selector.strip())
    if rule is None:
        raise ValueError(f"--explain takes one rule ID or name, not {selector!r}")
    body = "\n\n".join(textwrap.fill(p, 88) for p in rule.explanation.split("\n\n"))
    return (
        f"{rule.id} ({rule.name}), {rule.severity}, family {rule.family}\n\n{body}\n\n"
        f"Suppress on one object: metadata.annotations: {{{IGNORE_ANNOTATION}: {rule.id}}}\n"
    )


def run(args: argparse.Namespace) -> int:
    if args.version:
        sys.stdout.write(f"seldon-scaling {tool_version()}\n")
        return 0
    if args.list_rules:
        sys.stdout.write(list_rules())
        return 0
    try:
        if args.explain:
            sys.stdout.write(explain(args.explain))
            return 0
        rules = _selection(args)
        parse_core_version(args.core_version)
    except ValueError as error:
        return _fail(str(error))
    if not args.paths:
        return _fail("no PATH given: name the manifest files or directories to check")
    try:
        manifests = []
        for path in args.paths:
            found = load_manifests(path, duplicates_are_errors=False)
            if not found:
                return _fail(
                    f"{path}: no manifests found (YAML or JSON documents in *.yaml, *.yml, "
                    "*.json files)"
                )
            manifests.extend(found)
        helm_values = load_manifests(*args.helm_values)
        for values in helm_values:
            if values.kind != HELM_VALUES:
                raise ManifestError(
                    [f"{values.where()}: --helm-values: {values.display} is not helm values"]
                )
    except ManifestError as error:
        print(
            "seldon-scaling lint: cannot use these manifests:",
            *error.errors,
            sep="\n",
            file=sys.stderr,
        )
        return 2
    result = run_rules(manifests, core_version=args.core_version, rules=rules, shared=helm_values)
    findings = result.findings
    if args.format == "json":
        sys.stdout.write(format_json(findings, [*manifests, *helm_values], args.core_version))
    elif args.format == "sarif":
        sys.stdout.write(format_sarif(findings))
    elif args.format == "github":
        sys.stdout.write(format_github(findings))
    else:
        sys.stdout.write(format_text(findings, len(result.suppressed)))
    return exit_code(findings, args.fail_on)
