"""Files the package ships: the suites' default manifests, the kind config, the PodMonitor.

Found with :mod:`importlib.resources`, so they resolve the same from a checkout, an editable
install and a wheel in ``site-packages``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_DEFAULTS = files("pytest_seldon_scaling") / "defaults"


def _path(*parts: str) -> Path:
    # The package is installed as plain files (never zipped: pytest needs the suites on disk),
    # so the traversable is a real path.
    return Path(str(_DEFAULTS.joinpath(*parts)))


def default_manifests() -> Path:
    """The suites' own Servers, Models, HPAs and adapter rule, tested when none are given."""
    return _path("manifests")


def kind_config() -> Path:
    """The kind cluster config kind mode creates clusters with."""
    return _path("kind", "kind-config.yaml")


def agent_podmonitor() -> Path:
    """The PodMonitor that has Prometheus scrape the Core 2 agents' metrics."""
    return _path("kind", "agent-podmonitor.yaml")
