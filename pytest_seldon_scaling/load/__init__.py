"""Load profiles and load drivers."""

from .profile import Hold, LoadProfile, ProfileError, Ramp, Spike, Step, parse_duration
from .result import LoadResult, summarize

__all__ = [
    "Hold",
    "LoadProfile",
    "LoadResult",
    "ProfileError",
    "Ramp",
    "Spike",
    "Step",
    "parse_duration",
    "summarize",
]
