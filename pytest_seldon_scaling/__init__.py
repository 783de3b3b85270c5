"""pytest-seldon-scaling: prove Seldon Core 2 autoscaling manifests behave."""

from .load.profile import Hold, LoadProfile, Ramp, Spike, Step

__all__ = ["Hold", "LoadProfile", "Ramp", "Spike", "Step"]
