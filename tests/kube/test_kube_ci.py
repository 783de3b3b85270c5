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


def test_diagnostics_reach_the_cluster_through_a_kubeconfig_kind_wrote(tmp_path):
    """pytest-kind writes the kubeconfig to .pytest-kind/<name>/kubeconfig, not the default
    one, so ``kubectl --context kind-<name>`` alone reaches nothing (every line failed behind
    ``|| true``); the script has kind export one and passes it to every kubectl call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    (bin_dir / "kind").write_text(
        "#!/bin/sh\n"
        f'echo "kind $*" >> {calls}\n'
        'if [ "$1" = get ]; then echo ci; fi\n'
        'if [ "$1 $2" = "export kubeconfig" ]; then echo "apiVersion: v1" > "$6"; fi\n'
    )
    (bin_dir / "kubectl").write_text(
        "#!/bin/sh\n"
        f'echo "kubectl $*" >> {calls}\n'
        '[ "$1" = --kubeconfig ] && [ -s "$2" ] || { echo "no kubeconfig" >&2; exit 1; }\n'
        'case "$*" in *"get pods"*) echo pod/mlserver-0;; *) echo fine;; esac\n'
    )
    for tool in ("kind", "kubectl"):
        (bin_dir / tool).chmod(0o755)
    out = tmp_path / "diagnostics"

    done = subprocess.run(
        [str(ROOT / "ci" / "scripts" / "kind-diagnostics.sh"), "ci", str(out)],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    kubectl_calls = [c for c in calls.read_text().splitlines() if c.startswith("kubectl")]
    assert len(kubectl_calls) == 7  # objects, events, custom metrics, 2 x (pods, logs)
    assert all(c.startswith("kubectl --kubeconfig ") for c in kubectl_calls)
    assert (out / "logs-seldon-mesh-mlserver-0.txt").read_text() == "fine\n"
    assert "no kubeconfig" not in (out / "objects.txt").read_text()
    assert not list(out.glob("*kubeconfig*"))  # credentials stay out of the uploaded report
