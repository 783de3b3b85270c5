"""Static rules that catch broken Seldon Core 2 autoscaling before it reaches a cluster.

:func:`lint` is pure: manifests in, :class:`Finding` s out, over the setups
:mod:`..setup` models (one per directory and namespace of a tree). Each rule lives with its
family (:mod:`.references`, :mod:`.adapter`, :mod:`.capacity`, :mod:`.server_hpa`,
:mod:`.versions`, :mod:`.objects`) and is listed once, with its stable ID, name and severity,
in :mod:`.registry`. :mod:`.output` writes text, JSON, SARIF 2.1.0 and GitHub annotations;
:mod:`.command` is the ``seldon-scaling lint`` command.
"""

from ..adapter_rules import AdapterRule
from ..setup import (
    Runtime,
    ServerView,
    Setup,
    build_setup,
    hosted_models,
    parse_core_version,
    requirements,
    server_capacity,
    server_runtime,
)
from .command import add_parser, run
from .engine import IGNORE_ANNOTATION, LintResult, exit_code, lint, run_rules
from .findings import Finding
from .output import format_github, format_json, format_sarif, format_text, sarif_log
from .registry import RULES, SEVERITIES, Rule

__all__ = [
    "IGNORE_ANNOTATION",
    "RULES",
    "SEVERITIES",
    "AdapterRule",
    "Finding",
    "LintResult",
    "Rule",
    "Runtime",
    "ServerView",
    "Setup",
    "add_parser",
    "build_setup",
    "exit_code",
    "format_github",
    "format_json",
    "format_sarif",
    "format_text",
    "hosted_models",
    "lint",
    "parse_core_version",
    "requirements",
    "run",
    "run_rules",
    "sarif_log",
    "server_capacity",
    "server_runtime",
]
