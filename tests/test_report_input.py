"""``seldon-scaling report`` on files that are not reports, and reused report directories."""

from __future__ import annotations

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.report import CheckResult, RunFacts, load_report, write_report


def test_a_binary_file_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    binary = tmp_path / "report.json"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe" * 20)
    assert main(["report", str(binary)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"seldon-scaling report: {binary}: not a report (binary, not UTF-8 JSON)"
    )


def test_a_reused_directory_holds_only_this_runs_results(tmp_path):
    facts = RunFacts(backend="twin", core_version="2.10")
    old = CheckResult(id="OLD-01", title="from an earlier run", status="passed", approach="x")
    new = CheckResult(id="NEW-01", title="this run", status="passed", approach="x")
    write_report(tmp_path, facts, [old])
    write_report(tmp_path, facts, [new])
    written = sorted(p.name for p in (tmp_path / "results").rglob("*.json"))
    assert written == ["NEW-01.json"]
    assert [c.id for c in load_report(tmp_path)[1]] == ["NEW-01"]


def test_a_reused_report_directory_loses_an_earlier_runs_artifacts(pytester):
    out = pytester.path / "out"
    for stale in ("artifacts/test_x.py__test_old/events.yaml", "locust/iris-30/stats.csv"):
        (out / stale).parent.mkdir(parents=True)
        (out / stale).write_text("from an earlier run\n")
    (out / "notes.txt").write_text("the user's own\n")
    pytester.makepyfile(test_new="def test_new(seldon):\n    pass\n")
    pytester.runpytest("--seldon-cluster", "--seldon-report=out").assert_outcomes(passed=1)
    assert sorted(p.name for p in out.iterdir()) == [
        "notes.txt",
        "report.html",
        "report.json",
        "results",
    ]
    assert [c.id for c in load_report(out)[1]] == ["test_new.py::test_new"]
