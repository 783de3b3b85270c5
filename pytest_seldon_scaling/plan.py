"""``seldon-scaling plan``: what your manifests would do under a load profile, on the twin.

Runs the embedded Core 2 twin in virtual time, prints per Model and Server when replicas change
and why (the HPA's rescale reason, the scheduler's event), the failed requests, and a verdict
against the SLO flags; ``--plot`` writes the timeline as SVG (dependency-free) or PNG
(matplotlib, the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cluster import SeldonCluster, WaitTimeout
from .expect import ExpectationFailed, condition, follows_hpa
from .load.profile import LoadProfile, ProfileError, parse_duration
from .load.result import LoadResult
from .manifests import ManifestError, load_manifests
from .settings import normalize_core_version
from .timeline import Timeline

READY_TIMEOUT = 600.0
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
    parser.add_argument(
        "--profile",
        required=True,
        help='load profile, e.g. "ramp 1-30rps 5m, hold 10m, ramp 30-1rps 5m"',
    )
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME",
        help="model(s) to send the load to (default: every Model with an HPA, else every Model)",
    )
    parser.add_argument("--core-version", default="2.10", help="Core 2 version (2.9 or 2.10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the twin's randomness")
    parser.add_argument("--server-autoscaling", choices=("true", "false"), default="true")
    parser.add_argument("--packing", choices=("true", "false"), default="false")
    parser.add_argument("--packing-percentage", type=float, default=1.0)
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
        "--max-p99-ms", type=float, default=None, help="SLO: highest per-second p99 latency in ms"
    )
    parser.add_argument(
        "--plot", type=Path, metavar="FILE", help="write the timeline as FILE.svg or FILE.png"
    )
    parser.set_defaults(handler=run_plan)
    return parser


def run_plan(args: argparse.Namespace) -> int:
    try:
        profile = LoadProfile.parse(args.profile)
        core_version = normalize_core_version(args.core_version)
        convergence = parse_duration(args.convergence_time)
        manifests = load_manifests(*args.manifests)
    except (ProfileError, ValueError, ManifestError) as error:
        print(f"seldon-scaling plan: {error}", file=sys.stderr)
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
        ),
    )
    try:
        cluster.apply(*(m.obj for m in manifests if not m.is_helm_values))
        models = args.model or _default_models(cluster)
        if not models:
            print("seldon-scaling plan: the manifests define no Model", file=sys.stderr)
            return 2
        unknown = sorted(set(models) - {m["metadata"]["name"] for m in cluster.list("model")})
        if unknown:
            print(f"seldon-scaling plan: no Model named {', '.join(unknown)}", file=sys.stderr)
            return 2
        print(f"Plan: {profile.describe()} on the Core 2 {core_version} twin (seed {args.seed})")
        _wait_models_ready(cluster, models)
        results = _simulate(cluster, models, profile, _progress)
        verdict = judge(cluster, results, args.max_error_rate, convergence, args.max_p99_ms)
        print(render(cluster.timeline, results, verdict))
        if args.plot:
            write_plot(cluster.timeline, args.plot)
            print(f"plot: {args.plot}")
    finally:
        cluster.close()
    return 0 if verdict.ok else 1


def _default_models(cluster: SeldonCluster) -> list[str]:
    scaled = [
        h["spec"]["scaleTargetRef"]["name"]
        for h in cluster.list("hpa")
        if h["spec"]["scaleTargetRef"].get("kind") == "Model"
    ]
    return sorted(set(scaled)) or sorted(m["metadata"]["name"] for m in cluster.list("model"))


def _wait_models_ready(cluster: SeldonCluster, models: Sequence[str]) -> None:
    def ready() -> bool:
        return all(
            (condition(cluster.get(f"model/{m}"), "Ready") or {}).get("status") == "True"
            for m in models
        )

    try:
        cluster.wait_until(ready, READY_TIMEOUT, what="every target Model Ready")
    except WaitTimeout as error:
        print(f"warning: {error}; simulating anyway", file=sys.stderr)


def _progress(done: float, total: float) -> None:
    print(f"  simulated {done:6.0f}/{total:.0f} s ({done / total:4.0%})", file=sys.stderr)


def _simulate(
    cluster: SeldonCluster,
    models: Sequence[str],
    profile: LoadProfile,
    progress: Callable[[float, float], None],
) -> dict[str, LoadResult]:
    runs = {model: cluster.load(model, profile) for model in models}
    elapsed = 0.0
    while elapsed < profile.duration:
        step = min(PROGRESS_STEP, profile.duration - elapsed)
        cluster.sleep(step)
        elapsed += step
        progress(elapsed, profile.duration)
    return {model: run.wait() for model, run in runs.items()}


def judge(
    cluster: SeldonCluster,
    results: dict[str, LoadResult],
    max_error_rate: float,
    convergence: float,
    max_p99_ms: float | None,
) -> Verdict:
    verdict = Verdict()
    for model, result in results.items():
        rate = result.failed_total / result.sent if result.sent else 0.0
        line = f"{model}: error rate {rate:.2%} (SLO ≤ {max_error_rate:.2%})"
        (verdict.passed if rate <= max_error_rate else verdict.failed).append(line)
        if max_p99_ms is not None:
            worst = max((s.p99_ms or 0.0 for s in cluster.timeline.traffic_for(model)), default=0.0)
            line = f"{model}: worst p99 {worst:.0f} ms (SLO ≤ {max_p99_ms:g} ms)"
            (verdict.passed if worst <= max_p99_ms else verdict.failed).append(line)
    for hpa in cluster.list("hpa"):
        ref = f"hpa/{hpa['metadata']['name']}"
        try:
            follows_hpa(cluster, ref, timing_tolerance=convergence)
        except ExpectationFailed as failure:
            verdict.failed.append(f"{ref}: {str(failure).splitlines()[0]}")
        else:
            verdict.passed.append(
                f"{ref}: target followed every HPA decision within {convergence:g}s"
            )
    return verdict


def render(timeline: Timeline, results: dict[str, LoadResult], verdict: Verdict) -> str:
    lines: list[str] = []
    for ref in timeline.refs():
        lines.append("")
        lines.append(ref)
        previous = None
        for sample in timeline.replica_series(ref):
            counts = f"spec {sample.spec}, status {sample.status}"
            if sample.available is not None:
                counts += f", available {sample.available}"
            why = _why(timeline, ref, sample.t)
            change = "" if previous is None else f"{previous} -> "
            lines.append(f"  t={sample.t:7.0f}s  {change}{counts}{'  ' + why if why else ''}")
            previous = counts
        for change in timeline.condition_history(ref):
            # the top-level Ready condition repeats ModelReady / StatefulSetOrDeploymentReady
            if change.status != "True" and change.type != "Ready":
                detail = ": ".join(part for part in (change.message, change.reason) if part)
                lines.append(f"  t={change.t:7.0f}s  {change.type}={change.status} {detail}")
        name = ref.split("/", 1)[1]
        if ref.startswith("model/") and name in results:
            result = results[name]
            failed = ", ".join(f"{code}: {n}" for code, n in sorted(result.failed.items()))
            lines.append(
                f"  requests: {result.sent} sent, {result.ok} ok, {result.failed_total} failed"
                + (f" ({failed})" if failed else "")
            )
    lines.append("")
    lines.append(f"Verdict: {'PASS' if verdict.ok else 'FAIL'}")
    lines += [f"  ok    {line}" for line in verdict.passed]
    lines += [f"  FAIL  {line}" for line in verdict.failed]
    return "\n".join(lines)


def _why(timeline: Timeline, ref: str, t: float) -> str:
    """The event that explains a replica change at ``t`` (an HPA rescale, a scheduler step)."""
    nearby = [
        e
        for e in timeline.events_between(t - 1.0, t + 1.0)
        if e.ref == ref or ref.split("/", 1)[1] in e.message
    ]
    nearby.sort(key=lambda e: e.reason != "SuccessfulRescale")
    return f"{nearby[0].ref}: {nearby[0].reason} {nearby[0].message}".strip() if nearby else ""


def write_plot(timeline: Timeline, path: Path) -> None:
    if path.suffix.lower() == ".svg":
        from .report import scenario_charts

        charts = scenario_charts(timeline)
        path.write_text(_stack_svgs(charts), encoding="utf-8")
        return
    _write_png(timeline, path)


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


def _write_png(timeline: Timeline, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            "seldon-scaling plan: PNG plots need matplotlib (pip install "
            "'pytest-seldon-scaling[plot]'), or write an .svg"
        ) from None
    from matplotlib.ticker import MaxNLocator

    from .svgplot import FAILED_COLOUR, PALETTE

    figure, (traffic, replicas) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    failed: dict[int, int] = {}
    for index, model in enumerate(timeline.models_with_traffic()):
        seconds = timeline.traffic_for(model)
        colour = PALETTE[index % len(PALETTE)]
        times = [s.t for s in seconds]
        traffic.plot(
            times, [s.target_rps for s in seconds], "--", color=colour, label=f"{model} target"
        )
        traffic.plot(times, [s.sent for s in seconds], color=colour, label=f"{model} sent")
        for s in seconds:
            if s.failed_total:
                failed[s.t] = failed.get(s.t, 0) + s.failed_total
    if failed:
        traffic.bar(
            list(failed), list(failed.values()), width=1.0, color=FAILED_COLOUR, label="failed"
        )
    traffic.set_ylabel("requests/s")
    traffic.legend(loc="upper right", fontsize="small")
    for index, ref in enumerate(timeline.refs()):
        samples = timeline.replica_series(ref)
        points = [(s.t, s.status) for s in samples if s.status is not None]
        if points:
            points.append((timeline.end, points[-1][1]))
            replicas.step(
                *zip(*points, strict=True),
                where="post",
                label=ref,
                color=PALETTE[index % len(PALETTE)],
            )
    replicas.yaxis.set_major_locator(MaxNLocator(integer=True))
    replicas.set_ylabel("replicas (status)")
    replicas.set_xlabel("seconds")
    replicas.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
