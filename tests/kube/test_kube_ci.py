"""The shipped GitHub Actions workflow: pinned tools, options the plugin knows, report kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "ci" / "github" / "seldon-conformance.yaml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    return workflow()["jobs"]["kind"]["steps"]


def test_tool_versions_are_pinned():
    env = workflow()["env"]
    for tool in ("KIND_VERSION", "KUBECTL_VERSION", "HELM_VERSION"):
        assert re.fullmatch(r"v\d+\.\d+\.\d+", env[tool]), tool
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert all(re.search(r"@v\d+$", u) for u in uses)
    kind_step = next(s for s in steps() if s.get("uses", "").startswith("helm/kind-action"))
    assert kind_step["with"]["install_only"] is True  # pytest creates the cluster itself


def test_report_is_uploaded_even_when_checks_fail():
    upload = next(s for s in steps() if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "${{ env.REPORT_DIR }}"
    diagnostics = next(s for s in steps() if "kind-diagnostics.sh" in s.get("run", ""))
    assert diagnostics["if"] == "failure()"
    assert (ROOT / "ci" / "scripts" / "kind-diagnostics.sh").stat().st_mode & 0o111


def test_every_seldon_option_the_workflow_passes_is_registered_by_the_plugin():
    run = next(s["run"] for s in steps() if "--seldon-cluster=kind" in s.get("run", ""))
    used = set(re.findall(r"--seldon-[a-z-]+", run))
    assert {"--seldon-cluster", "--seldon-report", "--seldon-keep-cluster"} <= used
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    ).stdout
    assert {option for option in used if option not in help_text} == set()
