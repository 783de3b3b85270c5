"""The ``--seldon-*`` options and ini keys, as pytest registers them.

Kept apart from :mod:`.settings` and free of dataclasses and imports: the plugin registers these
in every pytest run, Seldon or not, and must cost that run next to nothing
(``bench/startup_bench.py``). Every option is ``--seldon-<name>`` with an ini key
``seldon_<name>``; :func:`.settings.resolve` reads and checks them.
"""

from __future__ import annotations

from typing import Any

import pytest

CLUSTER_MODES = ("twin", "kind", "existing")


class Option:
    """One option: ``name`` without the ``--seldon-`` prefix; ``kind`` string | bool | paths."""

    __slots__ = ("default", "help", "kind", "metavar", "name")

    def __init__(
        self,
        name: str,
        help: str,
        default: Any = None,
        kind: str = "string",
        metavar: str | None = None,
    ) -> None:
        self.name, self.help, self.default, self.kind, self.metavar = (
            name,
            help,
            default,
            kind,
            metavar,
        )


OPTIONS: tuple[Option, ...] = (
    Option(
        "manifests",
        "files or directories of your Servers, Models, HPAs and adapter "
        "ConfigMap (repeatable; default: the suites' own fixtures)",
        kind="paths",
        metavar="PATH",
    ),
    Option(
        "core-version",
        "Seldon Core 2 version to model or expect (2.9 or 2.10)",
        "2.10",
        metavar="X.Y",
    ),
    Option("namespace", "namespace the Core 2 install and your objects live in", "seldon-mesh"),
    Option("kube-context", "kubeconfig context for --seldon-cluster=existing (default: current)"),
    Option("kubeconfig", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"),
    Option(
        "keep-cluster",
        "keep the kind cluster for the next run (each test's objects are still removed)",
        False,
        kind="bool",
    ),
    Option(
        "report", "write the conformance report (report.json, report.html) into DIR", metavar="DIR"
    ),
    Option("seed", "seed of the twin's and load generators' randomness", "0", metavar="N"),
    Option(
        "peak-rps",
        "peak requests per second of the suites' ramps (default: each HPA's "
        "capacity, maxReplicas × averageValue)",
        metavar="RPS",
    ),
    Option("ramp", "duration of the suites' ramps up and down", "2m", metavar="DURATION"),
    Option("hold", "duration the suites hold the peak", "3m", metavar="DURATION"),
    Option(
        "traffic",
        "replay real traffic instead of the suites' ramps: a .csv, a Prometheus "
        "query_range .json or URL, scaled with #rate=,time=,duration= (peak: as --seldon-peak-rps)",
        metavar="TRACE",
    ),
    Option(
        "service-profile",
        "service profile from 'seldon-scaling calibrate': the twin serves the Model it names "
        "like the measured one (repeatable); one naming no Model of the manifests serves "
        "every Model without its own",
        kind="paths",
        metavar="FILE",
    ),
    Option(
        "max-error-rate",
        "SLO: highest share of failed requests a scenario may show",
        "0",
        metavar="FRACTION",
    ),
    Option(
        "convergence-time",
        "SLO: time replicas may take to reach what the HPA predicts",
        "3m",
        metavar="DURATION",
    ),
    Option(
        "request-timeout",
        "per-request timeout of the load client (the twin's, and Locust's on kind and "
        "existing clusters): an answer later than this is a failed request",
        "10s",
        metavar="DURATION",
    ),
    Option(
        "max-p99-ms",
        "SLO: highest p99 latency (ms) of any second while the suites check zero downtime",
        "1000",
        metavar="MS",
    ),
    Option(
        "server-autoscaling",
        "Core 2 native server autoscaling on (helm autoscaling.autoscalingServerEnabled)",
        "true",
        metavar="true|false",
    ),
    Option(
        "packing",
        "server packing on (helm autoscaling.serverPackingEnabled)",
        "false",
        metavar="true|false",
    ),
    Option(
        "packing-percentage",
        "helm autoscaling.serverPackingPercentage, 0..100 as the Core 2 docs write it; the "
        "scheduler reads it as a probability, so 0.25 tries packing on a quarter of the "
        "scale-downs and any value >= 1 (e.g. 25) on every one",
        "1.0",
        metavar="P",
    ),
    Option(
        "model-autoscaling",
        "Core 2 lag-based model autoscaling (helm "
        "autoscaling.autoscalingModelEnabled; works on 2.9 only)",
        "false",
        metavar="true|false",
    ),
    Option("cluster-name", "kind cluster name to create or reuse (default: unique per run)"),
    Option(
        "allow-skip",
        "skip the tests needing a cluster when the --seldon-cluster=kind|existing asked for "
        "cannot run here (default: stop the run with an error)",
        False,
        kind="bool",
    ),
    Option("kind-binary", "kind executable (default: kind on PATH)", metavar="PATH"),
    Option("kubectl-binary", "kubectl executable (default: kubectl on PATH)", metavar="PATH"),
    Option("helm-binary", "helm executable (default: helm on PATH)", metavar="PATH"),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("seldon", "Seldon Core 2 autoscaling (pytest-seldon-scaling)")
    group.addoption(
        "--seldon-cluster",
        nargs="?",
        const="",
        default=None,
        metavar="twin|kind|existing",
        help="run the Seldon checks on a cluster: the embedded twin (default, no Docker), a "
        "fresh kind cluster, or an existing one from your kubeconfig; a bare flag uses the "
        "ini key seldon_cluster",
    )
    parser.addini("seldon_cluster", "cluster used by a bare --seldon-cluster", default="twin")
    for option in OPTIONS:
        flag, ini = f"--seldon-{option.name}", f"seldon_{option.name.replace('-', '_')}"
        if option.kind == "bool":
            group.addoption(flag, action="store_true", default=None, help=option.help)
            parser.addini(ini, option.help, type="bool", default=option.default)
        elif option.kind == "paths":
            group.addoption(
                flag, action="append", default=None, metavar=option.metavar, help=option.help
            )
            parser.addini(ini, option.help, type="paths", default=[])
        else:
            group.addoption(flag, default=None, metavar=option.metavar, help=option.help)
            parser.addini(ini, option.help, default=option.default)
