"""What the plugin costs a pytest run that never touches Seldon.

The plugin is a ``pytest11`` entry point: it loads in every pytest run of everyone who has the
package installed. This runs one trivial test file in fresh interpreters, interleaving the arms
so machine noise hits them alike, and prints the median wall time of each arm and its cost over
``-p no:seldon_scaling`` (same run, same machine). The minimum is shown beside the median: on
a shared machine it is the steadier of the two.

Run: ``.venv/bin/python bench/startup_bench.py [--runs 15]``.
Target: the plugin adds under 20 ms to a trivial run.
"""

from __future__ import annotations

import argparse
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


def run_once(directory: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per arm (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "test_trivial.py").write_text("def test_nothing():\n    pass\n")
        times: dict[str, list[float]] = {arm: [] for arm in ARMS}
        for extra in ARMS.values():  # warm the file cache and .pyc files
            run_once(directory, extra)
        for _ in range(args.runs):
            for arm, extra in ARMS.items():
                times[arm].append(run_once(directory, extra))
    base = statistics.median(times[BASELINE])
    print(f"trivial pytest run, median of {args.runs} runs per arm, {sys.executable}")
    print(f"{'arm':45} {'median ms':>10} {'+ms':>8} {'ratio':>7}")
    for arm, values in times.items():
        median = statistics.median(values)
        print(f"{arm:45} {median * 1000:10.1f} {(median - base) * 1000:8.1f} {median / base:7.3f}")
    added = (statistics.median(times["with the plugin"]) - base) * 1000
    print(f"plugin adds {added:.1f} ms (target < 20 ms): {'met' if added < 20 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
