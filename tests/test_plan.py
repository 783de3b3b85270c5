"""``seldon-scaling plan``: the twin's answer to "what would my manifests do under this load?"."""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.resources import default_manifests

FIXTURES = str(default_manifests())
PROFILE = "ramp 1-15rps 2m, hold 5m, ramp 15-1rps 2m, hold 1rps 6m"


def test_plan_explains_every_replica_change_and_passes(capsys):
    assert main(["plan", "--manifests", FIXTURES, "--profile", PROFILE]) == 0
    out, err = capsys.readouterr()
    assert "model/iris-shared" in out
    assert "SuccessfulRescale hpa/iris-shared-model-hpa: New size: 3" in out
    assert "ServerScaleUp scheduler requests 3 replicas" in out
    assert "ScheduleFailed: Failed to schedule model as no matching server had enough" in out
    assert "Verdict: PASS" in out
    assert "simulated    900/900 s (100%)" in err


def test_a_violated_slo_fails_the_plan(capsys):
    code = main(
        ["plan", "--manifests", FIXTURES, "--profile", "hold 20rps 3m", "--max-p99-ms", "1"]
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert "Verdict: FAIL" in out
    assert "FAIL  iris-shared: worst p99" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--profile", "ramp 1-30 5m"],
            "segment 1 ('ramp 1-30 5m'): expected 'ramp A-Brps DURATION'",
        ),
        (["--profile", "hold 5rps 1m", "--model", "nope"], "no Model named nope"),
        (["--profile", "hold 5rps 1m", "--core-version", "3.0"], "'3.0' is not a supported"),
        (["--profile", "hold 5rps 1m", "--plot", "out.pdf"], "use a .svg or .png file"),
    ],
)
def test_bad_input_is_a_usage_error(capsys, args, message):
    assert main(["plan", "--manifests", FIXTURES, *args]) == 2
    assert message in capsys.readouterr().err


def test_bad_manifest_names_the_file_and_field(tmp_path, capsys):
    bad = tmp_path / "model.yaml"
    bad.write_text(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: m}\n"
        "spec: {storageUri: gs://x, replicas: many}\n"
    )
    assert main(["plan", "--manifests", str(bad), "--profile", "hold 1rps 1m"]) == 2
    err = capsys.readouterr().err
    assert "model.yaml:4" in err and "Model/m" in err and "spec.replicas" in err


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".png", b"\x89PNG")])
def test_plot_files(tmp_path, capsys, suffix, magic):
    plot = tmp_path / f"timeline{suffix}"
    args = ["plan", "--manifests", FIXTURES, "--profile", "ramp 1-15rps 2m", "--plot", str(plot)]
    assert main(args) == 0
    assert plot.read_bytes().startswith(magic)
    assert f"plot: {plot}" in capsys.readouterr().out
