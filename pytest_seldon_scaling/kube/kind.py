"""kind cluster lifecycle through pytest-kind's ``KindCluster``: create / reuse / keep explicit.

``KindCluster`` is always handed the kind and kubectl binaries found on PATH (or named by an
option): left alone it downloads kind v0.17.0 (amd64 only), which cannot create current
Kubernetes versions. Its ``create()`` silently reuses a cluster of the same name and its
fixture then deletes it; here a cluster is deleted only if this run created it and keep is off.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from pytest_kind import KindCluster

from ..cluster import ClusterError
from ..resources import kind_config
from .objects import dns_label

DEFAULT_CLUSTER = "seldon-scaling"
DEFAULT_CONFIG = kind_config()
# kind prefixes node containers and contexts with the name; keep room for "-control-plane"
MAX_NAME = 40


def kind_cluster_name(base: str | None, worker_id: str | None) -> str:
    """A DNS-safe cluster name, one per pytest-xdist worker (``mine-gw1``).

    Without a name, one unique to this run (``seldon-scaling-3f9a2c``): two runs on one
    machine must never reuse, and then delete, each other's cluster. Name it to reuse it.
    """
    name = dns_label(base or f"{DEFAULT_CLUSTER}-{uuid.uuid4().hex[:6]}")
    if worker_id and worker_id != "master":
        suffix = dns_label(worker_id)
        name = f"{name[: MAX_NAME - len(suffix) - 1].rstrip('-')}-{suffix}"
    return name[:MAX_NAME].rstrip("-")


def kind_context(name: str) -> str:
    return f"kind-{name}"


def existing_clusters(kind: str) -> list[str]:
    done = subprocess.run(
        [kind, "get", "clusters"], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise ClusterError(f"`{kind} get clusters` failed: {done.stderr.strip()}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


@dataclass
class KindHandle:
    """A kind cluster this run uses; ``created`` says whether this run must delete it."""

    cluster: KindCluster
    created: bool
    keep: bool
    released: bool = False

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def kubeconfig(self) -> str:
        return str(self.cluster.kubeconfig_path)

    def release(self) -> None:
        """Delete the cluster if this run created it and keep is off (once)."""
        if self.created and not self.keep and not self.released:
            self.released = True
            self.cluster.delete()


def ensure_kind_cluster(
    name: str,
    *,
    kind_binary: str,
    kubectl_binary: str,
    kubeconfig: str | None = None,
    config: Path = DEFAULT_CONFIG,
    image: str | None = None,
    keep: bool = False,
) -> KindHandle:
    """Reuse the cluster ``name`` if it exists (never deleting it), else create it."""
    # absolute: pytest-kind's default is relative to the directory pytest started in
    kubeconfig_path = Path(kubeconfig or Path(".pytest-kind", name, "kubeconfig")).resolve()
    cluster = KindCluster(
        name,
        kubeconfig_path,
        image=image,
        kind_path=Path(kind_binary),
        kubectl_path=Path(kubectl_binary),
    )
    if name in existing_clusters(kind_binary):
        cluster.kubeconfig_path.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [kind_binary, "export", "kubeconfig", f"--name={name}",
             f"--kubeconfig={cluster.kubeconfig_path}"],
            capture_output=True, text=True, timeout=60, check=False,
            env=dict(os.environ),
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(
                f"reusing kind cluster {name}: `kind export kubeconfig` failed: "
                f"{done.stderr.strip()}"
            )
        return KindHandle(cluster, created=False, keep=keep)
    try:
        cluster.create(config_file=config)
    except subprocess.CalledProcessError as error:
        raise ClusterError(f"`kind create cluster --name={name}` failed: {error}") from error
    return KindHandle(cluster, created=True, keep=keep)
