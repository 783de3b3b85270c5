"""The report's JSON tree, HTML page, results layout, summaries and command."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from pytest_seldon_scaling import report
from pytest_seldon_scaling.report import CheckResult, RunFacts
from pytest_seldon_scaling.timeline import Timeline, TrafficSecond


def test_summary_line_is_sonobuoy_style(checks):
    assert report.summary_line(checks) == "Passed: 3, Failed: 1, Skipped: 1, Errors: 1"
    assert report.summary_line(checks[:1]) == "Passed: 1, Failed: 0, Skipped: 0"


@pytest.mark.parametrize(
    ("statuses", "overall"),
    [
        (["passed", "passed"], "passed"),
        (["passed", "skipped"], "passed"),
        (["skipped"], "skipped"),
        ([], "skipped"),
        (["passed", "error"], "failed"),
        (["failed", "skipped"], "failed"),
    ],
)
def test_overall_status(statuses, overall):
    checks = [CheckResult(f"a.c{i}", "a", "t", s) for i, s in enumerate(statuses)]
    assert report.overall_status(checks) == overall


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match=r"check a\.b: status must be one of"):
        CheckResult("a.b", "a", "t", "xfail")


def test_terminal_summary_lists_checks_and_why_they_failed(checks, facts):
    lines = report.render_terminal_summary(checks, facts)
    assert lines[0] == (
        "seldon-scaling conformance (twin, Core 2 2.10.0, seed 42): FAILED — "
        "Passed: 3, Failed: 1, Skipped: 1, Errors: 1"
    )
    text = "\n".join(lines)
    assert re.search(r"FAILED\s+model-hpa.zero-downtime\s+No request fails", text)
    assert "-> 4 of 2160 requests to irisa0 failed in the whole run (4x 503)" in text
    assert "-> not supported by Core 2 2.10.0" in text
    assert "t(s)" not in text  # only the first line of a message


def test_junit_properties(facts):
    props = dict(report.junit_properties(facts))
    assert props["seldon_backend"] == "twin"
    assert props["seldon_core_version"] == "2.10.0"
    assert props["seldon_seed"] == "42"
    assert props["seldon_manifests_digest"] == "sha256:0123abcd"
    assert props["seldon_started"] == "2026-09-21T14:13:20+00:00"
    assert all(isinstance(v, str) for v in props.values())
    bare = dict(report.junit_properties(RunFacts("kind", "2.9.1")))
    assert bare == {"seldon_backend": "kind", "seldon_core_version": "2.9.1"}


def test_report_json_round_trips(tmp_path, facts, checks, scenarios):
    paths = report.write_report(tmp_path, facts, checks, scenarios)
    tree = json.loads(paths["json"].read_text())
    assert tree["schema"] == report.SCHEMA
    assert tree["summary"] == {
        "passed": 3,
        "failed": 1,
        "skipped": 1,
        "error": 1,
        "total": 6,
        "status": "failed",
    }
    assert tree["facts"]["started"] == "2026-09-21T14:13:20+00:00"
    assert tree["checks"][1]["evidence"] == {"first_failure": 200}
    scenario = tree["scenarios"][0]
    assert scenario["loads"][0]["model"] == "irisa0"
    assert scenario["timeline"]["traffic_bucket_s"] == 1  # 360 s: every second kept
    assert len(scenario["timeline"]["traffic"][0]["t"]) == 360
    facts2, checks2, scenarios2 = report.load_report(tmp_path)
    assert facts2.seed == 42
    assert [c.to_dict() for c in checks2] == [c.to_dict() for c in checks]
    assert scenarios2[0].timeline.to_dict() == scenarios[0].timeline.to_dict()


def test_results_layout_has_one_file_per_check(tmp_path, facts, checks):
    paths = report.write_report(tmp_path, facts, checks)
    files = sorted(p.relative_to(paths["results"]).as_posix() for p in paths["results"].rglob("*"))
    assert "model-hpa/model-hpa.zero-downtime.json" in files
    assert "lag-autoscaling/lag-autoscaling.scales.json" in files
    data = json.loads((paths["results"] / "server-native/server-native.drain.json").read_text())
    assert data["status"] == "error"


def test_html_is_one_self_contained_page(tmp_path, facts, checks, scenarios):
    html = report.write_report(tmp_path, facts, checks, scenarios)["html"].read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    urls = set(re.findall(r"(?:src|href)=\"([^\"#][^\"]*)\"", html))
    assert not urls, f"external references: {urls}"
    external = set(re.findall(r"https?://[^\s\"']+", html)) - {"http://www.w3.org/2000/svg"}
    assert not external
    assert "Passed: 3, Failed: 1, Skipped: 1, Errors: 1" in html


def _table(html: str, css_class: str) -> str:
    start = html.index(f'<table class="{css_class}">')
    return html[start : html.index("</table>", start)]


def test_html_summary_is_one_row_per_approach_failures_first(facts, checks, scenarios):
    html = report.render_html(facts, checks, scenarios)
    summary = _table(html, "approaches")
    rows = re.findall(r"<tr class=\"approach-(\w+)\"><th>([^<]+)</th>", summary)
    assert rows == [
        ("failed", "model-hpa"),
        ("failed", "server-native"),
        ("passed", "model-and-server-hpa"),
        ("skipped", "lag-autoscaling"),
    ]
    model_hpa = summary[
        summary.index("<th>model-hpa</th>") : summary.index(
            "</tr>", summary.index("<th>model-hpa</th>")
        )
    ]
    # counts: 2 passed, 1 failed; the failed check linked to its section
    assert re.findall(r'<td class="num">(\d*)</td>', model_hpa) == ["2", "1", "", ""]
    assert '<a href="#failure-model-hpa.zero-downtime"' in model_hpa
    assert 'id="failure-model-hpa.zero-downtime"' in html
    assert 'id="check-model-hpa.follows-prediction"' in html
    assert "<pre>4 of 2160 requests" in html
    assert "&lt;ScheduleFailed &amp; drain&gt;" in html
    assert "ClusterError: get server/mlserver: connection refused" in html
    svgs = re.findall(r'<svg [^>]*data-points="(\d+)"', html)
    assert len(svgs) == 3 and all(int(n) > 0 for n in svgs)  # traffic, latency, replicas
    assert "irisa0 target rps" in html and "irisa0 achieved rps" in html
    assert "failed requests/s" in html
    assert "irisa0 p50" in html and "irisa0 p95" in html and "irisa0 p99" in html
    assert ">latency (ms)<" in html and ">virtual time (s, twin clock)<" in html
    assert "model/irisa0 spec" in html and "model/irisa0 available" in html
    assert "server/mlserver status" in html
    assert "hpa/irisa0-hpa desired" in html
    assert "ModelReady=False ScheduleFailed" in html  # a condition marker's tooltip


def test_a_failed_check_is_flagged_on_its_scenarios_charts(facts, checks, scenarios):
    checks[1].evidence["failed_at"] = 212.0
    html = report.render_html(facts, checks, scenarios)
    flags = re.findall(r"<title>t=212s model-hpa.zero-downtime failed: 4 of 2160", html)
    assert len(flags) == 3  # on each of the scenario's charts, flagged ✕, not numbered
    assert html.count('text-anchor="middle">✕</text>') == 3
    checks[1].scenario = "another scenario"
    assert "t=212s model-hpa.zero-downtime" not in report.render_html(facts, checks, scenarios)


def test_replica_chart_draws_what_checks_judge_available_replicas():
    timeline = Timeline()
    timeline.record_replicas(0, "model/m", 3, 3, 2)  # spec 3, status 3, available 2
    html = report.scenario_charts(timeline)[0]
    assert 'data-label="model/m available"' in html and 'data-label="model/m spec"' in html
    assert 'data-label="model/m status"' not in html
    assert ">time since scenario start (s)<" in html


def test_scenario_without_records_says_so(facts):
    empty = report.ScenarioRecord("empty", Timeline())
    html = report.render_html(facts, [], [empty])
    assert "Nothing was recorded for this scenario." in html
    assert "No checks ran." in html


def test_report_command_renders_from_json(tmp_path, facts, checks, scenarios, capsys):
    paths = report.write_report(tmp_path, facts, checks, scenarios)
    paths["html"].unlink()
    parser = argparse.ArgumentParser(prog="seldon-scaling")
    report.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(tmp_path)])
    assert args.handler(args) == 1  # a check failed
    assert paths["html"].exists()
    out = capsys.readouterr().out
    assert "Passed: 3, Failed: 1" in out and f"wrote {paths['html']}" in out
    other = tmp_path / "copy.html"
    args = parser.parse_args(["report", str(paths["json"]), "-o", str(other)])
    assert args.handler(args) == 1
    assert other.read_text() == paths["html"].read_text()


def test_report_command_names_a_bad_file(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="seldon-scaling")
    report.add_parser(parser.add_subparsers(dest="command"))
    bad = tmp_path / "report.json"
    bad.write_text('{"schema": "something-else"}')
    args = parser.parse_args(["report", str(bad)])
    assert args.handler(args) == 2
    assert f"{bad}: not a seldon-scaling report" in capsys.readouterr().err
    args = parser.parse_args(["report", str(tmp_path / "none.json")])
    assert args.handler(args) == 2
    assert "no such report file" in capsys.readouterr().err
    args = parser.parse_args(["report", "a\x00b.json"])
    assert args.handler(args) == 2
    assert "a\x00b.json: cannot read: embedded null byte" in capsys.readouterr().err


def test_load_report_names_malformed_content(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("{not json")
    with pytest.raises(report.ReportError, match=r"report\.json: not JSON"):
        report.load_report(path)
    path.write_text(json.dumps({"schema": report.SCHEMA, "facts": {}}))
    with pytest.raises(report.ReportError, match="malformed report"):
        report.load_report(path)


def test_condition_changes_at_one_moment_make_one_marker():
    timeline = Timeline()
    timeline.record_traffic(TrafficSecond(999, "m", 1.0, sent=1, ok=1))
    timeline.record_condition(10, "model/m", "ModelReady", "False", "r", "ScheduleFailed")
    timeline.record_condition(12, "model/m", "Ready", "False", "r", "ScheduleFailed")
    timeline.record_condition(500, "model/m", "ModelReady", "True", "", "ModelAvailable")
    groups = report.condition_groups(timeline)
    assert [[c.t for c in g] for g in groups] == [[10, 12], [500]]
    html = report.scenario_charts(timeline)[0]
    assert html.count('class="marker"') == 2
    assert "[1] t=10s model/m ModelReady=False ScheduleFailed; model/m Ready=False" in html


def test_target_and_achieved_rps_are_told_apart(scenarios):
    html = report.scenario_charts(scenarios[0].timeline, virtual_time=True)[0]

    def stroke(label: str) -> str:
        return re.search(rf'data-label="{label}"[^>]*stroke="([^"]+)"', html)[1]

    assert stroke("irisa0 target rps") != stroke("irisa0 achieved rps")
    target = re.search(r'data-label="irisa0 target rps"[^>]*>', html)[0]
    assert "stroke-dasharray" in target
    # the target is drawn after (over) the achieved line, so it is never hidden under it
    assert html.index('data-label="irisa0 target rps"') > html.index(
        'data-label="irisa0 achieved rps"'
    )
