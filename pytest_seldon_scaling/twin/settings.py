"""The twin's knobs: what the Core 2 helm values and the cluster would decide.

Defaults follow the helm charts of v2.10 (``seldon-core-v2-setup`` values: server autoscaling
on, packing off with percentage 0.0, model autoscaling off) and Kubernetes (HPA sync 15 s,
PodMonitor scrape interval 15 s). Latencies are realistic orders of magnitude for a small
sklearn model on MLServer; tests and ``plan`` may change them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TwinSettings:
    """Helm-like settings of one twin run (immutable; use :meth:`with_`)."""

    # scheduler flags (helm autoscaling.*)
    server_autoscaling_enabled: bool = True
    server_packing_enabled: bool = False
    server_packing_percentage: float = 0.0
    model_autoscaling_enabled: bool = False  # works in 2.9 only; forced off in 2.10
    # Kubernetes
    hpa_sync_period: float = 15.0
    hpa_tolerance: float = 0.1
    hpa_downscale_stabilization: float = 300.0
    scrape_interval: float = 15.0
    pod_start_seconds: float = 20.0
    termination_grace_seconds: float = 120.0
    # load generator: "paced" sends the profile's requests evenly (as Locust's constant
    # throughput users do), "poisson" draws independent Poisson counts (open-loop arrivals)
    arrivals: str = "paced"
    # agent / inference server
    model_load_seconds: float = 2.0
    model_unload_seconds: float = 0.5
    service_time_seconds: float = 0.01
    concurrency_per_replica: int = 4
    # the load client's deadline: the Locust driver's request_timeout(grace=30 s) (FastHttpUser
    # itself defaults to 60 s, requests' HttpUser to none); see twin/traffic.py
    request_timeout_seconds: float = 10.0
    # Envoy's default circuit breakers per upstream cluster (one per model version; Core 2 sets
    # only max_retries): HTTP/1.1 connections (one request each) and requests waiting for one
    envoy_max_connections: int = 1024
    envoy_max_pending_requests: int = 1024
    # Envoy / scheduler timing (spec appendix)
    envoy_batch_seconds: float = 0.25
    drain_cool_down_seconds: float = 0.5
    drain_settle_seconds: float = 3.25
    model_scaling_cool_down_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.arrivals not in ("paced", "poisson"):
            raise ValueError(
                f"TwinSettings.arrivals: {self.arrivals!r} is not 'paced' or 'poisson'"
            )
        if not 0 < self.request_timeout_seconds < math.inf:
            raise ValueError(
                f"TwinSettings.request_timeout_seconds: {self.request_timeout_seconds!r} "
                "is not a number of seconds > 0"
            )

    def with_(self, **changes: object) -> TwinSettings:
        return replace(self, **changes)

    @property
    def pack_threshold(self) -> float:
        """The probability the scheduler uses (forced to 0 when packing is disabled)."""
        return self.server_packing_percentage if self.server_packing_enabled else 0.0
