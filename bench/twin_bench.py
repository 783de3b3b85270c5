"""Benchmark of the Core 2 twin: how its cost grows with the number of models.

Each scenario is one simulated hour: N Models (100 RPS each, so 10,000 RPS at 100 Models), one
Server per 10 Models with Core 2 server autoscaling, an HPA per Model on ``infer_rps``
(averageValue 25, so each Model settles at 4 replicas). Run:
``.venv/bin/python bench/twin_bench.py`` (``--models 10,40`` for a subset, ``--poisson`` for
Poisson arrivals, ``--minutes`` for a shorter hour).

The table shows wall and CPU seconds (CPU is what the twin costs; wall also shows the load
of the machine), the CPU cost per model-second (flat when the twin scales linearly), and the
memory a scenario keeps: the timeline's JSON size per Model (what a report stores) and the
Python allocations traced while it ran (``--trace``, which slows the run several times).
Target: 100 Models × 1 h under 5 s of wall-clock time on an unloaded machine.

``--memory 1,4`` adds a table of one scenario run for 1 and 4 simulated hours (10 Models,
traced): a report's JSON per Model stays at its cap while the run grows, and the traced memory
per model-hour falls (the timeline keeps traffic column-wise, see ``timeline.py``).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
import tracemalloc
from collections.abc import Sequence

from fleet import fleet_manifests  # bench/ is on sys.path when run as a script

from pytest_seldon_scaling.load.profile import Hold, Ramp
from pytest_seldon_scaling.report import ScenarioRecord
from pytest_seldon_scaling.twin import TwinCluster, TwinSettings

RPS_PER_MODEL = 100
MODELS_PER_SERVER = 10


def manifests(models: int) -> list[dict]:
    """One Server per 10 Models (no upper bound), HPAs 1..5 at averageValue 25."""
    servers = max(1, models // MODELS_PER_SERVER)
    return fleet_manifests(
        models, servers, average_value=25, model_max_replicas=5, server_max_replicas=None
    )


def run(models: int, arrivals: str, minutes: float) -> dict:
    cluster = TwinCluster(seed=1, settings=TwinSettings(arrivals=arrivals))
    started, cpu_started = time.perf_counter(), time.process_time()
    cluster.apply(*manifests(models))
    cluster.sleep(60)
    ramp = min(20.0, minutes / 3)
    profile = Ramp(1, RPS_PER_MODEL, f"{ramp * 60:.0f}s") + Hold(
        RPS_PER_MODEL, f"{(minutes - 1 - ramp) * 60:.0f}s"
    )
    runs = [cluster.load(f"model-{i}", profile) for i in range(models)]
    results = [r.wait() for r in runs]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    report_bytes = len(json.dumps(cluster.timeline.to_dict(), separators=(",", ":")))
    return {
        "models": models,
        "simulated": cluster.now(),
        "wall": wall,
        "cpu": cpu,
        "sent": sum(r.sent for r in results),
        "failed": sum(r.failed_total for r in results),
        "replicas": sum(
            cluster.get(f"model/model-{i}")["status"]["availableReplicas"] for i in range(models)
        ),
        "report_kib_per_model": report_bytes / 1024 / models,
        "timeline": cluster.timeline,
    }


def memory_table(models: int, arrivals: str, hours: Sequence[float]) -> list[str]:
    """One scenario of ``models`` Models run for each of ``hours``, traced: what its report
    keeps per Model, the Python memory it took (peak traced) per model-hour, and what a
    session holds of it once recorded (a ScenarioRecord, until the report is written)."""
    header = (
        "models",
        "sim h",
        "report KiB/model",
        "traced MiB",
        "traced MiB/model-h",
        "recorded KiB/model",
    )
    rows = []
    for length in hours:
        gc.collect()
        tracemalloc.start()
        figures = run(models, arrivals, length * 60)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        record = ScenarioRecord("bench", figures.pop("timeline"))
        gc.collect()  # the twin and its timeline are gone: what is left is the record
        recorded = tracemalloc.get_traced_memory()[0] / 1024
        tracemalloc.stop()
        del record
        rows.append(
            (
                str(models),
                f"{length:g}",
                f"{figures['report_kib_per_model']:.0f}",
                f"{peak:.1f}",
                f"{peak / (models * length):.2f}",
                f"{recorded / models:.0f}",
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    return [
        "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True))
        for line in (header, *rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="10,40,100,400", help="comma-separated counts")
    parser.add_argument("--minutes", type=float, default=60.0, help="simulated minutes")
    parser.add_argument("--poisson", action="store_true", help="Poisson arrivals")
    parser.add_argument(
        "--trace", action="store_true", help="also measure Python allocations (slow runs)"
    )
    parser.add_argument(
        "--memory",
        metavar="HOURS",
        help="also run 10 Models for each of these simulated hours (e.g. 1,4), traced",
    )
    args = parser.parse_args()
    arrivals = "poisson" if args.poisson else "paced"
    counts = [int(n) for n in args.models.split(",")]
    header = (
        "models",
        "RPS",
        "sim s",
        "wall s",
        "CPU s",
        "CPU µs/model-s",
        "requests",
        "failed",
        "replicas",
        "report KiB/model",
        "traced MiB",
    )
    rows = []
    for models in counts:
        figures = run(models, arrivals, args.minutes)
        traced = "-"
        if args.trace:
            tracemalloc.start()
            run(models, arrivals, args.minutes)
            traced = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
            tracemalloc.stop()
        per_model_second = figures["cpu"] / (models * figures["simulated"]) * 1e6
        rows.append(
            (
                str(models),
                f"{models * RPS_PER_MODEL:,}",
                f"{figures['simulated']:.0f}",
                f"{figures['wall']:.2f}",
                f"{figures['cpu']:.2f}",
                f"{per_model_second:.1f}",
                f"{figures['sent']:,}",
                f"{figures['failed']:,}",
                str(figures["replicas"]),
                f"{figures['report_kib_per_model']:.0f}",
                traced,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for line in (header, *rows):
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {peak_rss_mib:.1f} MiB; arrivals: {arrivals}")
    hundred = [r for r in rows if r[0] == "100"]
    if hundred and args.minutes == 60.0:
        wall = float(hundred[0][3])
        print(f"target 100 Models × 1 h under 5 s wall: {'met' if wall < 5 else 'NOT met'}")
    if args.memory:
        print("\nmemory per scenario (report JSON as written; peak traced allocations):")
        hours = [float(h) for h in args.memory.split(",")]
        print("\n".join(memory_table(10, arrivals, hours)))


if __name__ == "__main__":
    main()
