"""The ``seldon-scaling twin serve`` command line, as the serve tests start it."""

from __future__ import annotations

import sys
from pathlib import Path


def twin_serve(manifests: Path, kubeconfig: Path, *options: str) -> list[str]:
    """``twin serve`` of ``manifests``, writing ``kubeconfig``, with further ``options``."""
    return [
        sys.executable,
        "-m",
        "pytest_seldon_scaling.cli",
        "twin",
        "serve",
        "--manifests",
        str(manifests),
        "--kubeconfig",
        str(kubeconfig),
        *options,
    ]
