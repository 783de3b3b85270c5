"""``seldon-scaling plan``: what your manifests would do under a load profile, on the twin.

Runs the embedded Core 2 twin in virtual time, prints per Model and Server when replicas change
and why (the HPA's rescale reason, the scheduler's event), when it becomes Ready or not, the
failed requests, and a verdict against the SLO flags; ``--plot`` draws the report's charts of
the run (one list of :class:`~.svgplot.ChartSpec`) as SVG (dependency-free) or PNG (matplotlib,
the ``plot`` extra).

The verdict fails (exit 1) when any SLO is missed: failed or unanswered requests above
``--max-error-rate``, a second's p99 above ``--max-p99-ms``, an HPA deciding otherwise than the
exact algorithm, a target whose *serving* replicas (a Model's ``availableReplicas``, a Server's
``status.replicas``) do not reach an HPA decision within ``--convergence-time``, or a Model
``ScheduleFailed`` for longer than that or still at the end. A Model is briefly ScheduleFailed
on every scale-up that waits for its Server (that is how Core 2 scales), so shorter periods
are listed but do not fail.

``--action`` scripts a change at a time after the load begins, as ``kubectl`` would make
it: ``"300s delete model/iris"``, ``"10m scale server/mlserver 3"`` (repeatable), so e.g. the
consolidation after a Model is deleted can be planned; ``--model-autoscaling true`` runs
Core 2's lag-based model autoscaling (2.9; 2.10 force-disables it).

``kind: Node`` manifests among ``--manifests`` give the cluster's nodes (see
:func:`~pytest_seldon_scaling.twin.capacity.pool_from_node`); a Server pod that fits on none
stays Pending with the kube-scheduler's message, and a pod Pending longer than the
convergence time or still at the end fails the verdict. Without them every pod fits.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cluster import SeldonCluster, WaitTimeout, parse_ref
from .conditions import condition, is_ready
from .expect import (
    SCHEDULE_FAILED,
    ExpectationFailed,
    follows_hpa,
    schedule_failed_intervals,
)
from .load.profile import LoadProfile, ProfileError, parse_duration
from .load.result import LoadResult
from .load.trace import TraceError, load_trace, profiles_for
from .manifests import Manifest, ManifestError, load_manifests
from .service_profile import (
    add_service_profile_option,
    read_service_profile,
    serve_cluster_models,
    served_lines,
)
from .settings import MAX_DURATION, normalize_core_version
from .svgplot import ChartSpec
from .timeline import Event, HPASample, ReplicaSample, Timeline
from .twin.capacity import CapacityError, NodePool, pool_from_node
from .versions import LAG_AUTOSCALING_DISABLED

READY_TIMEOUT = 600.0
ACTION = "ScriptedAction"  # the timeline event of an --action
PROGRESS_STEP = 60.0


@dataclass
class Verdict:
    """SLO results of one plan: each line says what was required and what happened."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "plan",
        help="simulate a load profile on the twin and show what autoscaling would do",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--manifests",
        action="append",
        required=True,
        metavar="PATH",
        help="files or directories of Servers, Models, HPAs, adapter ConfigMap",
    )
    load = parser.add_mutually_exclusive_group(required=True)
    load.add_argument(
        "--profile",
        help='load profile, e.g. "ramp 1-30rps 5m, hold 10m, ramp 30-1rps 5m"',
    )
    load.add_argument(
        "--traffic",
        metavar="TRACE",
        help="replay real traffic: a .csv, a Prometheus query_range .json or a Prometheus URL, "
        "optionally scaled, e.g. day.csv#rate=2,duration=1h",
    )
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME",
        help="model(s) to send the load to (default: every Model with an HPA, else every Model)",
    )
    add_service_profile_option(parser, models="the manifests' Models")
    parser.add_argument("--core-version", default="2.10", help="Core 2 version (2.9 or 2.10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the twin's randomness")
    parser.add_argument("--server-autoscaling", choices=("true", "false"), default="true")
    parser.add_argument("--packing", choices=("true", "false"), default="false")
    parser.add_argument(
        "--packing-percentage",
        type=float,
        default=1.0,
        help="helm autoscaling.serverPackingPercentage, 0..100 as the docs write it; Core 2 "
        "reads it as a probability, so any value >= 1 packs on every scale-down (default 1)",
    )
    parser.add_argument(
        "--model-autoscaling",
        choices=("true", "false"),
        default="false",
        help="helm autoscaling.autoscalingModelEnabled: Core 2's lag-based model autoscaling "
        "(works in 2.9; 2.10 force-disables it, SeldonIO/seldon-core #6814)",
    )
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        metavar="ACTION",
        help='a change at a time after the load begins: "300s delete model/iris" or '
        '"10m scale server/mlserver 3" (repeatable)',
    )
    parser.add_argument(
        "--max-error-rate",
        type=float,
        default=0.0,
        help="SLO: highest share of failed requests (default 0)",
    )
    parser.add_argument(
        "--convergence-time",
        default="3m",
        help="SLO: time replicas may take to follow the HPA (default 3m)",
    )
    parser.add_argument(
        "--max-p99-ms",
        type=float,
        default=1000.0,
        help="SLO: highest per-second p99 latency in ms (default 1000)",
    )
    parser.add_argument(
        "--request-timeout",
        default="10s",
        help="the load client's per-request timeout; later answers fail (default 10s)",
    )
    parser.add_argument(
        "--plot", type=Path, metavar="FILE", help="write the timeline as FILE.svg or FILE.png"
    )
    parser.set_defaults(handler=run_plan)
    return parser


