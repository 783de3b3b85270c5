"""report.html in a real headless browser (Debian's chromium): it renders, logs no console
message, and shows charts with data.

Install with ``apt-get install -y chromium`` (``.ci/run`` does); without it the test is skipped.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pytest_seldon_scaling import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install -y chromium chromium-driver)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def browse(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless chromium on a local page; stdout is what ``--dump-dom`` prints."""
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def console_messages(stderr: str) -> list[str]:
    """Lines chromium logs for the page's console (errors, uncaught exceptions, failed loads)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_console_check_catches_a_script_error(tmp_path):
    """The console check below can fail: a page with an error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>notDefined()</script></body></html>")
    run = browse(page, tmp_path / "profile", "--dump-dom")
    assert any("notDefined" in line for line in console_messages(run.stderr))


def test_report_renders_without_console_errors_and_shows_plots(tmp_path, facts, checks, scenarios):
    paths = report.write_report(tmp_path / "out", facts, checks, scenarios)
    run = browse(paths["html"], tmp_path / "profile", "--dump-dom")
    assert console_messages(run.stderr) == []
    dom = run.stdout
    assert "Passed: 3, Failed: 1, Skipped: 1, Errors: 1" in dom
    plots = re.findall(r'<svg [^>]*class="plot"[^>]*data-points="(\d+)"', dom)
    assert len(plots) == 3, "traffic, latency and replicas charts for the scenario"
    assert all(int(n) > 20 for n in plots), plots
    assert len(re.findall(r"<polyline ", dom)) >= 6  # target, achieved, 4 replica lines

    shot = tmp_path / "report.png"
    run = browse(
        paths["html"],
        tmp_path / "profile",
        "--hide-scrollbars",
        "--window-size=1280,2400",
        f"--screenshot={shot}",
    )
    assert console_messages(run.stderr) == []
    assert png_size(shot) == (1280, 2400)
    assert shot.stat().st_size > 50_000  # charts and tables, not a blank page


# Measures the laid-out page: the probe is added to a copy, the report itself has no script.
PROBE = """<script>
const d = document.documentElement;
const links = [...document.querySelectorAll('.failed-checks a')].map(a => {
  const r = a.getBoundingClientRect();
  return r.width > 0 && r.left >= 0 && r.right <= d.clientWidth;
});
document.body.setAttribute('data-probe', JSON.stringify(
  {scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, failedLinks: links}));
</script>"""


def layout(page: Path, profile: Path, width: int) -> dict:
    probed = page.with_name("probed-" + page.name)
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    run = browse(probed, profile, f"--window-size={width},1000", "--dump-dom")
    found = re.search(r'data-probe="([^"]+)"', run.stdout)
    assert found, "the probe did not run"
    return json.loads(html.unescape(found[1]))


def test_layout_probe_catches_a_page_wider_than_the_window(tmp_path):
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body><div style="width:3000px">x</div></body></html>')
    measured = layout(page, tmp_path / "profile", 1400)
    assert measured["scrollWidth"] > measured["clientWidth"]


def test_summary_fits_1400px_and_every_failed_check_is_visible(tmp_path, facts, checks, scenarios):
    paths = report.write_report(tmp_path / "out", facts, checks, scenarios)
    measured = layout(paths["html"], tmp_path / "profile", 1400)
    assert measured["scrollWidth"] <= measured["clientWidth"], measured  # no horizontal scroll
    assert measured["failedLinks"] == [True, True], measured  # zero-downtime, drain
