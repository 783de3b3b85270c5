"""A long scenario's report: bucketed traffic, thinned HPA samples, the same page re-rendered."""

from __future__ import annotations

import argparse
import json
import re

from pytest_seldon_scaling import report
from pytest_seldon_scaling.report import ScenarioRecord
from pytest_seldon_scaling.timeline import HPASample, Timeline, TrafficSecond

TWO_HOURS = 7200


def long_scenario() -> ScenarioRecord:
    """Two hours at 50 rps, 30 requests failing in second 4000, an HPA synced every 15 s."""
    timeline = Timeline()
    timeline.record_replicas(0, "model/m", 2, 2, 2)
    for t in range(TWO_HOURS):
        failed = {"503": 30} if t == 4000 else {}
        p99 = 900.0 if t == 4003 else 20.0
        timeline.record_traffic(
            TrafficSecond(t, "m", 50.0, 50, 50 - 30 * bool(failed), failed, 5.0, 9.0, p99)
        )
        if t % 15 == 0:
            timeline.record_hpa(HPASample(t, "hpa/m", 2, 2, {"infer_rps": 50.0}, {}))
    return ScenarioRecord("long", timeline)


def spec_series(timeline: Timeline) -> dict[str, list[tuple[float, float]]]:
    specs = report.scenario_chart_specs(timeline)
    return {s.label: list(s.points) for spec in specs for s in spec.series}


def test_a_long_scenario_is_stored_per_bucket_and_drawn_as_rates(tmp_path, facts):
    paths = report.write_report(tmp_path, facts, [], [long_scenario()])
    stored = json.loads(paths["json"].read_text())["scenarios"][0]["timeline"]
    assert stored["traffic_bucket_s"] == 10  # 720 buckets of 10 s
    assert len(stored["traffic"][0]["t"]) == 720
    assert sum(stored["traffic"][0]["failed"]["503"]) == 30
    assert (len(stored["hpa"]), stored["hpa_recorded"]) == (360, {"hpa/m": 480})
    html = paths["html"].read_text()
    assert "Requests per second (mean per 10 s)" in html
    assert "Latency, worst second per 10 s" in html
    assert "hpa/m desired (360 of 480 syncs)" in html
    series = spec_series(report.load_report(tmp_path)[2][0].timeline)
    assert {y for _, y in series["m achieved rps"]} == {50.0}  # a rate, not 500 a bucket
    assert [p for p in series["failed requests/s"] if p[1]] == [(4000, 3.0)]  # 30 in 10 s
    assert max(y for _, y in series["m p99"]) == 900.0  # the worst second is never averaged


def test_a_recorded_scenario_keeps_only_what_its_report_keeps():
    scenario = long_scenario()  # the session holds it until the report is written
    assert scenario.timeline.traffic_bucket == 10
    assert len(scenario.timeline.traffic_for("m")) == 720
    assert len(scenario.timeline.hpa_for("hpa/m")) == 360


def test_a_bucket_bar_spans_its_bucket(tmp_path, facts):
    html = report.render_html(facts, [], [long_scenario()])
    bars = re.search(r'data-label="failed requests/s">(.*?)</g>', html)[1]
    (width,) = re.findall(r'width="([\d.]+)"', bars)
    assert float(width) > 1.0  # 10 s of an 888 px axis over 7200 s: about 1.2 px


def test_the_page_re_rendered_from_a_bucketed_report_is_the_same(tmp_path, facts):
    paths = report.write_report(tmp_path, facts, [], [long_scenario()])
    written = paths["html"].read_text()
    parser = argparse.ArgumentParser(prog="seldon-scaling")
    report.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(tmp_path), "-o", str(tmp_path / "again.html")])
    assert args.handler(args) == 0
    assert (tmp_path / "again.html").read_text() == written


def test_an_old_per_second_report_renders(tmp_path, facts):
    rows = [
        {"t": t, "model": "m", "target_rps": 4.0, "sent": 4, "ok": 4, "failed": {}}
        for t in range(120)
    ]
    tree = report.report_tree(facts, [], [])
    tree["scenarios"] = [{"name": "old", "timeline": {"traffic": rows}}]
    (tmp_path / "report.json").write_text(json.dumps(tree, indent=1))
    scenario = report.load_report(tmp_path)[2][0]
    assert scenario.timeline.traffic_bucket == 1
    series = spec_series(scenario.timeline)
    assert series["m achieved rps"] == [(t, 4.0) for t in range(120)]
    html = report.render_html(facts, [], [scenario])
    assert "Requests per second: target" in html and "mean per" not in html
