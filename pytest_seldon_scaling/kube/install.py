"""``seldon-scaling install``: install Core 2, Prometheus, prometheus-adapter and the agents'
PodMonitor into a cluster the user names, with the plan kind mode runs (:func:`install_plan`).

``--dry-run`` prints the ordered commands and the values files they read, and runs nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from ..cluster import ClusterError
from .helm import CHART_KEYS, HelmSettings, install_plan, run_install


def _setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    try:
        return key, yaml.safe_load(value) if value else ""
    except yaml.YAMLError:
        return key, value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """``seldon-scaling install [--dry-run] [--set KEY=VALUE]... [--kubeconfig FILE]
    [--context NAME]``."""
    parser = subparsers.add_parser(
        "install",
        help="install Core 2 and its metrics stack the way kind mode does",
        description=(
            "Install Seldon Core 2 (CRDs, setup, runtime, servers charts), kube-prometheus-stack, "
            "prometheus-adapter with the infer_rps rule and the agents' PodMonitor, in the order "
            "kind mode uses: the CRDs first, so the adapter resolves mlops.seldon.io at start-up."
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    parser.add_argument("--core-version", default="2.10", help="2.10, 2.9 or a chart version")
    parser.add_argument("--namespace", default=None, help="Core 2's namespace (seldon-mesh)")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="KEY=VALUE",
        help=(
            "an install setting (repeatable): monitoring, servers, packing_enabled, "
            f"adapter_configmap, ... or a chart key ({', '.join(CHART_KEYS)})"
        ),
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("seldon-install"),
        help="where the values files and install.log go (default ./seldon-install)",
    )
    parser.add_argument("--kubeconfig", default=None, help="default: $KUBECONFIG or ~/.kube/config")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: current)")
    parser.add_argument("--helm", default="helm", help="the helm binary")
    parser.add_argument("--kubectl", default="kubectl", help="the kubectl binary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = HelmSettings.from_options(
            dict(args.settings), core_version=args.core_version, namespace=args.namespace
        )
        plan = install_plan(
            settings,
            args.dir.resolve(),
            helm=args.helm,
            kubectl=args.kubectl,
            kube_context=args.context,
        )
    except ClusterError as error:
        print(f"seldon-scaling install: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        sys.stdout.write(plan.describe())
        print("# dry run: nothing was run")
        return 0
    kubeconfig = args.kubeconfig or os.environ.get("KUBECONFIG")
    try:
        plan.write_files()
        run_install(plan.commands, kubeconfig=kubeconfig, log=plan.log)
    except ClusterError as error:
        print(f"seldon-scaling install: {error}\n(full output in {plan.log})", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"seldon-scaling install: {error}", file=sys.stderr)
        return 1
    print(
        f"ran {len(plan.commands)} commands (log: {plan.log}). helm waited for the CRDs, "
        "Prometheus, the adapter and the setup chart; the operator starts the scheduler and "
        f"Servers after: `kubectl get servers -n {settings.namespace}` shows when they are "
        "Ready. Then: pytest --seldon-cluster=existing"
    )
    return 0
