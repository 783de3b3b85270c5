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
    # exit 0 alone could be a run of skips: the checks must have run on kind and passed
    summary = json.loads((report / "report.json").read_text(encoding="utf-8"))["summary"]
    assert summary["status"] == "passed", summary
    assert summary["passed"] > 0 and summary["failed"] == summary["error"] == 0, summary
