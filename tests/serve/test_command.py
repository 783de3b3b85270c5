"""``seldon-scaling twin serve`` as a user runs it: banner, kubeconfig, Ctrl-C, bad input."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request

import yaml

from pytest_seldon_scaling.resources import default_manifests

from .commands import twin_serve


def test_serve_writes_a_kubeconfig_answers_and_stops_on_ctrl_c(tmp_path):
    from pytest_seldon_scaling.service_profile import ServiceProfile

    kubeconfig = tmp_path / "kube" / "config"
    profile = tmp_path / "iris.json"  # calibrated as iris: serves the Models without their own
    profile.write_text(ServiceProfile("iris", 5.0, 9.0, 20.0, 2, 100.0, 1000.0).to_json())
    serve = subprocess.Popen(
        twin_serve(
            default_manifests(), kubeconfig, "--context", "dev", "--service-profile", str(profile)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = serve.stdout.readline()
        url = re.search(r"API (http://127\.0\.0\.1:\d+)", banner).group(1)
        profiled = [serve.stdout.readline(), serve.stdout.readline()]
        assert [line.split(" served as")[0].strip() for line in profiled] == [
            "model/iris-dedicated",
            "model/iris-shared",
        ]
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
        twin_serve(bad, tmp_path / "kc"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "spec.replica" in done.stderr
    assert not (tmp_path / "kc").exists()


def test_a_bad_service_profile_stops_serve_before_it_starts(tmp_path):
    bad = tmp_path / "slow.json"
    bad.write_text('{"model": "iris"}')
    done = subprocess.run(
        twin_serve(default_manifests(), tmp_path / "kc", "--service-profile", str(bad)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "slow.json: service profile lacks service_time_p50_ms" in done.stderr
    assert not (tmp_path / "kc").exists()