def run_plan(args: argparse.Namespace) -> int:
    try:
        trace = load_trace(args.traffic) if args.traffic else None
        profile = None if trace else LoadProfile.parse(args.profile)
        core_version = normalize_core_version(args.core_version)
        convergence = _bounded("--convergence-time", args.convergence_time, MAX_DURATION)
        timeout = _bounded("--request-timeout", args.request_timeout, 3600.0)
        _check_numbers(args)
        actions = sorted((parse_action(text) for text in args.action), key=lambda a: a.at)
        manifests = load_manifests(*args.manifests)
        node_pools = [_pool_of(m) for m in manifests if _is_node(m)]
        service_profiles = [read_service_profile(path) for path in args.service_profile]
    except (ProfileError, TraceError, ValueError, ManifestError) as error:
        print(f"seldon-scaling plan: {error}", file=sys.stderr)
        return 2
    if profile is not None and profile.requests_between(0.0, profile.duration) < 1:
        print(
            f"seldon-scaling plan: --profile {args.profile!r} sends no request: nothing to judge",
            file=sys.stderr,
        )
        return 2
    duration = trace.duration if trace else profile.duration
    late = [a.text for a in actions if a.at > duration]
    if late:
        print(
            f"seldon-scaling plan: --action {late[0]!r}: after the load ends at {duration:g}s",
            file=sys.stderr,
        )
        return 2
    if args.plot and args.plot.suffix.lower() not in (".svg", ".png"):
        print(f"seldon-scaling plan: --plot {args.plot}: use a .svg or .png file", file=sys.stderr)
        return 2
    from .twin import TwinCluster, TwinSettings

    cluster = TwinCluster(
        core_version=core_version,
        seed=args.seed,
        settings=TwinSettings(
            server_autoscaling_enabled=args.server_autoscaling == "true",
            server_packing_enabled=args.packing == "true",
            server_packing_percentage=args.packing_percentage,
            model_autoscaling_enabled=args.model_autoscaling == "true",
            request_timeout_seconds=timeout,
        ),
        node_pools=node_pools or None,
    )
    try:
        cluster.apply(*(m.obj for m in manifests if not m.is_helm_values and not _is_node(m)))
        models = args.model or (
            trace.models if trace and len(trace.series) > 1 else _default_models(cluster)
        )
        if not models:
            print("seldon-scaling plan: the manifests define no Model", file=sys.stderr)
            return 2
        unknown = sorted(set(models) - {m["metadata"]["name"] for m in cluster.list("model")})
        if unknown:
            print(f"seldon-scaling plan: no Model named {', '.join(unknown)}", file=sys.stderr)
            return 2
        missing = [a.text for a in actions if not _exists(cluster, a.ref)]
        if missing:
            print(
                f"seldon-scaling plan: --action {missing[0]!r}: the manifests define no "
                f"{missing[0].split()[2]}",
                file=sys.stderr,
            )
            return 2
        try:
            profiles = profiles_for(trace, models) if trace else dict.fromkeys(models, profile)
            served = serve_cluster_models(cluster, service_profiles)
        except ValueError as error:  # a TraceError too
            print(f"seldon-scaling plan: {error}", file=sys.stderr)
            return 2
        what = trace.describe() if trace else profile.describe()
        print(f"Plan: {what} on the Core 2 {core_version} twin (seed {args.seed})")
        for line in served_lines(served):
            print(line)
        if args.model_autoscaling == "true" and core_version != "2.9":
            print(
                f"warning: --model-autoscaling true does nothing on Core {core_version}: "
                f"{LAG_AUTOSCALING_DISABLED}; plan with --core-version 2.9",
                file=sys.stderr,
            )
        unready = _wait_models_ready(cluster, models)
        started = cluster.now()
        results = _simulate(cluster, profiles, _progress, actions)
        # every decision made under load gets the convergence time to be followed
        cluster.sleep(convergence)
        verdict = judge(
            cluster, results, args.max_error_rate, convergence, args.max_p99_ms, since=started
        )
        verdict.failed[:0] = unready
        for failed, line in pending_lines(
            cluster.timeline, cluster.pending_pods(), convergence, since=started
        ):
            (verdict.failed if failed else verdict.passed).append(line)
        explains: dict[str, list[str]] = {}
        for hpa in cluster.list("hpa"):
            target = _target_ref(hpa)
            if target is not None:
                explains.setdefault(target, []).append(f"hpa/{hpa['metadata']['name']}")
        placements = {
            server["metadata"]["name"]: cluster.placement(server["metadata"]["name"])
            for server in cluster.list("server")
        }
        print(render(cluster.timeline, results, verdict, explains, placements))
        if args.plot:
            write_plot(cluster.timeline, args.plot)
            print(f"plot: {args.plot}")
    finally:
        cluster.close()
    return 0 if verdict.ok else 1


