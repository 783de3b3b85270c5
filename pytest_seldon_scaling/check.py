"""``seldon-scaling check``: the shipped conformance suites against your manifests.

The short spelling of ``pytest --pyargs pytest_seldon_scaling.suites --seldon-cluster[=MODE]
--seldon-manifests PATH --seldon-report DIR [pytest args]``; it runs pytest in this process and
exits with pytest's exit code. Anything after ``--`` goes to pytest unchanged (``-n 2``, ``-k``,
more ``--seldon-*`` options).
"""

from __future__ import annotations

import argparse
from typing import Any

from .options import CLUSTER_MODES

SUITES = "pytest_seldon_scaling.suites"


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line ``check`` stands for."""
    command = ["--pyargs", SUITES, f"--seldon-cluster={args.cluster}"]
    for path in args.manifests or []:
        command.append(f"--seldon-manifests={path}")
    if args.report:
        command.append(f"--seldon-report={args.report}")
    return [*command, *args.pytest_args]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check",
        help="run the shipped conformance suites against your manifests (pytest)",
        description=__doc__.splitlines()[0],
        epilog="example: seldon-scaling check --manifests deploy/ --report seldon-report -- -n 2",
    )
    parser.add_argument(
        "--cluster", choices=CLUSTER_MODES, default="twin", help="where (default: twin)"
    )
    parser.add_argument(
        "--manifests",
        action="append",
        metavar="PATH",
        help="your manifests, files or directories (repeatable; default: the suites' own)",
    )
    parser.add_argument("--report", metavar="DIR", help="write report.json and report.html here")
    parser.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="for pytest")
    parser.set_defaults(handler=run_check)
    return parser


def run_check(args: argparse.Namespace) -> int:
    import pytest

    return int(pytest.main(pytest_args(args)))
