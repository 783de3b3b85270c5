"""End to end on a real kind cluster: the conformance suites through ``--seldon-cluster=kind``.

Opt-in (``-m kind``): needs Docker with a running engine, kind, kubectl and helm, network
access to pull images and charts, and about 20 minutes. CI runs it through the same command
as ``ci/github/seldon-conformance.yaml``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pytest_seldon_scaling.kube.preflight import tool_checks

pytestmark = pytest.mark.kind


@pytest.fixture(scope="module")
def tools_present() -> None:
    missing = [str(c) for c in tool_checks() if not c.ok]
    if missing:
        pytest.skip("kind end-to-end needs: " + "; ".join(missing))


def test_the_suites_pass_on_a_fresh_kind_cluster(tools_present, tmp_path):
    report = tmp_path / "report"
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--pyargs", "pytest_seldon_scaling.suites",
            "--seldon-cluster=kind",
            f"--seldon-cluster-name=e2e-{os.getpid()}",
            f"--seldon-report={report}",
            "-p", "no:cacheprovider", "-ra",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    summary = json.loads((report / "report.json").read_text())["summary"]
    assert summary["status"] == "passed" and summary["failed"] == summary["error"] == 0
    # rc 0 with every check skipped (no cluster, no metrics) is no proof: the HPA, server
    # autoscaling and lint checks must have run on the cluster and passed
    checks = json.loads((report / "report.json").read_text())["checks"]
    passed = {c["id"].split("[")[0].rsplit("-", 1)[0] for c in checks if c["status"] == "passed"}
    assert {"MHPA", "MSHPA", "SNA"} <= passed, summary
    cluster_skips = [
        c for c in checks if c["status"] == "skipped" and "cannot run here" in c["message"]
    ]
    assert cluster_skips == []