def _is_node(manifest: Manifest) -> bool:
    return manifest.kind == "Node" and manifest.api_version == "v1"


def _pool_of(node: Manifest) -> NodePool:
    try:
        return pool_from_node(node.obj, node.display)
    except CapacityError as error:
        raise ValueError(f"{node.where()}: {error}") from None


def _default_models(cluster: SeldonCluster) -> list[str]:
    scaled = [
        h["spec"]["scaleTargetRef"]["name"]
        for h in cluster.list("hpa")
        if h["spec"]["scaleTargetRef"].get("kind") == "Model"
    ]
    return sorted(set(scaled)) or sorted(m["metadata"]["name"] for m in cluster.list("model"))


def _bounded(flag: str, value: str, most: float) -> float:
    seconds = parse_duration(value)
    if not 0 < seconds <= most:
        raise ValueError(f"{flag} {value!r}: must be a duration > 0 and at most {most:g}s")
    return seconds


def _check_numbers(args: argparse.Namespace) -> None:
    if not 0 <= args.max_error_rate <= 1:
        raise ValueError(f"--max-error-rate {args.max_error_rate!r}: must be between 0 and 1")
    if not 0 < args.max_p99_ms < math.inf:
        raise ValueError(f"--max-p99-ms {args.max_p99_ms!r}: must be a finite number > 0")
    if not 0 <= args.packing_percentage <= 100:
        raise ValueError(
            f"--packing-percentage {args.packing_percentage!r}: must be between 0 and 100"
        )


def _ready(cluster: SeldonCluster, model: str) -> bool:
    return is_ready(cluster.get(f"model/{model}"))


def _wait_models_ready(cluster: SeldonCluster, models: Sequence[str]) -> list[str]:
    """Wait for the target Models; those never Ready are verdict failures (listed)."""
    try:
        cluster.wait_until(
            lambda: all(_ready(cluster, m) for m in models),
            READY_TIMEOUT,
            what="every target Model Ready",
        )
    except WaitTimeout:
        unready = [m for m in models if not _ready(cluster, m)]
        print(
            f"warning: {', '.join(unready)} not Ready after {READY_TIMEOUT:g}s; simulating anyway",
            file=sys.stderr,
        )
        return [f"model/{m}: not Ready {READY_TIMEOUT:g}s after apply" for m in unready]
    return []


def _progress(done: float, total: float) -> None:
    print(f"  simulated {done:6.0f}/{total:.0f} s ({done / total:4.0%})", file=sys.stderr)


@dataclass(frozen=True)
class Action:
    """A scripted change ``at`` seconds after the load begins: delete an object or scale it."""

    at: float
    verb: str  # "delete" or "scale"
    ref: str
    replicas: int | None = None
    text: str = ""

    def apply(self, cluster: SeldonCluster) -> None:
        if self.verb == "delete":
            cluster.delete(self.ref, wait=False)
        else:
            cluster.scale(self.ref, self.replicas or 0)


