"""The conformance report: a JSON tree, JUnit suite properties, a terminal summary, one HTML page.

``write_report`` leaves in a directory what people open from a CI artifact:

* ``report.json`` — run facts, summary counts, every check with its status, timings and the
  evidence it kept, and per scenario the full timeline and load results;
* ``report.html`` — one self-contained page (inline CSS and SVG, no script, nothing fetched):
  a Sonobuoy-style summary line, a matrix of approaches × checks, per scenario charts of target
  vs achieved RPS, failed requests, model/server replicas (spec and status), HPA desired
  replicas and condition changes, and every failed check's message;
* ``results/<approach>/<check>.json`` — one file per check, in the spirit of Sonobuoy's layout.

``seldon-scaling report`` re-renders the page from a ``report.json`` (:func:`add_parser`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from .load.result import LoadResult
from .svgplot import FAILED_COLOUR, PALETTE, ChartSpec, Marker, Series, render
from .timeline import ConditionChange, Timeline

SCHEMA = "pytest-seldon-scaling/report/v1"
STATUSES = ("passed", "failed", "skipped", "error")
STATUS_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#6a1b9a",
    "skipped": "#9e9e9e",
    "interrupted": "#ef6c00",  # a run's status only: it stopped before its checks all ran
}


class ReportError(ValueError):
    """A report file that cannot be read, with the file and what is wrong."""


def _iso(value: float | str | None) -> str | None:
    """Epoch seconds or an ISO string -> ISO 8601 UTC (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class CheckResult:
    """One conformance check: a stable ID, what it proves, how it went and what it kept."""

    id: str
    approach: str
    title: str
    status: str
    duration: float = 0.0
    message: str = ""
    evidence: dict = field(default_factory=dict)
    started: float | str | None = None
    ended: float | str | None = None
    scenario: str | None = None
    core_version: str | None = None  # the Core 2 version it ran against (markers may differ)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(
                f"check {self.id}: status must be one of {', '.join(STATUSES)}, not {self.status!r}"
            )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["started"], data["ended"] = _iso(self.started), _iso(self.ended)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> CheckResult:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RunFacts:
    """What a run was: where, against what, with what."""

    backend: str
    core_version: str
    seed: int | None = None
    namespace: str = ""
    manifests_digest: str = ""
    pytest_version: str = ""
    python_version: str = ""
    plugin_version: str = ""
    started: float | str | None = None
    ended: float | str | None = None
    interrupted: str = ""  # why the run stopped before the end (Ctrl-C, SIGTERM, ...); "" if not
    other_failures: int = 0  # tests and collectors of the session that failed but are no checks
    warnings: list[str] = field(default_factory=list)  # what the settings ask that Core 2 ignores
    service_profiles: str = ""  # how the twin served the Models ("; "-separated), "" if as default

    def to_dict(self) -> dict:
        data = asdict(self)
        data["started"], data["ended"] = _iso(self.started), _iso(self.ended)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> RunFacts:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class ScenarioRecord:
    """One scenario's timeline and the load results of its runs.

    The timeline is kept as the report keeps it (:meth:`Timeline.downsampled`): a session
    holds its scenarios until it writes the report, and each then costs a bounded size,
    however long it ran (its checks read the whole timeline before it is recorded).
    """

    name: str
    timeline: Timeline
    loads: list[LoadResult | dict] = field(default_factory=list)
    approach: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        self.timeline = self.timeline.downsampled()

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "approach": self.approach,
            "description": self.description,
            "timeline": self.timeline.to_dict(),
            "loads": [x.to_dict() if isinstance(x, LoadResult) else dict(x) for x in self.loads],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ScenarioRecord:
        return cls(
            name=data["name"],
            timeline=Timeline.from_dict(data.get("timeline", {})),
            loads=list(data.get("loads", [])),
            approach=data.get("approach", ""),
            description=data.get("description", ""),
        )


# -- summaries -------------------------------------------------------------------------------


