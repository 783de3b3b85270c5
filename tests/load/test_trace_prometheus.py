"""Traces from a real Prometheus: counters backfilled with promtool, queried over HTTP.

Prometheus (Debian's ``prometheus`` package) runs on 127.0.0.1 with a temporary TSDB whose
blocks ``promtool tsdb create-blocks-from openmetrics`` built from counters we know, so the
rates the trace reports can be checked against the rates that made the counters.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pytest_seldon_scaling.load.trace import TraceError, load_trace, query_prometheus

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    not (PROMETHEUS and PROMTOOL),
    reason="needs prometheus and promtool on PATH (apt-get install -y prometheus)",
)

SCRAPE = 15
HOURS = 2
# model -> rps in each hour
RATES = {"iris": (5.0, 5.0), "income": (2.0, 8.0)}


def openmetrics(end: int) -> str:
    """Counters scraped every 15 s for two hours ending at ``end`` (OpenMetrics text)."""
    lines = ["# TYPE seldon_model_infer counter"]
    start = end - HOURS * 3600
    for model, rates in RATES.items():
        total = 0.0
        for t in range(start, end + 1, SCRAPE):
            lines.append(f'seldon_model_infer_total{{model="{model}",code="200"}} {total:g} {t}')
            total += rates[min(HOURS - 1, (t - start) // 3600)] * SCRAPE
    return "\n".join([*lines, "# EOF", ""])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> tuple[str, int]:
    root = tmp_path_factory.mktemp("prometheus")
    # whole hours keep promtool's two-hour blocks aligned with the data
    end = int(time.time()) // 3600 * 3600 - 3600
    (root / "data.om").write_text(openmetrics(end))
    data = root / "tsdb"
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(root / "data.om"), str(data)],
        check=True,
        capture_output=True,
    )
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    port = free_port()
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "prometheus.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = Path(root / "prometheus.log").read_text()[-2000:]
                    pytest.fail(f"prometheus did not become ready:\n{log}")
                time.sleep(0.2)
        yield url, end
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_rates_prometheus_reports_are_the_rates_that_made_the_counters(prometheus):
    url, end = prometheus
    trace = query_prometheus(url, now=end)
    assert trace.models == ["income", "iris"]
    # rate()[1m] needs a minute of data: the trace starts at the second sample
    assert trace.duration == pytest.approx(HOURS * 3600 - 60, abs=60)
    assert trace.peak_rps("iris") == pytest.approx(5.0)
    assert trace.peak_rps("income") == pytest.approx(8.0)
    income = trace.profile("income")
    first, second = income.rate_at(1800), income.rate_at(5400)
    assert (first, second) == (pytest.approx(2.0), pytest.approx(8.0))


def test_a_full_query_range_url_with_its_own_window_and_step(prometheus):
    url, end = prometheus
    start = end - 3600
    query = "sum by (model) (rate(seldon_model_infer_total[5m]))"
    trace = load_trace(
        f"{url}/api/v1/query_range?query={urllib.request.quote(query)}"
        f"&start={start}&end={end}&step=300#rate=2"
    )
    assert trace.duration == 3600
    assert {m: len(s) for m, s in trace.series.items()} == {"income": 13, "iris": 13}
    assert trace.peak_rps("income") == pytest.approx(16.0)


def test_a_bad_query_carries_prometheus_explanation(prometheus):
    url, end = prometheus
    with pytest.raises(TraceError, match=r"status is not 'success' .*parse error"):
        load_trace(f"{url}?query=sum%20by%20(&end={end}")


def test_unreachable_prometheus_is_named():
    with pytest.raises(TraceError, match=r"http://127.0.0.1:\d+: Prometheus unreachable"):
        query_prometheus(f"http://127.0.0.1:{free_port()}", timeout=2)