def parse_action(text: str) -> Action:
    """``"300s delete model/iris"`` or ``"10m scale server/mlserver 3"``; ValueError naming
    the action and the part that is wrong."""
    words = text.split()
    where = f"--action {text!r}"
    usage = "expected 'TIME delete KIND/NAME' or 'TIME scale KIND/NAME REPLICAS'"
    if len(words) < 3 or words[1] not in ("delete", "scale"):
        raise ValueError(f"{where}: {usage}")
    try:
        at = parse_duration(words[0])
    except ProfileError as error:
        raise ValueError(f"{where}: {error}") from None
    verb = words[1]
    try:
        kind, name = parse_ref(words[2])
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    ref = f"{kind}/{name}"
    if verb == "delete":
        if len(words) != 3:
            raise ValueError(f"{where}: {usage}")
        return Action(at, verb, ref, text=text)
    if len(words) != 4 or not words[3].isdigit():
        raise ValueError(f"{where}: REPLICAS must be an integer >= 0 ({usage})")
    if kind not in ("model", "server"):
        raise ValueError(f"{where}: only a model or server can be scaled (they have /scale)")
    return Action(at, verb, ref, int(words[3]), text)


def _exists(cluster: SeldonCluster, ref: str) -> bool:
    kind, name = ref.split("/", 1)
    return any(obj["metadata"]["name"] == name for obj in cluster.list(kind))


