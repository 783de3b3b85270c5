"""A pytest plugin (``-p fast_twin``): the in-process twin with the served run's timing.

The served suites run (test_suites_served.py) starts ``seldon-scaling twin serve`` with a
shorter HPA sync period, scrape interval and pod start; the in-process run it is compared with
must model the same cluster. The plugin has no option for the twin's timing, so this plugin
gives every twin the suites open these defaults (``--seldon-*`` options still apply on top).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest_seldon_scaling.twin as twin

# Kubernetes and kubelet timing, shortened: the served twin gets the same as command-line flags
FAST_TIMING = {"hpa_sync_period": 5.0, "scrape_interval": 5.0, "pod_start_seconds": 5.0}


@dataclass(frozen=True)
class FastTwinSettings(twin.TwinSettings):
    hpa_sync_period: float = FAST_TIMING["hpa_sync_period"]
    scrape_interval: float = FAST_TIMING["scrape_interval"]
    pod_start_seconds: float = FAST_TIMING["pod_start_seconds"]


def pytest_configure(config) -> None:
    # the plugin's _open_twin looks TwinSettings up in the twin package when it opens a twin
    twin.TwinSettings = FastTwinSettings  # type: ignore[misc]
