from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.serve import ServedTwin
from pytest_seldon_scaling.twin import TwinSettings

KUBECTL = shutil.which("kubectl")
# short virtual delays, and virtual time at 4x the wall clock, keep the kubectl test in seconds
FAST = TwinSettings(pod_start_seconds=8.0, scrape_interval=5.0, hpa_sync_period=5.0)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[ServedTwin]:
    adapter = default_manifests() / "adapter-configmap.yaml"
    with ServedTwin([adapter], speed=4.0, settings=FAST) as twin:
        twin.kubeconfig_path = twin.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")
        yield twin


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}

    def run(
        self, *args: str, check: bool = True, timeout: float = 90
    ) -> subprocess.CompletedProcess:
        assert KUBECTL is not None
        done = subprocess.run(
            [KUBECTL, *args], capture_output=True, text=True, env=self.env, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout


@pytest.fixture(scope="module")
def kubectl(served: ServedTwin, tmp_path_factory) -> Kubectl:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH (the outside judge of the served twin)")
    return Kubectl(served.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig"))
