"""Load profiles and load drivers.

The Locust driver (:func:`start_locust_load`) runs Locust in processes of its own; nothing here
imports Locust or gevent. The driver module is imported on first use only: this package is
imported by the pytest plugin in every pytest run, and most never start load.
"""

from typing import Any

from .profile import Hold, LoadProfile, ProfileError, Ramp, Spike, Step, parse_duration
from .result import LoadResult, summarize

__all__ = [
    "Hold",
    "LoadProfile",
    "LoadResult",
    "LocustLoadRun",
    "ProfileError",
    "Ramp",
    "Spike",
    "Step",
    "parse_duration",
    "start_locust_load",
    "summarize",
]


def __getattr__(name: str) -> Any:
    if name in ("LocustLoadRun", "start_locust_load"):
        from . import locust_driver

        return getattr(locust_driver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
