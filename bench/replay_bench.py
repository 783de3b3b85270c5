"""Benchmark of trace replay: a 24-hour trace of 20 models (1-minute samples) on the twin.

Run: ``.venv/bin/python bench/replay_bench.py``. Writes the trace as CSV (one column per model,
diurnal shapes with bursts), reads it back with ``load_trace`` and replays the whole day on the
twin against 20 Models with HPAs on 4 Servers, as ``plan --traffic`` does. Prints a table: the
time to parse, the time to replay (wall and CPU: the machine is shared), simulated seconds per
wall second and the requests. Target: the day replays in under 10 s of wall-clock time.

``--profile`` replays under cProfile instead and prints where the time goes, by part of the
package (own time per file: the twin's engine, its HPA controller, the trace lookups...); the
profiler slows every call, so the shares are indicative and the wall time is not the figure.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import pstats
import random
import resource
import tempfile
import time
from pathlib import Path

from fleet import fleet_manifests

from pytest_seldon_scaling.load.trace import load_trace
from pytest_seldon_scaling.tune import simulate

MODELS = 20
SERVERS = 4
DAY = 24 * 3600
STEP = 60


def diurnal_csv(models: int, seconds: int, seed: int = 7) -> str:
    """A day of traffic per model: a sine around midday plus short bursts, 1-minute samples."""
    rng = random.Random(seed)
    peaks = [rng.uniform(5, 60) for _ in range(models)]
    bursts = {rng.randrange(0, seconds // STEP) for _ in range(3 * models)}
    rows = ["time," + ",".join(f"model-{i}" for i in range(models))]
    for k in range(seconds // STEP + 1):
        phase = math.sin(math.pi * (k * STEP) / seconds)
        burst = 2.0 if k in bursts else 1.0
        rates = [p * (0.1 + 0.9 * phase * phase) * burst * rng.uniform(0.9, 1.1) for p in peaks]
        rows.append(f"{k * STEP}," + ",".join(f"{r:.3f}" for r in rates))
    return "\n".join(rows) + "\n"


# own time of a file counts for the first part whose path fragment it contains
PARTS = (
    ("twin traffic engine", "twin/traffic.py"),
    ("twin HPA controller + hpa/", ("twin/hpa_controller.py", "/hpa/", "quantity.py")),
    ("twin adapter (metrics)", ("twin/adapter.py", "adapter_rules.py")),
    ("twin, rest", "/twin/"),
    ("simpy", "simpy"),
    ("trace lookups (load/trace.py, profile.py)", ("load/trace.py", "load/profile.py")),
    ("load results (load/result.py)", "load/result.py"),
    ("timeline", "timeline.py"),
    ("tune (measure, candidates)", "tune.py"),
    ("optuna (sampler, study)", "optuna"),
    ("imports", "<frozen"),
)


def _part(filename: str) -> str:
    for name, fragments in PARTS:
        if any(f in filename for f in ([fragments] if isinstance(fragments, str) else fragments)):
            return name
    return "other (stdlib, optuna, ...)"


def cost_shares(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Share of the profiled own time per part of the package, largest first.

    A builtin's time (``dict.get``, ``math.floor``: file ``~``) counts for the file calling it.
    """
    totals: dict[str, float] = {}
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, callers) in stats.items():
        if filename == "~" and callers:
            for (caller_file, _, _), (_, _, edge_own, _) in callers.items():
                totals[_part(caller_file)] = totals.get(_part(caller_file), 0.0) + edge_own
        else:
            totals[_part(filename)] = totals.get(_part(filename), 0.0) + own
    whole = sum(totals.values()) or 1.0
    return sorted(((k, v / whole) for k, v in totals.items()), key=lambda kv: -kv[1])


def print_shares(profile: cProfile.Profile) -> None:
    shares = cost_shares(profile)
    width = max(len(k) for k, _ in shares)
    print("where the time goes (cProfile own time; indicative):")
    for name, share in shares:
        print(f"  {name.ljust(width)}  {share:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="length of the trace")
    parser.add_argument("--profile", action="store_true", help="shares of the time, by part")
    args = parser.parse_args()
    seconds = int(args.hours * 3600)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.csv"
        path.write_text(diurnal_csv(MODELS, seconds))
        started = time.perf_counter()
        trace = load_trace(str(path))
        parsed = time.perf_counter() - started
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(simulate, fleet_manifests(MODELS, SERVERS), trace.profiles())
        print_shares(profiler)
        return
    started, cpu = time.perf_counter(), time.process_time()
    outcome = simulate(fleet_manifests(MODELS, SERVERS), trace.profiles())
    gc.collect()  # the twin's garbage is part of the cost (tune's next candidate would pay it)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = [
        ("trace", f"{MODELS} models, {args.hours:g} h, {STEP} s samples"),
        ("parse seconds", f"{parsed:.2f}"),
        ("replay wall seconds", f"{wall:.2f}"),
        ("replay CPU seconds", f"{cpu:.2f}"),
        ("simulated s per wall s", f"{outcome.simulated / wall:.0f}"),
        ("requests simulated", f"{outcome.sent:,}"),
        ("requests failed", f"{outcome.failed:,}"),
        ("model replica-hours", f"{outcome.replica_hours:.1f}"),
        ("server pod-hours", f"{outcome.server_pod_hours:.1f}"),
        ("peak RSS (MiB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"),
        (
            "target: 24 h of 20 models under 10 s",
            ("met" if wall < 10 else "NOT met")
            if args.hours >= 24
            else "not measured (shorter trace)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
