"""``seldon-scaling tune``: search HPA parameters on the twin against a traffic trace.

The Core 2 docs leave it to the user to weigh ``target.averageValue``, ``maxReplicas`` and the
stabilisation windows and policies against their traffic. This command replays the trace on
the twin for each candidate and keeps the Pareto front of cost (model replica-hours, server
pod-hours) against the SLOs (failed requests, seconds over the p99 limit, model-seconds in
ScheduleFailed), searched with optuna's NSGA-II sampler (the ``tune`` extra).

Reproducible: candidates are asked a generation at a time and told back in trial order, and
each replay is seeded, so the same seed gives the same front whether the generation runs in
local processes or on workers sharing an optuna RDB storage (``--storage``, ``--worker I/N``;
worker ``I`` evaluates the trials whose number is ``I`` modulo ``N``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .cluster import WaitTimeout
from .load.profile import LoadProfile, ProfileError, parse_duration
from .load.trace import TraceError, load_trace, profiles_for
from .manifests import ManifestError, load_manifests
from .quantity import parse_quantity
from .service_profile import (
    ServiceProfile,
    add_service_profile_option,
    choose_profiles,
    read_service_profile,
    serve_with,
)
from .timeline import Timeline

API = "mlops.seldon.io/v1alpha1"
OBJECTIVES = (
    "replica_hours",
    "server_pod_hours",
    "failed",
    "seconds_over_p99",
    "schedule_failed_seconds",
)
READY_TIMEOUT = 600.0
ASKED = "seldon_scaling_asked"


# -- one replay and what it cost --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one replay cost and how far it missed the SLOs (every figure: lower is better)."""

    replica_hours: float
    server_pod_hours: float
    failed: int
    seconds_over_p99: int
    schedule_failed_seconds: float
    sent: int = 0  # not objectives: kept by simulate() for benches, not by the study
    simulated: float = 0.0

    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in OBJECTIVES)


def _hours(samples: Sequence[tuple[float, int]], start: float, end: float) -> float:
    """Integral of a step function of replica counts over ``[start, end]``, in hours."""
    total = 0.0
    for (t0, n), (t1, _) in zip(samples, [*samples[1:], (end, 0)], strict=True):
        lo, hi = max(t0, start), min(t1, end)
        if hi > lo:
            total += n * (hi - lo)
    return total / 3600