def _simulate(
    cluster: SeldonCluster,
    profiles: dict[str, LoadProfile],
    progress: Callable[[float, float], None],
    actions: Sequence[Action] = (),
) -> dict[str, LoadResult]:
    runs = {model: cluster.load(model, profile) for model, profile in profiles.items()}
    duration = max(profile.duration for profile in profiles.values())
    pending = list(actions)  # in time order
    elapsed = 0.0
    while elapsed < duration or pending:
        next_report = (elapsed // PROGRESS_STEP + 1) * PROGRESS_STEP
        stop = min(next_report, duration, *(a.at for a in pending[:1]))
        cluster.sleep(stop - elapsed)
        elapsed = stop
        while pending and pending[0].at <= elapsed:
            action = pending.pop(0)
            cluster.timeline.record_event(
                cluster.now(), action.ref, ACTION, f"--action {action.text}"
            )
            action.apply(cluster)
        if elapsed == min(next_report, duration):
            progress(elapsed, duration)
    return {model: run.wait() for model, run in runs.items()}


def judge(
    cluster: SeldonCluster,
    results: dict[str, LoadResult],
    max_error_rate: float,
    convergence: float,
    max_p99_ms: float | None,
    *,
    since: float = 0.0,
) -> Verdict:
    """Every SLO line of the plan, passed or failed (``since``: when the load began)."""
    verdict = Verdict()
    timeline = cluster.timeline
    for model, result in results.items():
        unserved = result.sent - result.ok
        rate = unserved / result.sent if result.sent else 1.0
        line = (
            f"{model}: error rate {rate:.2%} ({result.failed_total} failed, "
            f"{result.unanswered} unanswered of {result.sent}; SLO ≤ {max_error_rate:.2%})"
        )
        (verdict.passed if result.sent and rate <= max_error_rate else verdict.failed).append(line)
        if max_p99_ms is not None:
            worst = max((s.p99_ms or 0.0 for s in timeline.traffic_for(model)), default=0.0)
            line = f"{model}: worst p99 {worst:.0f} ms (SLO ≤ {max_p99_ms:g} ms)"
            (verdict.passed if worst <= max_p99_ms else verdict.failed).append(line)
    for hpa in cluster.list("hpa"):
        ref = f"hpa/{hpa['metadata']['name']}"
        try:
            follows_hpa(cluster, ref, timing_tolerance=convergence)
        except ExpectationFailed as failure:
            verdict.failed.append(f"{ref}: {str(failure).splitlines()[0]}")
        else:
            verdict.passed.append(f"{ref}: every sync decided what the HPA algorithm predicts")
        target = _target_ref(hpa)
        if target is None:
            continue
        field_ = "available" if target.startswith("model/") else "status"
        late = convergence_failures(
            timeline.replica_series(target),
            decisions(timeline.hpa_for(ref)),
            convergence,
            field_,
            end=timeline.end,
        )
        if late:
            verdict.failed.append(
                f"{ref}: {late[0]}" + (f" (and {len(late) - 1} more)" if len(late) > 1 else "")
            )
        else:
            verdict.passed.append(
                f"{ref}: {target} {field_} replicas followed every decision within {convergence:g}s"
            )
    for model in sorted(m["metadata"]["name"] for m in cluster.list("model")):
        line = _schedule_failed_line(cluster, model, convergence, since)
        if line is not None:
            (verdict.failed if line[0] else verdict.passed).append(line[1])
    return verdict


def pending_periods(timeline: Timeline) -> dict[str, list[tuple[float, float | None, str]]]:
    """Per pod ever Pending: ``(from, until or None, how it ended)``, from its
    ``FailedScheduling`` event to its ``Scheduled`` or ``Deleted`` one; how it ended is the
    FailedScheduling message, with "then deleted" if the pod never got a node."""
    periods: dict[str, list[tuple[float, float | None, str]]] = {}
    for event in timeline.events:
        if not event.ref.startswith("pod/"):
            continue
        pod = event.ref.split("/", 1)[1]
        if event.reason == "FailedScheduling":
            periods.setdefault(pod, []).append((event.t, None, event.message))
        elif event.reason in ("Scheduled", "Deleted") and pod in periods:
            start, until, message = periods[pod][-1]
            if until is not None:
                continue  # a bound pod's later events
            ended = message if event.reason == "Scheduled" else f"{message} then deleted"
            periods[pod][-1] = (start, event.t, ended)
    return periods


def pending_lines(
    timeline: Timeline, pending_now: dict[str, str], tolerance: float, *, since: float = 0.0
) -> list[tuple[bool, str]]:
    """(failed?, line) per Server pod Pending under load: still Pending at the end, or Pending
    longer than ``tolerance`` (until bound or deleted), fails."""
    lines = []
    for pod, periods in sorted(pending_periods(timeline).items()):
        server = f"server/{pod.rsplit('-', 1)[0]}"
        if pod in pending_now:
            start = periods[-1][0]
            lines.append(
                (
                    True,
                    f"{server}: pod {pod} Pending since t={start:.0f}s and still at the end: "
                    f"{pending_now[pod]}",
                )
            )
            continue
        closed = [(a, b, m) for a, b, m in periods if b is not None and b > since]
        if not closed:
            continue
        start, stop, message = max(closed, key=lambda p: p[1] - p[0])
        span = stop - start
        lines.append(
            (
                span > tolerance,
                f"{server}: pod {pod} Pending {span:.0f}s from t={start:.0f}s ({message}) "
                f"(SLO: scheduled within {tolerance:g}s)",
            )
        )
    return lines


def _target_ref(hpa: dict) -> str | None:
    target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    kind = {"Model": "model", "Server": "server"}.get(target.get("kind", ""))
    return f"{kind}/{target.get('name', '')}" if kind else None


def decisions(samples: Sequence[HPASample]) -> list[tuple[float, int]]:
    """``(t, replicas)`` of every sync that changed what the HPA wants."""
    changes: list[tuple[float, int]] = []
    wanted: int | None = None
    for sample in samples:
        before = sample.current if wanted is None else wanted
        if sample.desired != before:
            changes.append((sample.t, sample.desired))
        wanted = sample.desired
    return changes


def _value(sample: ReplicaSample, field_: str) -> int | None:
    return sample.available if field_ == "available" else sample.status


def convergence_failures(
    series: Sequence[ReplicaSample],
    wanted: Sequence[tuple[float, int]],
    tolerance: float,
    field_: str,
    *,
    end: float,
) -> list[str]:
    """Decisions whose target's ``field_`` replicas did not show them within ``tolerance``.

    A decision replaced by the next one before its deadline is not judged (the HPA moved on),
    nor one whose deadline lies beyond ``end`` (the run could not show it).
    """
    failures = []
    for index, (t, replicas) in enumerate(wanted):
        deadline = t + tolerance
        following = wanted[index + 1][0] if index + 1 < len(wanted) else math.inf
        if following < deadline or deadline > end:
            continue
        before = [s for s in series if s.t <= t]
        values = [_value(before[-1], field_)] if before else []
        values += [_value(s, field_) for s in series if t < s.t <= deadline]
        if replicas not in values:
            seen = values[-1] if values else None
            failures.append(
                f"decided {replicas} replicas at t={t:.0f}s, {field_} replicas were "
                f"{seen if seen is not None else 'none'} {tolerance:g}s later "
                f"(SLO: within {tolerance:g}s)"
            )
    return failures


def _schedule_failed_line(
    cluster: SeldonCluster, model: str, tolerance: float, since: float
) -> tuple[bool, str] | None:
    """(failed?, line) about the Model's ScheduleFailed periods under load, None if none."""
    ref = f"model/{model}"
    periods = [
        (start, stop)
        for start, stop in schedule_failed_intervals(cluster.timeline, model)
        if stop > since
    ]
    if not periods:
        return None
    now = condition(cluster.get(ref), "ModelReady")
    if now is not None and now.status == "False" and now.message == SCHEDULE_FAILED:
        start = periods[-1][0]
        return True, (
            f"{ref}: {SCHEDULE_FAILED} since t={start:.0f}s and still at the end ({now.reason})"
        )
    longest = max(periods, key=lambda p: p[1] - p[0])
    span = longest[1] - longest[0]
    line = (
        f"{ref}: {SCHEDULE_FAILED} {len(periods)} time(s), longest {span:.0f}s from "
        f"t={longest[0]:.0f}s (SLO: scheduled within {tolerance:g}s)"
    )
    return span > tolerance, line


def render(
    timeline: Timeline,
    results: dict[str, LoadResult],
    verdict: Verdict,
    explains: dict[str, list[str]] | None = None,
    placements: dict[str, dict[int, list[str]]] | None = None,
) -> str:
    """The plan's text: per object its replica and condition changes in time order, the verdict.

    ``explains`` maps an object to the HPAs that scale it, whose events explain its changes;
    ``placements`` gives each Server's models per replica at the end.
    """
    lines: list[str] = []
    for ref in timeline.refs():
        lines.append("")
        lines.append(ref)
        rows: list[tuple[float, int, str]] = []
        previous = None
        own = {ref, *(explains or {}).get(ref, [])}
        for sample in timeline.replica_series(ref):
            counts = f"spec {sample.spec}, status {sample.status}"
            if sample.available is not None:
                counts += f", available {sample.available}"
            why = _why(timeline, own, sample.t)
            change = "" if previous is None else f"{previous} -> "
            rows.append((sample.t, 0, f"{change}{counts}{'  ' + why if why else ''}"))
            previous = counts
        rows += [
            (e.t, 1, f"{e.reason} {e.message}")
            for e in timeline.events
            if e.ref == ref and e.reason == ACTION
        ]
        for change in timeline.condition_history(ref):
            # Ready sums up the others: its changes both ways; the others when they go wrong
            if change.type == "Ready" or change.status != "True":
                detail = ": ".join(part for part in (change.message, change.reason) if part)
                rows.append((change.t, 1, f"{change.type}={change.status} {detail}".rstrip()))
        rows.sort(key=lambda row: (row[0], row[1]))
        lines += [f"  t={t:7.0f}s  {text}" for t, _, text in rows]
        name = ref.split("/", 1)[1]
        if ref.startswith("server/") and name in (placements or {}):
            replicas = "; ".join(
                f"{ordinal}: {', '.join(models) or '-'}"
                for ordinal, models in placements[name].items()
            )
            lines.append(f"  placement at the end: {replicas or 'no replica connected'}")
        if ref.startswith("model/") and name in results:
            result = results[name]
            failed = ", ".join(f"{code}: {n}" for code, n in sorted(result.failed.items()))
            lines.append(
                f"  requests: {result.sent} sent, {result.ok} ok, {result.failed_total} failed"
                + (f" ({failed})" if failed else "")
            )
    for pod, events in _pod_events(timeline).items():
        lines.append("")
        lines.append(f"pod/{pod}")
        lines += [f"  t={e.t:7.0f}s  {e.reason} {e.message}".rstrip() for e in events]
    lines.append("")
    lines.append(f"Verdict: {'PASS' if verdict.ok else 'FAIL'}")
    lines += [f"  ok    {line}" for line in verdict.passed]
    lines += [f"  FAIL  {line}" for line in verdict.failed]
    return "\n".join(lines)


def _pod_events(timeline: Timeline) -> dict[str, list[Event]]:
    """The scheduling events of every pod that was ever Pending (pods that bound at once have
    only their Scheduled event: not shown)."""
    pending = set(pending_periods(timeline))
    found: dict[str, list[Event]] = {}
    for event in timeline.events:
        pod = event.ref.split("/", 1)[1] if event.ref.startswith("pod/") else None
        if pod in pending:
            found.setdefault(pod, []).append(event)
    return dict(sorted(found.items()))


def _why(timeline: Timeline, refs: set[str], t: float) -> str:
    """The event of one of ``refs`` (the object, its HPAs) that explains a change at ``t``."""
    nearby = [e for e in timeline.events_between(t - 1.0, t + 1.0) if e.ref in refs]
    nearby.sort(key=lambda e: e.reason != "SuccessfulRescale")
    return f"{nearby[0].ref}: {nearby[0].reason} {nearby[0].message}".strip() if nearby else ""


def write_plot(timeline: Timeline, path: Path) -> None:
    """The report's charts of the run (same series, titles and axes), as SVG or PNG."""
    from .report import scenario_chart_specs

    specs = scenario_chart_specs(timeline, virtual_time=True)  # plan runs the twin
    if path.suffix.lower() == ".svg":
        from .svgplot import render

        path.write_text(_stack_svgs([render(spec) for spec in specs]), encoding="utf-8")
        return
    figure = plot_figure(specs)
    figure.savefig(path, bbox_inches="tight")
    _pyplot().close(figure)


def _stack_svgs(charts: Sequence[str]) -> str:
    height = 0
    parts = []
    for svg in charts:
        parts.append(f'<g transform="translate(0,{height})">{svg}</g>')
        height += _svg_attribute(svg, "height", 320)
    width = max((_svg_attribute(svg, "width", 800) for svg in charts), default=800)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">' + "".join(parts) + "</svg>\n"
    )


