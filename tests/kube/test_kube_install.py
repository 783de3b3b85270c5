"""``seldon-scaling install``: the plan kind mode runs, printed with --dry-run or run."""

from __future__ import annotations

import stat

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.kube.helm import HelmSettings, install_plan


def test_dry_run_prints_the_ordered_plan_kind_mode_runs_and_its_values(tmp_path, capsys):
    assert main(["install", "--dry-run", "--dir", str(tmp_path / "plan")]) == 0

    out = capsys.readouterr().out
    commands = [line for line in out.splitlines() if line.startswith(("helm ", "kubectl "))]
    kind_plan = install_plan(HelmSettings(), tmp_path / "plan")  # what kind mode runs
    assert out == kind_plan.describe() + "# dry run: nothing was run\n"
    order = [c.split()[3] if c.startswith("helm upgrade") else c.split()[1] for c in commands]
    assert order[3:] == [
        "seldon-core-v2-crds",  # first: the adapter resolves mlops.seldon.io at start-up
        "seldon-monitoring",
        "hpa-metrics",  # started with the infer_rps rule in the values printed below
        "seldon-core-v2-setup",
        "seldon-core-v2-runtime",
        "seldon-core-v2-servers",
        "apply",  # the agents' PodMonitor
    ]
    assert "as: infer_rps" in out
    assert not (tmp_path / "plan").exists()  # nothing written, nothing run


def test_bad_settings_stop_with_one_line_and_exit_2(capsys):
    assert main(["install", "--dry-run", "--set", "autoscaling.serverPackingPercentage=0.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seldon-scaling install: packing percentage 0.5")
    assert main(["install", "--dry-run", "--set", "monitorng=false"]) == 2
    assert "unknown helm setting(s) monitorng" in capsys.readouterr().err


def _tool(path, record, fail_on: str = "") -> str:
    path.write_text(
        f'#!/bin/sh\necho "$KUBECONFIG $(basename $0) $*" >> {record}\n'
        + (f'case "$*" in *{fail_on}*) echo "Error: boom" >&2; exit 1;; esac\n' if fail_on else "")
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_install_runs_every_command_against_the_kubeconfig(tmp_path, capsys):
    record = tmp_path / "calls.txt"
    helm, kubectl = _tool(tmp_path / "helm", record), _tool(tmp_path / "kubectl", record)
    args = ["install", "--dir", str(tmp_path / "work"), "--kubeconfig", "/k/config"]

    assert main([*args, "--helm", helm, "--kubectl", kubectl, "--set", "monitoring=false"]) == 0

    calls = record.read_text().splitlines()
    assert all(c.startswith("/k/config ") for c in calls)
    assert [c.split()[1] for c in calls][-1] == "helm"  # no PodMonitor without monitoring
    assert "ran 6 commands" in capsys.readouterr().out


def test_a_failing_command_stops_the_install_with_exit_1_and_its_output(tmp_path, capsys):
    record = tmp_path / "calls.txt"
    helm = _tool(tmp_path / "helm", record, fail_on="seldon-core-v2-setup")
    args = ["install", "--dir", str(tmp_path / "work"), "--helm", helm, "--set", "monitoring=false"]

    assert main(args) == 1

    err = capsys.readouterr().err
    assert "seldon-core-v2-setup" in err and "Error: boom" in err
    assert "seldon-core-v2-runtime" not in record.read_text()


def test_a_named_context_reaches_every_cluster_command_and_no_repo_command(tmp_path, capsys):
    assert main(["install", "--dry-run", "--context", "team-a", "--dir", str(tmp_path)]) == 0
    commands = [
        line.split()
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(("helm ", "kubectl "))
    ]
    for command in commands:
        if command[:2] == ["helm", "repo"]:
            assert "--kube-context" not in command
        elif command[0] == "helm":
            assert command[-2:] == ["--kube-context", "team-a"]
        else:
            assert command[:3] == ["kubectl", "--context", "team-a"]