def measure(
    timeline: Timeline, start: float, end: float, models: Sequence[str], max_p99_ms: float | None
) -> Outcome:
    """The cost and SLO figures of ``[start, end]`` of a run (pure, over the timeline)."""
    replica_hours = sum(
        _hours([(s.t, s.available or 0) for s in timeline.replica_series(f"model/{m}")], start, end)
        for m in models
    )
    pod_hours = sum(
        _hours([(s.t, s.status or 0) for s in timeline.replica_series(ref)], start, end)
        for ref in timeline.refs()
        if ref.startswith("server/")
    )
    sent = failed = over = 0
    # summed from the timeline's columns (1.7 M seconds for a day of 20 models)
    for model in timeline.models_with_traffic():
        counts = timeline.traffic_counts(model, start, end)
        sent += counts.sent
        failed += sum(counts.failed.values())
        if max_p99_ms is not None:
            over += timeline.seconds_over(model, start, end, p99_ms=max_p99_ms)
    schedule_failed = 0.0
    for model in models:
        since = None
        for change in timeline.condition_history(f"model/{model}", "ModelReady"):
            failing = "ScheduleFailed" in f"{change.reason} {change.message}"
            if failing and since is None:
                since = change.t
            elif not failing and since is not None:
                schedule_failed += max(0.0, min(change.t, end) - max(since, start))
                since = None
        if since is not None:
            schedule_failed += max(0.0, end - max(since, start))
    return Outcome(replica_hours, pod_hours, failed, over, schedule_failed, sent, end - start)


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off, then as it was.

    A replay allocates millions of objects that live to its end (the timeline's seconds) and
    makes little cyclic garbage (some 20,000 objects in 6 h of 20 models), so the collector
    traverses an ever larger heap for nothing: 5 of the 33 CPU seconds of a day of 20 models
    before the timeline kept its seconds column-wise, still 4-8 % after (on top of the twin's
    raised thresholds, which a long-lived ``twin serve`` keeps instead of a pause: its HTTP
    threads make cyclic garbage for as long as it runs).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cycle_collection_paused()
def simulate(
    objects: Sequence[dict],
    profiles: dict[str, LoadProfile],
    *,
    core_version: str = "2.10",
    seed: int = 0,
    max_p99_ms: float | None = None,
    service: dict[str, ServiceProfile] | None = None,
) -> Outcome:
    """Apply ``objects`` on a fresh twin, wait for the Models, replay ``profiles``, measure.

    ``service``: per model, the service profile the twin serves it with (else its defaults).
    """
    from .conditions import is_ready
    from .twin import TwinCluster

    cluster = TwinCluster(core_version=core_version, seed=seed)
    serve_with(cluster, service or {})
    cluster.apply(*copy.deepcopy(list(objects)))
    models = sorted(profiles)
    # a setup that never gets Ready is scored by what the replay then shows
    with contextlib.suppress(WaitTimeout):
        cluster.wait_until(
            lambda: all(is_ready(cluster.get(f"model/{m}")) for m in models),
            READY_TIMEOUT,
            what="every replayed Model Ready",
        )
    start = cluster.now()
    for model in models:
        cluster.load(model, profiles[model])
    # Every request has its outcome one client deadline after the last run ends. Sleeping
    # there, not ``run.wait()``: measure() reads the timeline, and each wait() would summarise
    # its run's day into a LoadResult nobody reads (a tenth of a day's replay of 20 models).
    last = max(profiles[m].duration for m in models)
    cluster.sleep(last + cluster.settings.request_timeout_seconds + 1)
    return measure(cluster.timeline, start, cluster.now(), models, max_p99_ms)


# -- the search space and what a candidate changes --------------------------------------------


@dataclass(frozen=True)
class Space:
    """Ranges searched; ``average_value`` in requests per second per replica."""

    average_value: tuple[float, float]
    min_replicas: tuple[int, int] = (1, 3)
    headroom: tuple[float, float] = (1.0, 2.0)  # maxReplicas = ceil(peak / target x headroom)
    up_window: tuple[int, int] = (0, 180)
    down_window: tuple[int, int] = (0, 600)
    up_percent: tuple[int, ...] = (50, 100, 200, 400)
    down_percent: tuple[int, ...] = (10, 25, 50, 100)


def suggest(trial: Any, space: Space) -> dict[str, Any]:
    """One candidate from an optuna trial (define-by-run)."""
    return {
        "average_value": trial.suggest_float("average_value", *space.average_value),
        "min_replicas": trial.suggest_int("min_replicas", *space.min_replicas),
        "headroom": trial.suggest_float("headroom", *space.headroom),
        "up_window": trial.suggest_int("up_window", *space.up_window, step=15),
        "down_window": trial.suggest_int("down_window", *space.down_window, step=30),
        "up_percent": trial.suggest_categorical("up_percent", space.up_percent),
        "down_percent": trial.suggest_categorical("down_percent", space.down_percent),
    }


def model_hpas(objects: Sequence[dict]) -> list[dict]:
    return [
        o
        for o in objects
        if o.get("kind") == "HorizontalPodAutoscaler"
        and (o.get("spec") or {}).get("scaleTargetRef", {}).get("kind") == "Model"
    ]


def hpa_spec(params: dict[str, Any], peak_rps: float) -> dict[str, Any]:
    """The HPA spec fields a candidate sets, maxReplicas by the docs' rule with headroom."""
    target = round(params["average_value"], 2)
    wanted = math.ceil(peak_rps / target * params["headroom"]) if target > 0 else 1
    return {
        "minReplicas": params["min_replicas"],
        "maxReplicas": max(params["min_replicas"], wanted),
        "target": {"type": "AverageValue", "averageValue": f"{target:g}"},
        "behavior": {
            "scaleUp": {
                "stabilizationWindowSeconds": params["up_window"],
                "policies": [
                    {"type": "Percent", "value": params["up_percent"], "periodSeconds": 15}
                ],
            },
            "scaleDown": {
                "stabilizationWindowSeconds": params["down_window"],
                "policies": [
                    {"type": "Percent", "value": params["down_percent"], "periodSeconds": 60}
                ],
            },
        },
    }


def with_candidate(
    objects: Sequence[dict], params: dict[str, Any], peaks: dict[str, float]
) -> list:
    """A copy of ``objects`` with every Model HPA of a replayed model changed (pure)."""
    out = copy.deepcopy(list(objects))
    for hpa in model_hpas(out):
        model = hpa["spec"]["scaleTargetRef"]["name"]
        if model not in peaks:
            continue
        fields = hpa_spec(params, peaks[model])
        spec = hpa["spec"]
        spec["minReplicas"], spec["maxReplicas"] = fields["minReplicas"], fields["maxReplicas"]
        spec["behavior"] = fields["behavior"]
        for metric in spec.get("metrics") or []:
            kind = metric.get("type") or ""
            source = metric.get(kind[:1].lower() + kind[1:])  # "Object" -> "object"
            if isinstance(source, dict) and "target" in source:
                source["target"] = dict(fields["target"])
    return out


def manifest_patch(objects: Sequence[dict], params: dict[str, Any], peaks: dict[str, float]) -> str:
    """The recommendation as YAML documents to apply over the user's HPAs (changed fields)."""
    changed = with_candidate(objects, params, peaks)
    docs = []
    for hpa in model_hpas(changed):
        if hpa["spec"]["scaleTargetRef"]["name"] not in peaks:
            continue
        spec = hpa["spec"]
        docs.append(
            {
                "apiVersion": hpa["apiVersion"],
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": hpa["metadata"]["name"]},
                "spec": {
                    "minReplicas": spec["minReplicas"],
                    "maxReplicas": spec["maxReplicas"],
                    "metrics": spec.get("metrics"),
                    "behavior": spec["behavior"],
                },
            }
        )
    return yaml.safe_dump_all(docs, sort_keys=False)


# -- SLOs and the front ---------------------------------------------------------------------


@dataclass(frozen=True)
class SLO:
    """Limits a recommended candidate must keep (``--slo key=value``)."""

    max_failed: int = 0
    p99_ms: float | None = None
    max_over_p99: float = 0.0
    max_schedule_failed: float = 0.0

    def met(self, outcome: Outcome) -> bool:
        return (
            outcome.failed <= self.max_failed
            and outcome.seconds_over_p99 <= self.max_over_p99
            and outcome.schedule_failed_seconds <= self.max_schedule_failed
        )


def parse_slos(items: Sequence[str]) -> SLO:
    """``failed=0``, ``p99-ms=200``, ``over-p99=1m``, ``schedule-failed=30s``."""
    fields: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            if key == "failed":
                fields["max_failed"] = int(value)
            elif key == "p99-ms":
                fields["p99_ms"] = float(value)
            elif key == "over-p99":
                fields["max_over_p99"] = parse_duration(value)
            elif key == "schedule-failed":
                fields["max_schedule_failed"] = parse_duration(value)
            else:
                raise ValueError("use failed=N, p99-ms=N, over-p99=DURATION, schedule-failed=D")
        except (ValueError, ProfileError) as error:
            raise ValueError(f"--slo {item}: {error}") from None
    return SLO(**fields)


@dataclass(frozen=True)
class Candidate:
    number: int
    params: dict[str, Any]
    outcome: Outcome


def dominates(a: Outcome, b: Outcome) -> bool:
    va, vb = a.values(), b.values()
    return all(x <= y for x, y in zip(va, vb, strict=True)) and va != vb


def pareto_front(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates no other candidate beats on every objective, cheapest first."""
    front = [c for c in candidates if not any(dominates(o.outcome, c.outcome) for o in candidates)]
    return sorted(front, key=lambda c: (c.outcome.values(), c.number))


def recommend(front: Sequence[Candidate], slo: SLO) -> Candidate | None:
    """The cheapest candidate on the front that meets the SLOs (None if none does)."""
    meeting = [c for c in front if slo.met(c.outcome)]
    return min(
        meeting,
        key=lambda c: (c.outcome.replica_hours, c.outcome.server_pod_hours, c.number),
        default=None,
    )


# -- the search ------------------------------------------------------------------------------


@dataclass
class Problem:
    """Everything a worker needs to score a candidate (picklable for process pools)."""

    objects: list[dict]
    profiles: dict[str, LoadProfile]
    peaks: dict[str, float]
    core_version: str
    seed: int
    slo: SLO
    space: Space
    service: dict[str, ServiceProfile] = field(default_factory=dict)  # calibrated models

    def score(self, params: dict[str, Any]) -> Outcome:
        return simulate(
            with_candidate(self.objects, params, self.peaks),
            self.profiles,
            core_version=self.core_version,
            seed=self.seed,
            max_p99_ms=self.slo.p99_ms,
            service=self.service,
        )


_PROBLEM: Problem | None = None


def _init_worker(problem: Problem) -> None:
    global _PROBLEM
    _PROBLEM = problem


def _score(params: dict[str, Any]) -> Outcome:
    assert _PROBLEM is not None
    return _PROBLEM.score(params)


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise SystemExit(
            "seldon-scaling tune needs optuna: pip install 'pytest-seldon-scaling[tune]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def open_study(name: str, seed: int, population: int, storage: str | None) -> Any:
    optuna = _optuna()
    return optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        directions=["minimize"] * len(OBJECTIVES),
        sampler=optuna.samplers.NSGAIISampler(seed=seed, population_size=population),
    )


def search(
    problem: Problem,
    trials: int,
    *,
    seed: int = 0,
    population: int = 20,
    jobs: int = 1,
    storage: str | None = None,
    study_name: str = "seldon-scaling-tune",
    poll: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Run ``trials`` candidates, a generation at a time; every scored candidate in order.

    Locally (``storage`` None) a generation is scored by ``jobs`` processes; with ``storage``
    the coordinator only asks and waits while ``--worker`` processes score and tell.
    """
    optuna = _optuna()
    study = open_study(study_name, seed, population, storage)
    pool = None
    if storage is None and jobs > 1:
        pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(problem,))
    try:
        done = len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
        while done < trials:
            batch = [study.ask() for _ in range(min(population, trials - done))]
            params = [suggest(trial, problem.space) for trial in batch]
            for trial in batch:
                trial.set_user_attr(ASKED, True)  # every parameter is in: workers may score
            if storage is None:
                scored = pool.map(_score, params) if pool else map(problem.score, params)
                for trial, outcome in zip(batch, scored, strict=True):
                    study.tell(trial, outcome.values())
            else:
                numbers = {t.number for t in batch}
                while True:
                    finished = {
                        t.number
                        for t in study.get_trials(
                            deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
                        )
                    }
                    if numbers <= finished:
                        break
                    time.sleep(poll)
            done += len(batch)
            if progress:
                progress(done, trials)
    finally:
        if pool:
            pool.shutdown()
    return candidates_of(study)


def work(
    problem: Problem,
    storage: str,
    study_name: str,
    index: int,
    workers: int,
    *,
    trials: int,
    poll: float = 0.5,
    idle: float = 600.0,
) -> int:
    """A remote worker: score the running trials whose number is ``index`` mod ``workers``.

    Returns the number scored once the study holds ``trials`` complete trials. Raises
    ``TimeoutError`` after ``idle`` seconds without the study appearing or moving on (no
    coordinator asking, no other worker telling), instead of waiting forever.
    """
    optuna = _optuna()
    deadline = time.monotonic() + idle
    study = None
    scored, seen = 0, -1
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no trial to score in study {study_name!r} for {idle:g} s: "
                "is the coordinator (tune without --worker) running?"
            )
        if study is None:
            try:  # the coordinator creates the study; a worker may start first
                study = optuna.load_study(study_name=study_name, storage=storage)
            except KeyError:
                time.sleep(poll)
                continue
        complete = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
        if complete >= trials:
            return scored
        mine = [
            t
            for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
            if t.number % workers == index and t.user_attrs.get(ASKED)
        ]
        for trial in mine:
            study.tell(trial.number, problem.score(dict(trial.params)).values())
            scored += 1
        if mine or complete != seen:
            deadline, seen = time.monotonic() + idle, complete
        else:
            time.sleep(poll)


