"""Real Kubernetes backends (kind or an existing cluster) for the SeldonCluster protocol."""

from .cluster import KubeCluster
from .factory import open_kube_cluster
from .preflight import Check, PreflightFailed, PreflightReport

__all__ = ["Check", "KubeCluster", "PreflightFailed", "PreflightReport", "open_kube_cluster"]
