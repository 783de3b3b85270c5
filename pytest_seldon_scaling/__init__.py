"""pytest-seldon-scaling: prove Seldon Core 2 autoscaling manifests behave."""

from typing import Any

__all__ = ["Hold", "LoadProfile", "Ramp", "Spike", "Step"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the pytest plugin imports this package in every pytest run.
    if name in __all__:
        from .load import profile

        return getattr(profile, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