def candidates_of(study: Any) -> list[Candidate]:
    import optuna

    return [
        Candidate(t.number, dict(t.params), outcome_of(t.values))
        for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    ]


def outcome_of(values: Sequence[float]) -> Outcome:
    replica_hours, pod_hours, failed, over, schedule_failed = values
    return Outcome(replica_hours, pod_hours, int(failed), int(over), schedule_failed)


# -- output ----------------------------------------------------------------------------------


def render(front: Sequence[Candidate], chosen: Candidate | None, slo: SLO, total: int) -> str:
    lines = [
        f"Pareto front: {len(front)} of {total} candidates",
        f"  {'#':>4} {'replica-h':>9} {'pod-h':>7} {'failed':>7} {'s>p99':>6} {'sched-fail s':>12}"
        "  target  min  headroom  up-win  down-win  up%  down%",
    ]
    for c in front:
        o, p = c.outcome, c.params
        mark = "*" if chosen is not None and c.number == chosen.number else " "
        lines.append(
            f"{mark} {c.number:>4} {o.replica_hours:>9.1f} {o.server_pod_hours:>7.1f} "
            f"{o.failed:>7} {o.seconds_over_p99:>6} {o.schedule_failed_seconds:>12.0f}"
            f"  {p['average_value']:>6.2f} {p['min_replicas']:>4} {p['headroom']:>9.2f} "
            f"{p['up_window']:>7} {p['down_window']:>9} {p['up_percent']:>4} {p['down_percent']:>6}"
        )
    if chosen is None:
        lines.append(f"No candidate meets the SLOs ({_slo_text(slo)}); no recommendation.")
    else:
        lines.append(
            f"Recommended (*): candidate {chosen.number}, the cheapest meeting {_slo_text(slo)}"
        )
    return "\n".join(lines)


