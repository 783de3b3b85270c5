"""``seldon-scaling``: the command line.

Each subcommand lives in its own module exposing ``add_parser(subparsers)``, which registers
the subparser and sets ``handler`` (``args -> exit code``) as a default. Adding a command is
importing its module and listing it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import calibrate, check, lint, plan, report, tune
from .kube import install
from .serve import command as twin_serve

COMMANDS = (check, lint, plan, report, install, tune, calibrate, twin_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seldon-scaling",
        description="Check, simulate and report Seldon Core 2 autoscaling.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; its exit code (2 for usage errors, as argparse reports them)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
