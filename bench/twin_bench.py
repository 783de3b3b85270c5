"""Benchmark of the Core 2 twin: one simulated hour, 10 models, 2 Servers, HPAs, 1,000 RPS.

Run: ``.venv/bin/python bench/twin_bench.py`` (``--poisson`` for Poisson arrivals). Prints a
table with simulated seconds per wall-clock second and peak memory (the process's maximum
resident set size; with ``--trace`` also the peak of Python allocations traced by
``tracemalloc`` in a second run, which tracing slows down several times).
Target: the hour in under 5 s of wall-clock time.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from pytest_seldon_scaling.load.profile import Hold, Ramp
from pytest_seldon_scaling.twin import TwinCluster, TwinSettings

API = "mlops.seldon.io/v1alpha1"
MODELS = 10
SERVERS = ("mlserver-a", "mlserver-b")
ADAPTER = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "hpa-metrics-prometheus-adapter", "namespace": "seldon-monitoring"},
    "data": {
        "config.yaml": """
rules:
- seriesQuery: '{__name__="seldon_model_infer_total",namespace!=""}'
  resources:
    overrides:
      model: {group: "mlops.seldon.io", resource: "model"}
      server: {group: "mlops.seldon.io", resource: "server"}
      pod: {resource: "pod"}
      namespace: {resource: "namespace"}
  name: {matches: "seldon_model_infer_total", as: "infer_rps"}
  metricsQuery: 'sum by (<<.GroupBy>>) (rate(<<.Series>>{<<.LabelMatchers>>}[2m]))'
"""
    },
}


def manifests() -> list[dict]:
    objects: list[dict] = [ADAPTER]
    for server in SERVERS:
        objects.append(
            {
                "apiVersion": API,
                "kind": "Server",
                "metadata": {"name": server},
                "spec": {"serverConfig": "mlserver", "replicas": 2, "minReplicas": 1},
            }
        )
    for i in range(MODELS):
        name = f"model-{i}"
        objects.append(
            {
                "apiVersion": API,
                "kind": "Model",
                "metadata": {"name": name},
                "spec": {
                    "storageUri": "gs://seldon-models/testing/iris1",
                    "requirements": ["sklearn"],
                    "memory": "50M",
                    "replicas": 1,
                    "server": SERVERS[i % 2],
                },
            }
        )
        objects.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": f"{name}-hpa"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": API, "kind": "Model", "name": name},
                    "minReplicas": 1,
                    "maxReplicas": 5,
                    "metrics": [
                        {
                            "type": "Object",
                            "object": {
                                "metric": {"name": "infer_rps"},
                                "describedObject": {
                                    "apiVersion": API,
                                    "kind": "Model",
                                    "name": name,
                                },
                                "target": {"type": "AverageValue", "averageValue": 25},
                            },
                        }
                    ],
                },
            }
        )
    return objects


def run(arrivals: str) -> dict:
    cluster = TwinCluster(seed=1, settings=TwinSettings(arrivals=arrivals))
    started = time.perf_counter()
    cluster.apply(*manifests())
    cluster.sleep(60)
    per_model = 1000 / MODELS
    profile = Ramp(1, per_model, "20m") + Hold(per_model, "39m")
    runs = [cluster.load(f"model-{i}", profile) for i in range(MODELS)]
    results = [r.wait() for r in runs]
    wall = time.perf_counter() - started
    return {
        "simulated": cluster.now(),
        "wall": wall,
        "sent": sum(r.sent for r in results),
        "failed": sum(r.failed_total for r in results),
        "replicas": sum(
            cluster.get(f"model/model-{i}")["status"]["availableReplicas"] for i in range(MODELS)
        ),
        "pods": sum(len(cluster.placement(s)) for s in SERVERS),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poisson", action="store_true", help="Poisson arrivals")
    parser.add_argument(
        "--trace", action="store_true", help="also measure Python allocations (slow run)"
    )
    args = parser.parse_args()
    arrivals = "poisson" if args.poisson else "paced"
    figures = run(arrivals)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = "not measured (--trace)"
    if args.trace:
        tracemalloc.start()
        run(arrivals)
        traced = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
        tracemalloc.stop()
    rows = [
        ("arrivals", arrivals),
        ("simulated seconds", f"{figures['simulated']:.0f}"),
        ("wall seconds", f"{figures['wall']:.2f}"),
        ("simulated s per wall s", f"{figures['simulated'] / figures['wall']:.0f}"),
        ("requests simulated", f"{figures['sent']:,}"),
        ("requests failed", f"{figures['failed']:,}"),
        ("model replicas at end", str(figures["replicas"])),
        ("server pods at end", str(figures["pods"])),
        ("peak RSS (MiB)", f"{peak_rss_mib:.1f}"),
        ("peak traced Python allocations (MiB)", traced),
        ("target: hour under 5 s", "met" if figures["wall"] < 5 else "NOT met"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