def _slo_text(slo: SLO) -> str:
    text = f"failed ≤ {slo.max_failed}"
    if slo.p99_ms is not None:
        text += f", ≤ {slo.max_over_p99:g} s over p99 {slo.p99_ms:g} ms"
    return text + f", ScheduleFailed ≤ {slo.max_schedule_failed:g} s"


def plot_svg(
    candidates: Sequence[Candidate], front: Sequence[Candidate], chosen: Candidate | None
) -> str:
    """Replica-hours against SLO misses (failed + seconds over p99 + ScheduleFailed seconds)."""
    width, height, pad = 640, 400, 56

    def miss(c: Candidate) -> float:
        o = c.outcome
        return o.failed + o.seconds_over_p99 + o.schedule_failed_seconds

    xs = [c.outcome.replica_hours for c in candidates] or [0.0]
    ys = [math.log10(1 + miss(c)) for c in candidates] or [0.0]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y1 = max(ys) or 1.0

    def px(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def py(y: float) -> float:
        return height - pad - y / y1 * (height - 2 * pad)

    on_front = {c.number for c in front}
    dots = []
    # the recommended dot last, so a candidate on the same spot cannot hide it
    ordered = sorted(
        candidates,
        key=lambda c: (chosen is not None and c.number == chosen.number, c.number in on_front),
    )
    for c in ordered:
        colour = (
            "#d62728"
            if chosen and c.number == chosen.number
            else ("#1f77b4" if c.number in on_front else "#bbbbbb")
        )
        x, y = px(c.outcome.replica_hours), py(math.log10(1 + miss(c)))
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{5 if c.number in on_front else 3}" fill="{colour}"><title>#{c.number}: '
            f"{c.outcome.replica_hours:.1f} replica-h, {miss(c):.0f} misses</title></circle>"
        )
    axes = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#333"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>'
        f'<text x="{width / 2}" y="{height - 16}" text-anchor="middle">model replica-hours '
        f"({x0:.1f} – {x1:.1f})</text>"
        f'<text x="16" y="{height / 2}" transform="rotate(-90 16 {height / 2})" '
        f'text-anchor="middle">log10(1 + SLO misses)</text>'
        f'<text x="{width / 2}" y="24" text-anchor="middle">tune: {len(candidates)} candidates, '
        f"front in blue, recommended in red</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">{axes}{"".join(dots)}</svg>'
    )