def _svg_attribute(svg: str, name: str, default: int) -> int:
    match = re.search(rf'\b{name}="(\d+(?:\.\d+)?)"', svg)
    return int(float(match[1])) if match else default


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            "seldon-scaling plan: PNG plots need matplotlib (pip install "
            "'pytest-seldon-scaling[plot]'), or write an .svg"
        ) from None
    return plt


def plot_figure(specs: Sequence[ChartSpec]) -> Any:
    """A matplotlib figure of ``specs``, one chart below the other, drawn as the SVG draws them:
    step lines held until the next point, bars one second wide, dash patterns, widths, opacity,
    the few-pixel offsets that keep equal replica counts apart, numbered marker flags."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import offset_copy

    figure, axes = plt.subplots(
        len(specs), 1, figsize=(12, 3.4 * max(1, len(specs))), squeeze=False
    )
    for ax, spec in zip(axes[:, 0], specs, strict=True):
        for series in spec.series:
            points = sorted(series.points, key=lambda point: point[0])
            if not points:
                continue
            xs, ys = [x for x, _ in points], [y for _, y in points]
            look = {"color": series.colour, "label": series.label}
            if series.style == "bar":  # zero-height bars draw nothing but keep the legend's colour
                ax.bar(xs, ys, series.bar_width, align="edge", **look)
                continue
            if series.style == "dots":
                ax.plot(xs, ys, "o", markersize=3, **look)
                continue
            line = {"linewidth": series.width, "alpha": series.opacity, **look}
            if series.dash_pattern:
                line["dashes"] = [float(n) for n in series.dash_pattern.split()]
            if series.offset:
                line["transform"] = offset_copy(
                    ax.transData, fig=figure, y=series.offset, units="points"
                )
            if series.style == "step":
                ax.step(xs, ys, where="post", **line)
            else:
                ax.plot(xs, ys, **line)
        number = 0
        for marker in spec.markers:
            if not marker.symbol:
                number += 1
            ax.axvline(marker.x, color=marker.colour, linestyle=":", linewidth=1)
            ax.annotate(
                marker.symbol or str(number),
                (marker.x, 1.0),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#fff",
                bbox={"boxstyle": "round,pad=0.2", "fc": marker.colour, "ec": "none"},
            )
        if spec.x_range is not None:
            ax.set_xlim(*spec.x_range)
        ax.set_ylim(bottom=0)
        if spec.integer_y:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(spec.title, loc="left", fontsize=10, fontweight="bold", pad=14)
        ax.set_xlabel(spec.x_label)
        ax.set_ylabel(spec.y_label)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small")
    figure.tight_layout()
    return figure
