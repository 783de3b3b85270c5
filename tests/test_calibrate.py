"""``seldon-scaling calibrate``: where a ramp saturates a replica, the HPA it implies, the profile.

The pure parts are table-driven; the command itself runs against a real MLServer serving an
iris model trained at test time (marker ``live``; the ``live`` extra).
"""

from __future__ import annotations

import json

import pytest

from pytest_seldon_scaling.calibrate import hpa_advice, saturation, service_profile
from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.load.local_servers import mlserver_available, mlserver_iris
from pytest_seldon_scaling.service_profile import (
    ServiceProfile,
    read_service_profile,
    serve_with,
)
from pytest_seldon_scaling.timeline import TrafficSecond


def ramp(rates, *, p99=None, failed_from=None, ok_share=None) -> list[TrafficSecond]:
    """One second per rate; latency 5 ms until ``p99`` takes over, as a saturating server."""
    rows = []
    for t, rate in enumerate(rates):
        latency = 5.0 if p99 is None else p99(rate)
        ok = rate if ok_share is None else int(rate * ok_share(rate))
        failed = {"503": 1} if failed_from is not None and rate >= failed_from else {}
        rows.append(TrafficSecond(t, "iris", rate, rate, ok, failed, 5.0, latency, latency))
    return rows


RATES = list(range(1, 101))


@pytest.mark.parametrize(
    ("rows", "rps", "reason"),
    [
        # the last good window (rates 51..55 at t=50..54) completed 53 rps on average
        (
            ramp(RATES, p99=lambda r: 5.0 if r < 60 else 250.0),
            53,
            "p99 250 ms > 100 ms at t=55-60s",
        ),
        (ramp(RATES, failed_from=80), 73, "1 errors at t=75-80s"),
        (ramp(RATES, ok_share=lambda r: 1.0 if r < 40 else 0.5), 33, "stopped keeping up"),
    ],
    ids=["latency", "errors", "throughput"],
)
def test_saturation_is_the_last_window_within_the_limits(rows, rps, reason):
    found = saturation(rows, max_p99_ms=100)
    assert found.broke and found.rps == rps
    assert reason in found.reason


def test_warm_up_and_a_single_slow_window_are_not_saturation():
    def p99(rate):
        if rate <= 5 or 31 <= rate <= 35:  # warm-up, then one hiccup
            return 300.0
        return 5.0 if rate < 60 else 250.0

    found = saturation(ramp(RATES, p99=p99), max_p99_ms=100)
    assert found.rps == 53
    assert found.reason == "p99 250 ms > 100 ms at t=55-60s (58.0 rps), and the next window too"


def test_a_ramp_that_never_breaks_says_so():
    found = saturation(ramp(RATES), max_p99_ms=100)
    assert not found.broke and found.rps == 98
    assert found.reason == "the ramp ended before any limit broke"


def test_the_docs_rule_for_target_and_max_replicas():
    advice = hpa_advice(50.0, margin=0.2, peak_rps=300)
    assert (advice.average_value, advice.max_replicas) == (40.0, 8)  # 300 / 40 = 7.5 -> 8
    assert hpa_advice(50.0, 0.2, None).max_replicas is None
    with pytest.raises(ValueError, match="nothing to size the HPA from"):
        hpa_advice(0.0, 0.2, 100)


def test_the_service_profile_round_trips_into_twin_settings(tmp_path):
    rows = ramp(RATES, p99=lambda r: 5.0 if r < 60 else 250.0)
    profile = service_profile("iris", rows, saturation(rows, 100), 100)
    assert profile.service_time_p50_ms == 5.0
    assert profile.concurrency_per_replica == 1  # 53 rps x 5 ms = 0.3 requests in service
    path = tmp_path / "p.json"
    path.write_text(profile.to_json())
    assert read_service_profile(path) == profile
    # one twin replica saturates where the measured one did: 1 worker / 53 rps
    assert profile.twin_service() == (pytest.approx(1 / 53), 1)
    path.write_text(json.dumps({"model": "iris"}))
    with pytest.raises(ValueError, match=r"p.json: service profile lacks service_time_p50_ms, .*"):
        read_service_profile(path)


def test_the_twin_serves_a_calibrated_model_at_its_pace():
    from pytest_seldon_scaling.resources import default_manifests
    from pytest_seldon_scaling.twin import TwinCluster

    def p50_under(service):
        cluster = TwinCluster()
        serve_with(cluster, service)
        cluster.apply(str(default_manifests()))
        cluster.sleep(60)
        run = cluster.load("iris-shared", "hold 4rps 30s")
        run.wait()
        return max(s.p50_ms for s in run.seconds() if s.p50_ms is not None)

    slow = ServiceProfile("iris-shared", 250.0, 300.0, 350.0, 2, 8.0, 1000.0)
    assert p50_under({}) == pytest.approx(10.0)  # the twin's default service time
    assert p50_under({"iris-shared": slow}) == pytest.approx(250.0)


def test_tune_uses_the_profile_instead_of_the_twin_defaults(tmp_path, capsys):
    pytest.importorskip("optuna")
    from test_tune import write_setup  # tests/ is on sys.path (rootdir conftest, no package)

    manifests, trace = write_setup(tmp_path)
    # a slow model: 400 ms per request, one at a time -> 2.5 rps per replica at most
    slow = ServiceProfile("a", 400.0, 450.0, 500.0, 1, 2.5, 1000.0)
    (tmp_path / "slow.json").write_text(slow.to_json())
    base = ["tune", "--manifests", manifests, "--traffic", trace, "--trials", "4"]
    base += ["--population", "4", "--slo", "p99-ms=1000"]
    main(base)
    fast = capsys.readouterr().out
    main([*base, "--profile", str(tmp_path / "slow.json")])
    slowed = capsys.readouterr().out
    assert "No candidate meets the SLOs" in slowed and slowed != fast


@pytest.mark.live
@pytest.mark.skipif(mlserver_available() is not None, reason=str(mlserver_available()))
def test_calibrate_a_real_mlserver_iris(tmp_path, capsys):
    output = tmp_path / "iris-profile.json"
    with mlserver_iris(tmp_path / "mlserver") as server:
        code = main(
            [
                "calibrate",
                "--url",
                server.url,
                "--model",
                server.model,
                "--max-p99-ms",
                "500",
                "--ramp-to",
                "400",
                "--duration",
                "40s",
                "--peak-rps",
                "600",
                "--output",
                str(output),
            ]
        )
    out, err = capsys.readouterr()
    assert "Calibrate: ramp 1-400rps 40s (open loop) against iris" in out, out + err
    profile = read_service_profile(output)
    assert 0 < profile.service_time_p50_ms < 500
    assert "HPA target.averageValue:" in out and "HPA spec.maxReplicas:" in out
    if code == 0:
        assert "Saturation: " in out and "rps per replica (then " in out
    else:
        assert code == 1 and "Saturation: not reached" in out, out + err