# -- the command -----------------------------------------------------------------------------


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "tune",
        help="search HPA parameters on the twin against a traffic trace (Pareto front)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--manifests", action="append", required=True, metavar="PATH")
    parser.add_argument(
        "--traffic",
        required=True,
        metavar="TRACE",
        help="a .csv, a Prometheus query_range .json or URL, e.g. day.csv#duration=2h",
    )
    add_service_profile_option(
        parser, "--profile", "--service-profile", dest="profile", models="the replayed models"
    )
    parser.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="failed=N (default 0), p99-ms=N, over-p99=DURATION, schedule-failed=DURATION",
    )
    parser.add_argument("--trials", type=int, default=200, help="candidates to score")
    parser.add_argument("--population", type=int, default=20, help="NSGA-II generation size")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler and the twin")
    parser.add_argument("--jobs", type=int, default=1, help="local processes scoring candidates")
    parser.add_argument("--core-version", default="2.10")
    parser.add_argument("--storage", help="optuna RDB URL shared by workers (distributed)")
    parser.add_argument("--study", default="seldon-scaling-tune", help="study name in --storage")
    parser.add_argument(
        "--worker", metavar="I/N", help="score trials number I mod N from --storage, then exit"
    )
    parser.add_argument("--plot", type=Path, metavar="FILE.svg", help="write the front as SVG")
    parser.add_argument(
        "--patch", type=Path, metavar="FILE.yaml", help="write the recommended HPA patch there"
    )
    parser.set_defaults(handler=run_tune)
    return parser


