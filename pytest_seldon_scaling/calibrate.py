"""``seldon-scaling calibrate``: find one replica's saturation rate and size the HPA from it.

The Core 2 docs ask for exactly this by hand: "an open-loop load test with a slowly ramping up
request rate should be done on the target model (one replica, no scaling)", then "set the HPA
``target.averageValue`` taking some margin below this saturation RPS, and compute
``spec.maxReplicas`` as ``peak_infer_RPS``/``target.averageValue``". This command runs the ramp
with Locust (open loop: constant-throughput users at the profile's rate), finds where p99
breaks the limit, errors begin or the replica stops keeping up, and prints the HPA target and
maxReplicas with the margin used. It writes a service profile (service-time percentiles at low
load, concurrency per replica by Little's law at saturation) that the twin serves with in
place of its defaults (:mod:`.service_profile`; ``plan --service-profile``,
``--seldon-service-profile`` and ``tune --profile`` read it).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .load.profile import Ramp, parse_duration
from .service_profile import ServiceProfile
from .timeline import TrafficSecond

WINDOW = 5  # seconds per step of the judgement: single seconds are too noisy
KEEP_UP = 0.9  # a replica that completes under 90 % of what was sent is saturated
LOW_LOAD_SHARE = 0.2  # the first fifth of the ramp shows the service time without queueing


@dataclass(frozen=True)
class Saturation:
    """Where the ramp broke (or that it never did) and the last good rate before it."""

    rps: float  # highest completed rate of a window that met every limit
    reason: str  # why the next window failed, or that the ramp ended first
    broke: bool


def saturation(
    seconds: Sequence[TrafficSecond], max_p99_ms: float, window: int = WINDOW
) -> Saturation:
    """Walk the ramp in windows and stop where it broke (pure).

    Errors end the ramp at once. A slow window (p99 over the limit, or the replica completing
    under 90 % of what was sent) ends it only when the next window is slow too: one slow
    window among good ones is a hiccup (GC, a noisy neighbour), not saturation. Slow windows
    before the first good one are warm-up and are skipped.
    """
    rows = sorted(seconds, key=lambda s: s.t)
    good = before_strike = 0.0
    seen_good = False
    strike: str | None = None
    for start in range(0, len(rows), window):
        chunk = rows[start : start + window]
        sent = sum(s.sent for s in chunk)
        ok = sum(s.ok for s in chunk)
        failed = sum(s.failed_total for s in chunk)
        p99 = max((s.p99_ms or 0.0 for s in chunk), default=0.0)
        at = f"t={chunk[0].t - rows[0].t}-{chunk[-1].t - rows[0].t + 1}s"
        rate = f"{sent / len(chunk):.1f} rps"
        if failed:
            return Saturation(
                before_strike if strike else good, f"{failed} errors at {at} ({rate})", True
            )
        slow = None
        if p99 > max_p99_ms:
            slow = f"p99 {p99:.0f} ms > {max_p99_ms:g} ms at {at} ({rate})"
        elif sent and ok < KEEP_UP * sent:
            slow = f"completed {ok} of {sent} sent at {at}: the replica stopped keeping up"
        if slow is None:
            seen_good, strike = True, None
            good = max(good, ok / len(chunk))
        elif seen_good and strike is not None:
            return Saturation(before_strike, f"{strike}, and the next window too", True)
        elif seen_good:
            strike, before_strike = slow, good
    return Saturation(good, "the ramp ended before any limit broke", False)


@dataclass(frozen=True)
class HPAAdvice:
    average_value: float
    max_replicas: int | None
    margin: float


def hpa_advice(saturation_rps: float, margin: float, peak_rps: float | None) -> HPAAdvice:
    """The docs' rule: target = saturation x (1 - margin); maxReplicas = ceil(peak / target)."""
    target = round(saturation_rps * (1 - margin), 2)
    if target <= 0:
        raise ValueError("no rate completed within the limits; nothing to size the HPA from")
    wanted = math.ceil(peak_rps / target) if peak_rps else None
    return HPAAdvice(target, wanted, margin)


