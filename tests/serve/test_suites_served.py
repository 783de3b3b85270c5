"""The shipped suites over real HTTP: the kube backend against ``seldon-scaling twin serve``.

``--seldon-cluster=existing`` reaches the served twin through the kubeconfig it writes; load is
real Locust traffic through the served ``svc/seldon-mesh``. The same suites, manifests and
options run in-process on the twin first: every check must end the same way over HTTP.

The manifests are the package defaults with a 20 s HPA scale-down stabilization window
(``spec.behavior``, written at test time so they never drift from the defaults); the twin
keeps its default settings (HPA sync 15 s, scrape 15 s, pod start 20 s), so the in-process run
is the same scenario.
Wall time: minutes (marked ``served``; run with ``pytest -m served tests/serve``).
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

OPTIONS = [
    "--seldon-ramp=30s",
    "--seldon-hold=60s",
    "--seldon-convergence-time=90s",
    "-p",
    "no:cacheprovider",
    "-q",
]
SUITES = ["--pyargs", "pytest_seldon_scaling.suites"]


def served_manifests(where: Path) -> Path:
    """The package defaults, every HPA with a 20 s scale-down stabilization window."""
    where.mkdir(exist_ok=True)
    for source in sorted(default_manifests().glob("*.yaml")):
        documents = [d for d in yaml.safe_load_all(source.read_text()) if d]
        for document in documents:
            if document.get("kind") == "HorizontalPodAutoscaler":
                document["spec"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 20}}
        (where / source.name).write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return where


def run_suites(where: Path, manifests: Path, *extra: str, timeout: float) -> dict:
    report = where / "report"
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


@pytest.mark.served
def test_shipped_suites_pass_over_http_as_on_the_twin(tmp_path):
    twin_dir, served_dir = tmp_path / "twin", tmp_path / "served"
    twin_dir.mkdir()
    served_dir.mkdir()
    manifests = served_manifests(tmp_path / "manifests")
    on_twin = run_suites(twin_dir, manifests, "--seldon-cluster", timeout=300)
    assert on_twin["summary"]["status"] == "passed", (twin_dir / "pytest.log").read_text()

    kubeconfig = tmp_path / "kubeconfig"
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_seldon_scaling.cli",
            "twin",
            "serve",
            "--manifests",
            str(manifests / "adapter-configmap.yaml"),
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        banner = serve.stdout.readline() if serve.stdout else ""
        assert re.match(r"twin serving: API http://127\.0\.0\.1:\d+", banner), banner
        started = time.monotonic()
        over_http = run_suites(
            served_dir,
            manifests,
            "--seldon-cluster=existing",
            f"--seldon-kubeconfig={kubeconfig}",
            timeout=3600,
        )
        wall = time.monotonic() - started
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        said, _ = serve.communicate(timeout=30)
        (served_dir / "serve.log").write_text(banner + (said or ""))
    log = (served_dir / "pytest.log").read_text()
    assert over_http["facts"]["backend"] == "existing", log
    assert outcomes(over_http) == outcomes(on_twin), log
    assert over_http["summary"]["status"] == "passed", log
    held = achieved_rps(over_http)
    assert held, "no Locust load was recorded over HTTP"
    peak = max(achieved for _, _, achieved in held)
    print(f"suites over HTTP: {wall:.0f}s wall, Locust peak {peak:.1f} rps through seldon-mesh")
    for scenario, target, achieved in held:
        assert achieved >= 0.95 * target, f"{scenario}: Locust held {achieved} of {target} rps"