def counts(checks: Iterable[CheckResult]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for check in checks:
        out[check.status] += 1
    out["total"] = sum(out[s] for s in STATUSES)
    return out


def overall_status(checks: Sequence[CheckResult], facts: RunFacts | None = None) -> str:
    """The run's verdict, never ``passed`` unless everything that ran passed.

    ``interrupted`` if the run stopped early (its checks are only those that finished),
    ``failed`` if a check failed or errored or another test of the session failed, ``passed``
    if a check passed, else ``skipped``.
    """
    if facts is not None and facts.interrupted:
        return "interrupted"
    c = counts(checks)
    if c["failed"] or c["error"] or (facts is not None and facts.other_failures):
        return "failed"
    return "passed" if c["passed"] else "skipped"


def summary_line(checks: Sequence[CheckResult], facts: RunFacts | None = None) -> str:
    """Sonobuoy's one-liner: ``Passed: 5, Failed: 1, Skipped: 2`` (``, Errors: N`` if any).

    The run's other failed tests and why it was interrupted follow, when there are any.
    """
    c = counts(checks)
    line = f"Passed: {c['passed']}, Failed: {c['failed']}, Skipped: {c['skipped']}"
    line += f", Errors: {c['error']}" if c["error"] else ""
    if facts is not None and facts.other_failures:
        line += f", other failed tests: {facts.other_failures}"
    if facts is not None and facts.interrupted:
        line += f" (interrupted: {facts.interrupted}; only the checks that finished)"
    return line


def _first_line(text: str, limit: int = 140) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_terminal_summary(checks: Sequence[CheckResult], facts: RunFacts) -> list[str]:
    """Lines for pytest's terminal summary: the verdict, each check, why failures failed."""
    where = f"{facts.backend}, Core 2 {facts.core_version}"
    if facts.seed is not None:
        where += f", seed {facts.seed}"
    lines = [
        f"seldon-scaling conformance ({where}): {overall_status(checks, facts).upper()} — "
        f"{summary_line(checks, facts)}"
    ]
    lines += [f"  WARNING {warning}" for warning in facts.warnings]
    width = max((len(c.id) for c in checks), default=0)
    for check in sorted(checks, key=lambda c: (c.approach, c.id)):
        version = check.core_version
        on = f" (Core 2 {version})" if version and version != facts.core_version else ""
        lines.append(f"  {check.status.upper():7} {check.id.ljust(width)}  {check.title}{on}")
        if check.status in ("failed", "error", "skipped") and check.message:
            lines.append(f"  {'':7} {'':{width}}  -> {_first_line(check.message)}")
    return lines


def junit_properties(facts: RunFacts) -> list[tuple[str, str]]:
    """Suite-level JUnit properties (for ``record_testsuite_property``), names prefixed."""
    pairs = [
        ("backend", facts.backend),
        ("core_version", facts.core_version),
        ("seed", facts.seed),
        ("namespace", facts.namespace),
        ("manifests_digest", facts.manifests_digest),
        ("plugin_version", facts.plugin_version),
        ("pytest_version", facts.pytest_version),
        ("python_version", facts.python_version),
        ("started", _iso(facts.started)),
        ("ended", _iso(facts.ended)),
    ]
    return [(f"seldon_{name}", str(value)) for name, value in pairs if value not in (None, "")]


# -- JSON ------------------------------------------------------------------------------------


def report_tree(
    facts: RunFacts, checks: Sequence[CheckResult], scenarios: Sequence[ScenarioRecord]
) -> dict:
    return {
        "schema": SCHEMA,
        "facts": facts.to_dict(),
        "summary": {**counts(checks), "status": overall_status(checks, facts)},
        "checks": [c.to_dict() for c in checks],
        "scenarios": [s.to_dict() for s in scenarios],
    }


def load_report(path: str | Path) -> tuple[RunFacts, list[CheckResult], list[ScenarioRecord]]:
    """Read a ``report.json`` (or a directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such report file") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a report (binary, not UTF-8 JSON)") from None
    except OSError as error:
        raise ReportError(f"{path}: cannot read: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not JSON ({error})") from None
    except ValueError as error:  # a NUL in the path
        raise ReportError(f"{path}: cannot read: {error}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ReportError(f"{path}: not a seldon-scaling report (schema {found!r}, want {SCHEMA})")
    try:
        return (
            RunFacts.from_dict(data["facts"]),
            [CheckResult.from_dict(c) for c in data.get("checks", [])],
            [ScenarioRecord.from_dict(s) for s in data.get("scenarios", [])],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ReportError(f"{path}: malformed report: {error!r}") from None


# What a run writes into its report directory: write_report's files, the artifacts of failed
# checks (plugin._collect_artifacts) and the Locust driver's (kube/cluster.py).
RUN_OUTPUTS = ("report.json", "report.html", "results", "artifacts", "locust")


def clear_report_dir(directory: str | Path) -> None:
    """Remove an earlier run's outputs, so a reused directory holds only this run's.

    Called as the session starts: artifacts are written during the run, so stale ones cannot
    be told apart at the end. Anything else in the directory is the user's and stays.
    """
    directory = Path(directory)
    for name in RUN_OUTPUTS:
        path = directory / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()


def write_report(
    directory: str | Path,
    facts: RunFacts,
    checks: Sequence[CheckResult],
    scenarios: Sequence[ScenarioRecord] = (),
) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``results/``; the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tree = report_tree(facts, checks, scenarios)
    json_path = directory / "report.json"
    # compact: indenting a report's columns puts each number on a line of its own and more
    # than doubles the file (``python -m json.tool report.json`` shows it indented)
    json_path.write_text(
        json.dumps(tree, separators=(",", ":"), default=str) + "\n", encoding="utf-8"
    )
    html_path = directory / "report.html"
    html_path.write_text(render_html(facts, checks, scenarios), encoding="utf-8")
    results = directory / "results"
    shutil.rmtree(results, ignore_errors=True)  # a reused directory shows this run only
    for check in checks:
        folder = results / _slug(check.approach or "other")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{_slug(check.id)}.json").write_text(
            json.dumps(check.to_dict(), indent=1, default=str) + "\n", encoding="utf-8"
        )
    return {"json": json_path, "html": html_path, "results": results}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "_"


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}
.summary{font-size:16px;font-weight:600;margin:8px 0 16px}
.warning{background:#fff3e0;border-left:4px solid #ef6c00;padding:6px 10px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f5f5f5}
.status{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:600}
td.num{text-align:right;min-width:3em}.failed-checks a{margin-right:4px}
table.approaches{max-width:1350px}
pre{background:#f7f7f7;border:1px solid #e0e0e0;padding:8px;overflow:auto;font-size:12px}
.facts td:first-child{font-weight:600}figure{margin:8px 0}svg.plot{max-width:100%;height:auto}
.muted{color:#666}
"""


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#555")
    return f'<span class="status" style="background:{colour}">{escape(status)}</span>'


def _short_id(check: CheckResult) -> str:
    prefix = check.approach + "."
    if check.id.startswith(prefix):
        return check.id[len(prefix) :]
    prefix = check.approach + "/"
    return check.id[len(prefix) :] if check.id.startswith(prefix) else check.id


def approach_rows(checks: Sequence[CheckResult]) -> list[tuple[str, str, dict, list]]:
    """``(approach, status, counts, failed checks)`` per approach, failing approaches first."""
    approaches = list(dict.fromkeys(c.approach for c in checks))
    rows = []
    for approach in approaches:
        own = [c for c in checks if c.approach == approach]
        failed = [c for c in own if c.status in ("failed", "error")]
        rows.append((approach, overall_status(own), counts(own), failed))
    order = {"failed": 0, "passed": 1, "skipped": 2}
    return sorted(rows, key=lambda row: order.get(row[1], 3))


def _summary_html(checks: Sequence[CheckResult]) -> str:
    """One row per approach (as Sonobuoy shows plugins): counts and the failed checks, linked."""
    if not checks:
        return '<p class="muted">No checks ran.</p>'
    rows = []
    for approach, status, tally, failed in approach_rows(checks):
        links = ", ".join(
            f'<a href="#failure-{escape(_slug(c.id))}" title="{escape(c.title)}">'
            f"{escape(_short_id(c))}</a>"
            for c in failed
        )
        cells = "".join(
            f'<td class="num">{tally[k] or ""}</td>'
            for k in ("passed", "failed", "skipped", "error")
        )
        rows.append(
            f'<tr class="approach-{status}"><th>{escape(approach)}</th><td>{_badge(status)}</td>'
            f'{cells}<td class="failed-checks">{links}</td></tr>'
        )
    return (
        '<table class="approaches"><tr><th>approach</th><th>verdict</th><th>passed</th>'
        "<th>failed</th><th>skipped</th><th>errors</th><th>failed checks</th></tr>"
        f"{''.join(rows)}</table>"
    )


def failure_markers(checks: Sequence[CheckResult], scenario: str) -> list[Marker]:
    """The moments the scenario's checks failed (``evidence["failed_at"]``), for its charts."""
    return [
        Marker(
            float(c.evidence["failed_at"]),
            f"{c.id} failed: {_first_line(c.message)}",
            "#000",
            symbol="✕",
        )
        for c in checks
        if c.scenario == scenario
        and c.status in ("failed", "error")
        and isinstance(c.evidence.get("failed_at"), int | float)
    ]


# Up to three models on one traffic chart stay apart by the target's dash pattern.
_TARGET_DASHES = ("6 4", "2 3", "10 3 2 3")
_LATENCY = (("p50", "", 1.4), ("p95", "6 3", 1.4), ("p99", "2 2", 1.8))


def scenario_charts(
    timeline: Timeline, *, virtual_time: bool = False, failures: Sequence[Marker] = ()
) -> list[str]:
    """The SVG charts of one scenario (see :func:`scenario_chart_specs`)."""
    specs = scenario_chart_specs(timeline, virtual_time=virtual_time, failures=failures)
    return [render(spec) for spec in specs]


def scenario_chart_specs(
    timeline: Timeline, *, virtual_time: bool = False, failures: Sequence[Marker] = ()
) -> list[ChartSpec]:
    """The charts of one scenario: traffic (target, achieved, failed), latency, then replicas.

    Replicas are what checks judge: a Model's available replicas (solid) beside its spec
    (wide, pale, dashed); a Server's status beside its spec. ``failures`` mark when a check
    failed (black flags); condition changes are numbered flags.

    Drawn from the timeline as ``report.json`` keeps it (:meth:`Timeline.downsampled`), so
    the page written at the end of a run and one re-rendered from its JSON are the same; a
    bucketed timeline's charts say what a point is ("mean per 5 s", "worst per 5 s").
    """
    timeline = timeline.downsampled()
    bucket = timeline.traffic_bucket
    per = f" (mean per {bucket} s)" if bucket > 1 else ""
    end = max(timeline.end, 1.0)
    x_range = (0.0, end)
    x_label = "virtual time (s, twin clock)" if virtual_time else "time since scenario start (s)"
    markers = [
        Marker(
            group[0].t,
            "; ".join(
                f"{c.ref} {c.type}={c.status} {c.message or c.reason}".strip() for c in group
            ),
            STATUS_COLOURS["passed"] if all(c.status == "True" for c in group) else FAILED_COLOUR,
        )
        for group in condition_groups(timeline)
    ]
    markers += list(failures)
    charts: list[ChartSpec] = []
    models = timeline.models_with_traffic()
    if models:
        series: list[Series] = []
        latency: list[Series] = []
        failed: dict[int, float] = {}
        for index, model in enumerate(models):
            seconds = timeline.traffic_for(model)
            colour = PALETTE[index % len(PALETTE)]
            series.append(
                Series(
                    f"{model} achieved rps", [(s.t, s.sent / s.seconds) for s in seconds], colour
                )
            )
            series.append(
                Series(
                    f"{model} target rps",
                    [(s.t, s.target_rps) for s in seconds],
                    "#333",
                    dash=_TARGET_DASHES[index % len(_TARGET_DASHES)],
                    width=1.3,
                )
            )
            for s in seconds:
                failed[s.t] = failed.get(s.t, 0.0) + s.failed_total / s.seconds
            for name, dash, width in _LATENCY:
                points = [
                    (s.t, float(value))
                    for s in seconds
                    if (value := getattr(s, f"{name}_ms")) is not None
                ]
                if points:
                    latency.append(
                        Series(f"{model} {name}", points, colour, dash=dash, width=width)
                    )
        series.append(
            Series(
                "failed requests/s",
                sorted(failed.items()),
                FAILED_COLOUR,
                style="bar",
                bar_width=bucket,
            )
        )
        charts.append(
            ChartSpec(
                f"Requests per second{per}: target (dark, dashed) vs achieved, failed (red bars)",
                series,
                markers=markers,
                x_range=x_range,
                y_label=f"requests/s{per}",
                x_label=x_label,
            )
        )
        if latency:
            charts.append(
                ChartSpec(
                    (
                        f"Latency, worst second per {bucket} s"
                        if bucket > 1
                        else "Latency per second"
                    )
                    + ": p50 (solid), p95 (dashed), p99 (dotted)",
                    latency,
                    markers=markers,
                    x_range=x_range,
                    y_label="latency (ms" + (f", worst per {bucket} s)" if bucket > 1 else ")"),
                    x_label=x_label,
                )
            )
    replica_series: list[Series] = []
    refs = timeline.refs()
    for index, ref in enumerate(refs):
        samples = timeline.replica_series(ref)
        colour = PALETTE[index % len(PALETTE)]
        judged = "available" if ref.startswith("model/") else "status"
        offset = (index - (len(refs) - 1) / 2) * 2.5  # objects at equal counts side by side
        for label, pick, style in (
            ("spec", lambda s: s.spec, {"dash": "6 4", "width": 4.0, "opacity": 0.35}),
            (judged, lambda s, f=judged: getattr(s, f), {"width": 1.6}),
        ):
            points = [(s.t, float(pick(s))) for s in samples if pick(s) is not None]
            if points:
                points.append((end, points[-1][1]))
                replica_series.append(
                    Series(f"{ref} {label}", points, colour, "step", offset=offset, **style)
                )
    for index, ref in enumerate(sorted({h.ref for h in timeline.hpa})):
        points = [(h.t, float(h.desired)) for h in timeline.hpa_for(ref)]
        colour = PALETTE[(len(timeline.refs()) + index) % len(PALETTE)]
        label = f"{ref} desired"
        if ref in timeline.hpa_recorded:  # thinned: say of how many syncs the dots are
            label += f" ({len(points)} of {timeline.hpa_recorded[ref]} syncs)"
        replica_series.append(Series(label, points, colour, "dots"))
    if replica_series:
        charts.append(
            ChartSpec(
                "Replicas: spec (wide, pale, dashed); Model available / Server status (solid); "
                "HPA desired (dots); objects a few px apart",
                replica_series,
                markers=markers,
                x_range=x_range,
                y_label="replicas",
                x_label=x_label,
                integer_y=True,
            )
        )
    return charts


def condition_groups(timeline: Timeline, share: float = 0.01) -> list[list[ConditionChange]]:
    """Condition changes grouped when they fall within ``share`` of the time axis of the first
    of their group, so changes at one moment make one numbered marker, not a pile."""
    gap = max(timeline.end, 1.0) * share
    groups: list[list[ConditionChange]] = []
    for change in sorted(timeline.conditions, key=lambda c: c.t):
        if groups and change.t - groups[-1][0].t <= gap:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def _scenario_html(
    scenario: ScenarioRecord, checks: Sequence[CheckResult] = (), *, virtual_time: bool = False
) -> str:
    timeline = scenario.timeline
    parts = [f'<h3 id="scenario-{escape(_slug(scenario.name))}">{escape(scenario.name)}</h3>']
    if scenario.description:
        parts.append(f"<p>{escape(scenario.description)}</p>")
    charts = scenario_charts(
        timeline, virtual_time=virtual_time, failures=failure_markers(checks, scenario.name)
    )
    parts += [f"<figure>{c}</figure>" for c in charts]
    if not charts:
        parts.append('<p class="muted">Nothing was recorded for this scenario.</p>')
    if timeline.conditions:
        rows = "".join(
            f"<tr><td>{n}</td><td>{c.t:g}s</td><td>{escape(c.ref)}</td><td>{escape(c.type)}</td>"
            f"<td>{escape(c.status)}</td><td>{escape(c.message)}</td><td>{escape(c.reason)}</td></tr>"
            for n, group in enumerate(condition_groups(timeline), 1)
            for c in group
        )
        parts.append(
            "<table><tr><th>#</th><th>t</th><th>object</th><th>condition</th><th>status</th>"
            f"<th>message</th><th>reason</th></tr>{rows}</table>"
        )
    for load in scenario.loads:
        data = load.to_dict() if isinstance(load, LoadResult) else load
        reached = "target reached" if data.get("target_reached") else "target NOT reached"
        failed = sum((data.get("failed") or {}).values())
        parts.append(
            f"<p><b>load on {escape(str(data.get('model')))}</b>: "
            f"{escape(str(data.get('profile')))} — sent {data.get('sent')}, ok {data.get('ok')}, "
            f"failed {failed}; {reached}</p>"
        )
        if data.get("shortfalls"):
            parts.append(f"<pre>{escape(chr(10).join(data['shortfalls']))}</pre>")
    return "".join(parts)


def _check_rows(checks: Sequence[CheckResult]) -> str:
    rows = []
    for c in checks:
        rows.append(
            f'<tr id="check-{escape(_slug(c.id))}"><td>{escape(c.id)}</td>'
            f"<td>{escape(c.approach)}</td><td>{escape(c.title)}</td><td>{_badge(c.status)}</td>"
            f"<td>{c.duration:.2f}s</td></tr>"
        )
    return (
        "<table><tr><th>check</th><th>approach</th><th>what it proves</th><th>status</th>"
        f"<th>duration</th></tr>{''.join(rows)}</table>"
    )


def _failure_html(check: CheckResult) -> str:
    evidence = ""
    if check.evidence:
        text = json.dumps(check.evidence, indent=1, default=str)
        evidence = f"<details><summary>evidence</summary><pre>{escape(text)}</pre></details>"
    return (
        f'<h3 id="failure-{escape(_slug(check.id))}">{_badge(check.status)} {escape(check.id)}'
        f"</h3><p>{escape(check.title)}</p><pre>{escape(check.message)}</pre>{evidence}"
    )


def render_html(
    facts: RunFacts, checks: Sequence[CheckResult], scenarios: Sequence[ScenarioRecord]
) -> str:
    """The whole report as one self-contained HTML page."""
    status = overall_status(checks, facts)
    fact_rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>"
        for k, v in facts.to_dict().items()
        if v not in (None, "") and k != "warnings"
    )
    failures = [c for c in checks if c.status in ("failed", "error")]
    skipped = [c for c in checks if c.status == "skipped"]
    body = [
        "<h1>Seldon Core 2 autoscaling conformance</h1>",
        f'<p class="summary">{_badge(status)} {escape(summary_line(checks, facts))}</p>',
        *(f'<p class="warning">Warning: {escape(w)}</p>' for w in facts.warnings),
        f'<table class="facts">{fact_rows}</table>',
        "<h2>Approaches</h2>",
        _summary_html(checks),
    ]
    if failures:
        body.append("<h2>Failures</h2>")
        body += [_failure_html(c) for c in failures]
    if scenarios:
        body.append("<h2>Scenarios</h2>")
        virtual = facts.backend == "twin"
        body += [_scenario_html(s, checks, virtual_time=virtual) for s in scenarios]
    body += ["<h2>Checks</h2>", _check_rows(checks)]
    if skipped:
        body.append("<h2>Skipped</h2>")
        body += [
            f"<p><b>{escape(c.id)}</b>: {escape(c.message or 'no reason given')}</p>"
            for c in skipped
        ]
    title = f"seldon-scaling report: {summary_line(checks)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


# -- command line ----------------------------------------------------------------------------


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``seldon-scaling report`` on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "report",
        help="render report.html from a report.json",
        description="Re-render the self-contained HTML conformance report from a report.json "
        "(or a directory holding one) and print the summary.",
    )
    parser.add_argument("source", help="report.json, or the --seldon-report directory")
    parser.add_argument(
        "-o",
        "--output",
        help="HTML file to write (default: report.html beside the JSON)",
    )
    parser.set_defaults(handler=run_report)
    return parser


def run_report(args: argparse.Namespace) -> int:
    """``seldon-scaling report``: exit 0 if no check failed, 1 if one did or the run was
    interrupted, 2 on a bad file."""
    source = Path(args.source)
    try:
        facts, checks, scenarios = load_report(source)
    except ReportError as error:
        print(f"seldon-scaling report: {error}", file=sys.stderr)
        return 2
    json_path = source / "report.json" if source.is_dir() else source
    output = Path(args.output) if args.output else json_path.with_name("report.html")
    output.write_text(render_html(facts, checks, scenarios), encoding="utf-8")
    for line in render_terminal_summary(checks, facts):
        print(line)
    print(f"wrote {output}")
    return 1 if overall_status(checks, facts) in ("failed", "interrupted") else 0
