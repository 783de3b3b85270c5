"""What the plugin costs a pytest run that never touches Seldon.

The plugin is a ``pytest11`` entry point: it loads in every pytest run of everyone who has the
package installed. This runs one trivial test file in fresh interpreters, interleaving the arms
so machine noise hits them alike, and prints per arm the median wall time and the median CPU
time (user + system of the child: on a shared machine the steadier of the two), each with its
difference and ratio to ``-p no:seldon_scaling`` in the same run. The children may write and
use ``.pyc`` files (``PYTHONDONTWRITEBYTECODE`` is dropped for them), as an installed package
does: without them every run compiles every module, pytest's rewrite of the plugin included.

Run: ``.venv/bin/python bench/startup_bench.py [--runs 15]``.
Target: the plugin adds under 20 ms to a trivial run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARMS = {
    "without the plugin (-p no:seldon_scaling)": ["-p", "no:seldon_scaling"],
    "with the plugin": [],
    "with the plugin, --seldon-cluster (twin)": ["--seldon-cluster"],
    # pytest-kind (the [kind] extra) is a pytest11 plugin of its own, loaded in every run too
    "without it and pytest-kind": ["-p", "no:seldon_scaling", "-p", "no:pytest-kind"],
}
BASELINE = next(iter(ARMS))
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(directory: Path, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``pytest`` run in a fresh interpreter."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=directory, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per arm (default 15)")
    args = parser.parse_args()
    wall: dict[str, list[float]] = {arm: [] for arm in ARMS}
    cpu: dict[str, list[float]] = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "test_trivial.py").write_text("def test_nothing():\n    pass\n")
        for extra in ARMS.values():  # warm the file cache and .pyc files
            run_once(directory, extra)
        for _ in range(args.runs):
            for arm, extra in ARMS.items():
                elapsed, used = run_once(directory, extra)
                wall[arm].append(elapsed)
                cpu[arm].append(used)
    base_wall, base_cpu = statistics.median(wall[BASELINE]), statistics.median(cpu[BASELINE])
    print(f"trivial pytest run, median of {args.runs} runs per arm, {sys.executable}")
    print(
        f"{'arm':45} {'wall ms':>8} {'+ms':>7} {'ratio':>6} {'cpu ms':>8} {'+ms':>7} {'ratio':>6}"
    )
    for arm in ARMS:
        w, c = statistics.median(wall[arm]), statistics.median(cpu[arm])
        print(
            f"{arm:45} {w * 1000:8.1f} {(w - base_wall) * 1000:7.1f} {w / base_wall:6.3f}"
            f" {c * 1000:8.1f} {(c - base_cpu) * 1000:7.1f} {c / base_cpu:6.3f}"
        )
    added = (statistics.median(cpu["with the plugin"]) - base_cpu) * 1000
    verdict = "met" if added < 20 else "NOT met"
    print(f"the plugin adds {added:.1f} ms of CPU to a trivial run; target < 20 ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
