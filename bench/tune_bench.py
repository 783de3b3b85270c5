"""Benchmark of ``tune``: candidates scored over a 24-hour trace of 10 models on the twin.

Run: ``.venv/bin/python bench/tune_bench.py [--trials 200] [--jobs 2] [--hours 24]``. Builds the
fleet (10 Models with HPAs on 2 Servers) and a diurnal trace, then runs the same search the
command runs (NSGA-II, a generation at a time over ``--jobs`` processes) and prints a table:
wall time, seconds per candidate, the front's size and the projection for 200 candidates.
Target: 200 candidates over the 24-hour trace in under 2 minutes on 2 cores.

``--profile`` runs the search in this process under cProfile instead (``--jobs`` ignored; use
few ``--trials``) and prints where the time goes by part of the package, optuna included.

``--floor`` replays the fleet's own setting once as it is and once with every HPA sync made a
no-op (best of 3 each, CPU seconds): what a candidate costs, what the rest of the twin costs
without the HPA controller, and what either projects to for 200 candidates on 2 cores.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import os
import tempfile
import time
from pathlib import Path

from fleet import fleet_manifests
from replay_bench import diurnal_csv, print_shares

from pytest_seldon_scaling.load.trace import load_trace
from pytest_seldon_scaling.tune import SLO, Problem, Space, pareto_front, search, simulate

MODELS = 10
SERVERS = 2
TARGET_TRIALS = 200
TARGET_SECONDS = 120


def print_floor(objects: list[dict], profiles: dict, hours: float) -> None:
    from pytest_seldon_scaling.twin.hpa_controller import HPAControllers

    def cpu_seconds() -> float:
        best = math.inf
        for _ in range(3):
            started = time.process_time()
            simulate(objects, profiles)
            gc.collect()
            best = min(best, time.process_time() - started)
        return best

    whole = cpu_seconds()
    sync = HPAControllers.sync
    HPAControllers.sync = lambda self, ref, controller: None  # type: ignore[method-assign]
    try:
        rest = cpu_seconds()
    finally:
        HPAControllers.sync = sync  # type: ignore[method-assign]
    syncs = MODELS * hours * 3600 / 15
    rows = [
        ("one candidate, CPU s", f"{whole:.2f}"),
        ("the same without any HPA sync, CPU s", f"{rest:.2f}"),
        ("per HPA sync, µs", f"{(whole - rest) / syncs * 1e6:.1f}"),
        (
            f"{TARGET_TRIALS} candidates x {hours:g} h on 2 cores, s",
            f"{whole * TARGET_TRIALS / 2:.0f}",
        ),
        ("the same without HPA syncs, s", f"{rest * TARGET_TRIALS / 2:.0f}"),
        ("target, s", str(TARGET_SECONDS)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=TARGET_TRIALS)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--profile", action="store_true", help="shares of the time, by part")
    parser.add_argument(
        "--floor", action="store_true", help="a candidate with and without HPA syncs"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.csv"
        path.write_text(diurnal_csv(MODELS, int(args.hours * 3600)))
        trace = load_trace(str(path))
    profiles = trace.profiles()
    problem = Problem(
        objects=fleet_manifests(MODELS, SERVERS),
        profiles=profiles,
        peaks={m: p.peak_rps for m, p in profiles.items()},
        core_version="2.10",
        seed=0,
        slo=SLO(p99_ms=100),
        space=Space(average_value=(10.0, 40.0)),
    )
    if args.floor:
        print_floor(fleet_manifests(MODELS, SERVERS), profiles, args.hours)
        return
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(search, problem, args.trials, population=args.population)
        print_shares(profiler)
        return
    started = time.perf_counter()
    candidates = search(problem, args.trials, population=args.population, jobs=args.jobs)
    wall = time.perf_counter() - started
    per = wall / len(candidates)
    projected = per * TARGET_TRIALS
    full = args.trials >= TARGET_TRIALS and args.hours >= 24 and args.jobs <= 2
    rows = [
        ("trace", f"{MODELS} models, {args.hours:g} h, 60 s samples"),
        ("cores / jobs", f"{os.cpu_count()} / {args.jobs}"),
        ("candidates scored", str(len(candidates))),
        ("wall seconds", f"{wall:.1f}"),
        ("wall seconds per candidate", f"{per:.2f}"),
        ("Pareto front size", str(len(pareto_front(candidates)))),
        (f"{TARGET_TRIALS} candidates (projected)", f"{projected:.0f} s"),
        (
            f"target: {TARGET_TRIALS} x 24 h under {TARGET_SECONDS} s",
            ("met" if wall < TARGET_SECONDS else "NOT met")
            if full
            else ("projected met" if projected < TARGET_SECONDS else "projected NOT met")
            + " (shorter run)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