def problem_from(args: argparse.Namespace) -> Problem:
    """Read manifests, trace and SLOs into a :class:`Problem`; ``ValueError`` names bad input."""
    from .settings import normalize_core_version

    manifests = load_manifests(*args.manifests)
    objects = [m.obj for m in manifests if not m.is_helm_values]
    hpas = model_hpas(objects)
    if not hpas:
        raise ValueError("the manifests define no HorizontalPodAutoscaler of a Model to tune")
    trace = load_trace(args.traffic)
    models = sorted({h["spec"]["scaleTargetRef"]["name"] for h in hpas})
    if len(trace.series) > 1:
        models = [m for m in models if m in trace.series]
        if not models:
            raise TraceError(
                f"{trace.source}: no series for any Model with an HPA "
                f"({', '.join(sorted(h['spec']['scaleTargetRef']['name'] for h in hpas))})"
            )
    profiles = profiles_for(trace, models)
    targets = [
        float(parse_quantity(source["target"]["averageValue"]))
        for h in hpas
        for metric in h["spec"].get("metrics") or []
        for source in [metric.get((metric.get("type") or "")[:1].lower() + metric["type"][1:])]
        if isinstance(source, dict) and "averageValue" in (source.get("target") or {})
    ] or [10.0]
    return Problem(
        objects=objects,
        profiles=profiles,
        peaks={m: p.peak_rps for m, p in profiles.items()},
        core_version=normalize_core_version(args.core_version),
        seed=args.seed,
        slo=parse_slos(args.slo),
        space=Space(average_value=(min(targets) / 2, max(targets) * 2)),
        service=choose_profiles([read_service_profile(p) for p in args.profile], list(profiles)),
    )


def _progress(done: int, total: int) -> None:
    print(f"  scored {done}/{total} candidates", file=sys.stderr)


def run_tune(args: argparse.Namespace) -> int:
    try:
        problem = problem_from(args)
        if args.trials < 1 or args.population < 2 or args.jobs < 1:
            raise ValueError("--trials ≥ 1, --population ≥ 2 and --jobs ≥ 1")
        worker = _worker(args.worker) if args.worker else None
        if worker and not args.storage:
            raise ValueError("--worker needs --storage")
    except (ValueError, ManifestError) as error:
        print(f"seldon-scaling tune: {error}", file=sys.stderr)
        return 2
    _optuna()
    if args.storage and not worker:
        # create the schema and the study before any worker looks for them
        open_study(args.study, args.seed, args.population, args.storage)
    if worker:
        try:
            scored = work(problem, args.storage, args.study, *worker, trials=args.trials)
        except TimeoutError as error:
            print(f"seldon-scaling tune: worker {args.worker}: {error}", file=sys.stderr)
            return 1
        print(f"worker {args.worker}: scored {scored} candidates")
        return 0
    print(
        f"Tune: {args.trials} candidates (NSGA-II, seed {args.seed}) replaying "
        f"{', '.join(problem.profiles)} on the Core 2 {problem.core_version} twin",
        flush=True,
    )
    candidates = search(
        problem,
        args.trials,
        seed=args.seed,
        population=args.population,
        jobs=args.jobs,
        storage=args.storage,
        study_name=args.study,
        progress=_progress,
    )
    front = pareto_front(candidates)
    chosen = recommend(front, problem.slo)
    print(render(front, chosen, problem.slo, len(candidates)))
    if args.plot:
        args.plot.write_text(plot_svg(candidates, front, chosen), encoding="utf-8")
        print(f"plot: {args.plot}")
    if chosen is None:
        return 1
    patch = manifest_patch(problem.objects, chosen.params, problem.peaks)
    if args.patch:
        args.patch.write_text(patch, encoding="utf-8")
        print(f"patch: {args.patch} (kubectl apply --server-side, or merge into your HPAs)")
    else:
        print("--- recommended HPA changes ---")
        print(patch, end="")
    return 0


def _worker(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise ValueError(f"--worker {text}: expected I/N, e.g. 0/2") from None
    if not 0 <= i < n:
        raise ValueError(f"--worker {text}: I must be in 0..N-1")
    return i, n
