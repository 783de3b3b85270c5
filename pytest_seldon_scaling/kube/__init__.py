"""Real Kubernetes backends (kind or an existing cluster) for the SeldonCluster protocol.

The names below are imported on first use: ``seldon-scaling install`` needs only the helm
plan, not the kubernetes client.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Check": ".preflight",
    "KubeCluster": ".cluster",
    "PreflightFailed": ".preflight",
    "PreflightReport": ".preflight",
    "open_kube_cluster": ".factory",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name], __name__), name)
