"""Core 2 versions as users write them: ``2.10``, ``v2.9.1``, ``2.10.2``."""

from __future__ import annotations

import re
from collections.abc import Sequence

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")

# SeldonIO/seldon-core PR #6814 (in v2.10.0): the agent and the scheduler ignore the flag
LAG_AUTOSCALING_DISABLED = (
    "lag-based model autoscaling is force-disabled in agent and scheduler since Core 2 "
    "v2.10.0 (SeldonIO/seldon-core #6814)"
)


def parse_core_version(version: str) -> tuple[int, int]:
    """``"v2.9.1"`` -> ``(2, 9)``, for comparisons such as ``>= (2, 10)``."""
    match = _VERSION.fullmatch(str(version).strip())
    if match is None:
        raise ValueError(f"{version!r} is not a Core 2 version (e.g. 2.10 or 2.10.2)")
    return int(match[1]), int(match[2])


def core_minor(version: str, supported: Sequence[str]) -> str:
    """``"v2.10.2"`` -> ``"2.10"``; a ``ValueError`` naming the choices when not supported."""
    try:
        major, minor = parse_core_version(version)
    except ValueError:
        major = minor = None
    if f"{major}.{minor}" not in supported:
        raise ValueError(
            f"{version!r} is not a supported Core 2 version (use one of {', '.join(supported)}, "
            "or a patch release like 2.10.2)"
        )
    return f"{major}.{minor}"
