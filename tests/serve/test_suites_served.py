"""The shipped suites over real HTTP: the kube backend against ``seldon-scaling twin serve``.

``--seldon-cluster=existing`` reaches the served twin through the kubeconfig it writes; load is
real Locust traffic through the served ``svc/seldon-mesh``. The same suites, manifests and
options run in-process on the twin first: every check must end the same way over HTTP.

What makes it minutes, the same in both runs:

* the manifests are the package defaults (written at test time, so they never drift) with a
  12 s HPA scale-down stabilization window (``spec.behavior``) and the adapter rule's rate
  over 20 s instead of 1 m. 12 s, not 10: a window that is a multiple of the sync period ends
  exactly on an earlier sync, which the HPA excludes (it keeps recommendations strictly after
  now - window) but the kube backend, timing syncs by when their watch events arrive, may
  see a few milliseconds inside it (MHPA-02 failed so);
* the twin's HPA sync period, scrape interval and pod start are 5 s (``twin serve`` flags;
  the in-process twin gets them from the ``fast_twin`` test plugin);
* ramps of 15 s, holds of 30 s and a convergence time of 30 s.

The served twin runs at ``--speed 1``: the kube backend, its expectations and Locust measure
time on the wall clock, so the HPA windows in the manifests must mean wall seconds too.
Marked ``served`` (deselected by default): ``pytest -m served tests/serve``; ``.ci/run`` runs it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pytest_seldon_scaling.resources import default_manifests

from . import fast_twin
from .commands import twin_serve

OPTIONS = [
    "--seldon-ramp=15s",
    "--seldon-hold=30s",
    "--seldon-convergence-time=30s",
    "-p",
    "no:cacheprovider",
    "-q",
]
SUITES = ["--pyargs", "pytest_seldon_scaling.suites"]
HERE = str(Path(__file__).parent)
PYTHONPATH = os.environ.get("PYTHONPATH", "")
SERVE_TIMING = [
    f"--{name.replace('_', '-')}={value:g}" for name, value in fast_twin.FAST_TIMING.items()
]


def served_manifests(where: Path) -> Path:
    """The package defaults with short HPA windows: 12 s scale-down stabilization, 20 s rates."""
    where.mkdir(exist_ok=True)
    for source in sorted(default_manifests().glob("*.yaml")):
        documents = [d for d in yaml.safe_load_all(source.read_text()) if d]
        for document in documents:
            if document.get("kind") == "HorizontalPodAutoscaler":
                document["spec"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 12}}
            elif document.get("kind") == "ConfigMap":
                rules = document["data"]["config.yaml"]
                assert "[1m]" in rules, f"{source}: the adapter rule no longer rates over [1m]"
                document["data"]["config.yaml"] = rules.replace("[1m]", "[20s]")
        (where / source.name).write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return where


def run_suites(where: Path, manifests: Path, *extra: str, timeout: float) -> dict:
    report = where / "report"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [HERE, PYTHONPATH]))}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *SUITES,
            *OPTIONS,
            f"--seldon-manifests={manifests}",
            f"--seldon-report={report}",
            *extra,
        ],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    (where / "pytest.log").write_text(done.stdout + done.stderr)
    return json.loads((report / "report.json").read_text())


def outcomes(report: dict) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def achieved_rps(report: dict) -> list[tuple[str, float, float]]:
    """(scenario, target, achieved) for every load window the scenarios recorded."""
    held = []
    for scenario in report["scenarios"]:
        for load in scenario.get("loads") or []:
            for window in load.get("windows") or []:
                held.append((scenario["name"], window["target_rps"], window["achieved_rps"]))
    return held


def wait_for_banner(serve: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The first line ``twin serve`` prints (its URLs), once it is serving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and serve.poll() is None:
        first = log.read_text().partition("\n")
        if first[1]:
            return first[0]
        time.sleep(0.1)
    return log.read_text()


@pytest.mark.served
def test_shipped_suites_pass_over_http_as_on_the_twin(tmp_path):
    twin_dir, served_dir = tmp_path / "twin", tmp_path / "served"
    twin_dir.mkdir()
    served_dir.mkdir()
    manifests = served_manifests(tmp_path / "manifests")
    on_twin = run_suites(twin_dir, manifests, "-p", "fast_twin", "--seldon-cluster", timeout=300)
    assert on_twin["summary"]["status"] == "passed", (twin_dir / "pytest.log").read_text()

    kubeconfig, serve_log = tmp_path / "kubeconfig", served_dir / "serve.log"
    with serve_log.open("w") as said:
        serve = subprocess.Popen(
            twin_serve(
                manifests / "adapter-configmap.yaml",
                kubeconfig,
                *SERVE_TIMING,
                "--verbose",  # serve.log says why the mesh failed each request it failed
            ),
            stdout=said,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        banner = wait_for_banner(serve, serve_log)
        assert re.match(r"twin serving: API http://127\.0\.0\.1:\d+", banner), banner
        started = time.monotonic()
        over_http = run_suites(
            served_dir,
            manifests,
            "--seldon-cluster=existing",
            f"--seldon-kubeconfig={kubeconfig}",
            timeout=1800,
        )
        wall = time.monotonic() - started
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=30)
    log = (served_dir / "pytest.log").read_text() + "\nserve.log:\n" + serve_log.read_text()
    assert over_http["facts"]["backend"] == "existing", log
    assert outcomes(over_http) == outcomes(on_twin), log
    assert over_http["summary"]["status"] == "passed", log
    assert "node capacity not checked" not in log  # the served twin serves its nodes
    held = achieved_rps(over_http)
    assert held, "no Locust load was recorded over HTTP"
    peak = max(achieved for _, _, achieved in held)
    print(f"suites over HTTP: {wall:.0f}s wall, Locust peak {peak:.1f} rps through seldon-mesh")
    for scenario, target, achieved in held:
        assert achieved >= 0.95 * target, f"{scenario}: Locust held {achieved} of {target} rps"
