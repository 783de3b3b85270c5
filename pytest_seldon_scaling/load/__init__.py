"""Load profiles and load drivers.

The Locust driver (:func:`start_locust_load`) runs Locust in processes of its own; nothing here
imports Locust or gevent.
"""

from .locust_driver import LocustLoadRun, start_locust_load
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