def service_profile(
    model: str, seconds: Sequence[TrafficSecond], found: Saturation, max_p99_ms: float
) -> ServiceProfile:
    """Service time from the ramp's low-load seconds; concurrency = rate x time (Little)."""
    rows = sorted(seconds, key=lambda s: s.t)
    low = [s for s in rows[: max(1, int(len(rows) * LOW_LOAD_SHARE))] if s.p50_ms is not None]
    if not low:
        raise ValueError("no latencies were measured at low load")
    p50 = statistics.median(s.p50_ms for s in low)
    p95 = statistics.median(s.p95_ms or s.p50_ms for s in low)
    p99 = statistics.median(s.p99_ms or s.p50_ms for s in low)
    concurrency = max(1, round(found.rps * p50 / 1000))
    return ServiceProfile(model, p50, p95, p99, concurrency, found.rps, max_p99_ms)


# -- the command -----------------------------------------------------------------------------


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "calibrate",
        help="ramp load on one replica, find its saturation, size the HPA, write a profile",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--url", required=True, help="the model server, e.g. http://host:8080")
    parser.add_argument("--model", required=True, help="model name (V2 /v2/models/NAME/infer)")
    parser.add_argument("--payload", type=Path, help="V2 inference request JSON (default: iris)")
    parser.add_argument("--max-p99-ms", type=float, default=100.0, help="SLO on p99 (ms)")
    parser.add_argument("--peak-rps", type=float, help="expected peak rate, for maxReplicas")
    parser.add_argument("--ramp-to", type=float, default=200.0, help="rate the ramp ends at")
    parser.add_argument("--duration", default="2m", help="length of the ramp (slow is better)")
    parser.add_argument("--margin", type=float, default=0.2, help="below saturation (0.2: 20 %%)")
    parser.add_argument("--workers", type=int, default=0, help="Locust worker processes")
    parser.add_argument(
        "--output", type=Path, default=Path("service-profile.json"), help="service profile"
    )
    parser.set_defaults(handler=run_calibrate)
    return parser


def run_calibrate(args: argparse.Namespace) -> int:
    from .load.locust_driver import LoadDriverError, start_locust_load

    try:
        duration = parse_duration(args.duration)
        if not 0 <= args.margin < 1 or args.ramp_to <= 1 or duration <= 0:
            raise ValueError("--margin in [0, 1), --ramp-to > 1 and --duration > 0")
        profile = Ramp(1, args.ramp_to, duration)
        run = start_locust_load(
            args.url,
            args.model,
            profile,
            payload=args.payload,
            workers=args.workers,
            grace=10,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except (ValueError, LoadDriverError) as error:
        print(f"seldon-scaling calibrate: {error}", file=sys.stderr)
        return 2
    result = run.wait()
    seconds = run.seconds()
    found = saturation(seconds, args.max_p99_ms)
    print(f"Calibrate: {profile.describe()} (open loop) against {args.model} at {args.url}")
    for shortfall in result.shortfalls:
        print(f"  load generator: {shortfall}")
    try:
        advice = hpa_advice(found.rps, args.margin, args.peak_rps)
        service = service_profile(args.model, seconds, found, args.max_p99_ms)
    except ValueError as error:
        print(f"seldon-scaling calibrate: {error} ({found.reason})", file=sys.stderr)
        return 1
    if found.broke:
        print(f"Saturation: {found.rps:.1f} rps per replica (then {found.reason})")
    else:
        # honest: the replica was never saturated, so the figure is a lower bound
        print(
            f"Saturation: not reached; ≥ {found.rps:.1f} rps per replica ({found.reason}); "
            "raise --ramp-to for a real figure"
        )
    print(
        f"HPA target.averageValue: {advice.average_value:g} "
        f"({found.rps:.1f} rps less a {advice.margin:.0%} margin)"
    )
    if advice.max_replicas is not None:
        print(
            f"HPA spec.maxReplicas: {advice.max_replicas} "
            f"(peak {args.peak_rps:g} rps / {advice.average_value:g})"
        )
    else:
        print("HPA spec.maxReplicas: give --peak-rps (maxReplicas = peak rps / averageValue)")
    args.output.write_text(service.to_json())
    print(
        f"service profile: {args.output} (p50 {service.service_time_p50_ms:.1f} ms, "
        f"p99 {service.service_time_p99_ms:.1f} ms, concurrency {service.concurrency_per_replica})"
    )
    return 0 if found.broke else 1
