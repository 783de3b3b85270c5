"""Highest request rate the Locust driver sustains on this machine within ±5% of target.

For each target (the minimal local V2 endpoint, a real MLServer iris model) and each mode (one
Locust process, a master with 2 local workers), hold a rate for a few seconds and call it
sustained when every judged 5-second window is within ±5%, nothing failed, the driver was not
saturated (no missed sends, no event-loop lag) and p99 stayed under 250 ms (no queue building);
rates grow by half until one is not sustained, then two bisection steps refine it.
Prints a table. Everything runs on 127.0.0.1 and competes for the same CPUs as the servers.

    .venv/bin/python bench/load_bench.py [--hold 10] [--only endpoint|mlserver]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pytest_seldon_scaling.load.local_servers import (
    LocalServer,
    minimal_endpoint,
    mlserver_available,
    mlserver_iris,
)
from pytest_seldon_scaling.load.locust_driver import start_locust_load
from pytest_seldon_scaling.load.profile import Hold

START_RPS = 200.0
P99_LIMIT_MS = 250.0  # beyond this the server (or generator) is queueing, not keeping up
GROWTH = 1.5
BISECTIONS = 2
MAX_RUNS = 10


def sustained(server: LocalServer, rps: float, workers: int, hold: float, work: Path) -> tuple:
    run = start_locust_load(
        server.url,
        server.model,
        Hold(rps, hold),
        workers=workers,
        grace=10,
        artifacts_dir=work / f"{server.model}-{workers}w-{rps:.0f}",
        progress=lambda _: None,
    )
    result = run.wait()
    judged = result.windows[1:]
    achieved = min((w.achieved_rps for w in judged), default=0.0)
    judged_seconds = [s for s in run.seconds() if s.t - run.started_at >= 5]
    p99 = max((s.p99_ms for s in judged_seconds if s.p99_ms is not None), default=None)
    slow = p99 is not None and p99 > P99_LIMIT_MS
    if slow:
        result.shortfalls.append(f"p99 {p99:.0f} ms above {P99_LIMIT_MS:g} ms: responses queue")
    ok = result.target_reached and result.failed_total == 0 and not slow
    return ok, achieved, p99, result


def highest(server: LocalServer, workers: int, hold: float, work: Path, say: Callable) -> tuple:
    best: tuple | None = None
    failed_at: float | None = None
    rps, runs = START_RPS, 0
    while runs < MAX_RUNS:
        ok, achieved, p99, result = sustained(server, rps, workers, hold, work)
        runs += 1
        say(
            f"  {rps:7.0f} rps -> {'ok ' if ok else 'NOT'} achieved>={achieved:.0f}"
            + (f" p99 {p99:.0f} ms" if p99 is not None else "")
            + ("" if ok else f" ({(result.shortfalls or [str(result.failed)])[0][:90]})")
        )
        if ok:
            best = (rps, p99)
        else:
            failed_at = rps
        if failed_at is None:
            rps *= GROWTH
            continue
        low = best[0] if best else 0.0
        if runs >= MAX_RUNS or failed_at - low <= max(low, 1) * (GROWTH - 1) / 2**BISECTIONS:
            break
        rps = (low + failed_at) / 2
    return best, failed_at


@contextlib.contextmanager
def target(name: str, work: Path) -> Iterator[LocalServer]:
    if name == "endpoint":
        with minimal_endpoint(work / "endpoint") as server:
            yield server
    else:
        with mlserver_iris(work / "mlserver") as server:
            yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=10.0, help="seconds per trial rate")
    parser.add_argument("--only", choices=["endpoint", "mlserver"])
    args = parser.parse_args()
    targets = [args.only] if args.only else ["endpoint", "mlserver"]
    if "mlserver" in targets and mlserver_available():
        print(f"skipping mlserver: {mlserver_available()}")
        targets.remove("mlserver")
    rows = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        work = Path(tmp)
        for name in targets:
            with target(name, work) as server:
                for workers in (0, 2):
                    mode = "1 process" if workers == 0 else f"master + {workers} workers"
                    print(f"{name}, {mode}:", flush=True)
                    started = time.monotonic()
                    best, failed_at = highest(
                        server, workers, args.hold, work, lambda s: print(s, flush=True)
                    )
                    rows.append((name, mode, best, failed_at, time.monotonic() - started))
    load = os.getloadavg()[0]
    print(f"\nHighest sustained rate within ±5% (hold {args.hold:g}s, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} at the end)")  # fmt: skip
    header = f"{'target':10} {'mode':20} {'sustained rps':>14} {'p99 ms':>7} {'first miss':>11}"
    print(header)
    print("-" * len(header))
    for name, mode, best, failed_at, _ in rows:
        rps = f"{best[0]:.0f}" if best else "< start"
        p99 = f"{best[1]:.0f}" if best and best[1] is not None else "-"
        miss = f"{failed_at:.0f}" if failed_at else "-"
        print(f"{name:10} {mode:20} {rps:>14} {p99:>7} {miss:>11}")


if __name__ == "__main__":
    main()
