"""Request rates Locust holds through the served twin's seldon-mesh (``twin serve``).

Serves the default manifests (the twin at 1x), waits for ``iris-shared``, then holds each rate
for ``--hold`` seconds with one Locust process and prints, per rate: what Locust achieved, the
failures, the p99 latency Locust measured and the requests the served mesh answered. The twin
models 4 workers x 10 ms per replica (400 rps per replica); everything shares this machine's
CPUs, so the ceiling measured is the HTTP server's and Locust's, not Core 2's.

    .venv/bin/python bench/serve_bench.py [--hold 10] [--rates 50,100,200,400]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pytest_seldon_scaling.load.locust_driver import start_locust_load
from pytest_seldon_scaling.load.profile import Hold
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.serve import ServedTwin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold", type=float, default=10.0)
    parser.add_argument("--rates", default="50,100,200,400")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    rows = []
    with ServedTwin([default_manifests()]) as twin, tempfile.TemporaryDirectory() as work:
        deadline = time.monotonic() + 120
        while not twin.cluster.traffic.routes.get("iris-shared"):
            if time.monotonic() > deadline:
                raise SystemExit("iris-shared never became routable on the served twin")
            time.sleep(0.5)
        for rps in rates:
            before = twin.mesh.served
            run = start_locust_load(
                twin.mesh_url,
                "iris-shared",
                Hold(rps, args.hold),
                artifacts_dir=Path(work) / f"{rps:g}",
            )
            result = run.wait()
            seconds = [s for s in run.seconds() if s.sent]
            p99 = max((s.p99_ms or 0.0) for s in seconds) if seconds else float("nan")
            achieved = min(w.achieved_rps for w in result.windows) if result.windows else 0.0
            rows.append((rps, achieved, result.failed_total, p99, twin.mesh.served - before))
    print(f"{'target rps':>10} {'held rps':>9} {'failed':>7} {'worst p99 ms':>12} {'mesh 200s':>9}")
    for rps, achieved, failed, p99, answered in rows:
        print(f"{rps:>10g} {achieved:>9.1f} {failed:>7} {p99:>12.0f} {answered:>9}")


if __name__ == "__main__":
    main()
