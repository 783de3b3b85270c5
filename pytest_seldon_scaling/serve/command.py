"""``seldon-scaling twin serve``: a local Core 2 (the twin) for kubectl, k9s and scripts."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from ..cluster import ClusterError
from ..service_profile import (
    add_service_profile_option,
    read_service_profile,
    serve_cluster_models,
    served_lines,
)
from ..twin.settings import TwinSettings
from .server import CONTEXT, ServedTwin


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    twin = subparsers.add_parser("twin", help="run the embedded Core 2 twin")
    commands = twin.add_subparsers(dest="twin_command", required=True, metavar="COMMAND")
    parser = commands.add_parser(
        "serve",
        help="serve the twin as a Kubernetes API and seldon-mesh on 127.0.0.1",
        description=(
            "Run the twin in real time and serve the Kubernetes API (Seldon CRDs, HPAs, pods, "
            "nodes, custom metrics) and svc/seldon-mesh (V2 inference) on 127.0.0.1, until "
            "interrupted. Point kubectl at it with the kubeconfig it writes."
        ),
    )
    parser.add_argument(
        "--manifests",
        action="append",
        default=[],
        metavar="PATH",
        help="files or directories applied at start (Servers, Models, HPAs, adapter ConfigMap)",
    )
    parser.add_argument("--kubeconfig", required=True, metavar="PATH", help="kubeconfig to write")
    parser.add_argument("--context", default=CONTEXT, help=f"context name (default {CONTEXT})")
    parser.add_argument("--port", type=int, default=0, help="API server port (default: free)")
    parser.add_argument("--mesh-port", type=int, default=0, help="seldon-mesh port (default: free)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="virtual seconds per wall second (default 1; see README for what clients tolerate)",
    )
    parser.add_argument("--namespace", default="seldon-mesh")
    parser.add_argument("--core-version", default="2.10", help="Core 2 version (2.9 or 2.10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hpa-sync-period", type=float, default=15.0, help="HPA controller sync period (s)"
    )
    parser.add_argument(
        "--scrape-interval", type=float, default=15.0, help="Prometheus scrape interval (s)"
    )
    parser.add_argument("--pod-start-seconds", type=float, default=20.0)
    add_service_profile_option(parser, models="the Models of --manifests")
    parser.add_argument(
        "--verbose", action="store_true", help="log every request the mesh fails, and why"
    )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    try:
        settings = TwinSettings(
            hpa_sync_period=args.hpa_sync_period,
            scrape_interval=args.scrape_interval,
            pod_start_seconds=args.pod_start_seconds,
        )
        profiles = [read_service_profile(path) for path in args.service_profile]
        served = ServedTwin(
            args.manifests,
            port=args.port,
            mesh_port=args.mesh_port,
            speed=args.speed,
            core_version=args.core_version,
            namespace=args.namespace,
            seed=args.seed,
            settings=settings,
        )
        chosen = serve_cluster_models(served.cluster, profiles)
    except (ClusterError, ValueError, OSError) as error:
        print(f"seldon-scaling twin serve: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with served:
        path = served.write_kubeconfig(args.kubeconfig, args.context)
        print(
            f"twin serving: API {served.url}, seldon-mesh {served.mesh_url}, "
            f"kubeconfig {path} (context {args.context}, namespace {args.namespace}), "
            f"speed {args.speed:g}x; Ctrl-C stops",
            flush=True,
        )
        for line in served_lines(chosen):
            print(line, flush=True)
        stop.wait()
    print("twin stopped", flush=True)
    return 0
