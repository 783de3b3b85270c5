"""``seldon-scaling twin serve`` as a user runs it: banner, kubeconfig, Ctrl-C, bad input."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

import yaml

from pytest_seldon_scaling.resources import default_manifests


def test_serve_writes_a_kubeconfig_answers_and_stops_on_ctrl_c(tmp_path):
    kubeconfig = tmp_path / "kube" / "config"
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_seldon_scaling.cli",
            "twin",
            "serve",
            "--manifests",
            str(default_manifests()),
            "--kubeconfig",
            str(kubeconfig),
            "--context",
            "dev",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = serve.stdout.readline()
        url = re.search(r"API (http://127\.0\.0\.1:\d+)", banner).group(1)
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["current-context"] == "dev"
        assert config["clusters"][0]["cluster"]["server"] == url
        with urllib.request.urlopen(
            f"{url}/apis/mlops.seldon.io/v1alpha1/namespaces/seldon-mesh/models/iris-shared"
        ) as answer:
            assert json.loads(answer.read())["spec"]["server"] == "mlserver-shared"
    finally:
        serve.send_signal(signal.SIGINT)
        rest, _ = serve.communicate(timeout=30)
    assert serve.returncode == 0
    assert "twin stopped" in rest


def test_a_bad_manifest_stops_serve_before_it_starts(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: m}\n"
        "spec: {storageUri: gs://x, replica: 2}\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_seldon_scaling.cli",
            "twin",
            "serve",
            "--manifests",
            str(bad),
            "--kubeconfig",
            str(tmp_path / "kc"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "spec.replica" in done.stderr
    assert not (tmp_path / "kc").exists()
