"""Prometheus Adapter rules, Prometheus rate, arrivals and agent settings."""

import random

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.hpa import MetricUnavailable
from pytest_seldon_scaling.twin import TwinCluster
from pytest_seldon_scaling.twin.adapter import (
    AdapterConfigError,
    MetricsDB,
    extrapolated_rate,
    parse_adapter_config,
    query_metric,
)
from pytest_seldon_scaling.twin.agent import agent_config
from pytest_seldon_scaling.twin.cluster import default_server_config
from pytest_seldon_scaling.twin.traffic import poisson

from .builders import ADAPTER_CONFIGMAP, is_available, model, server

DOCS_RULES = parse_adapter_config(yaml.safe_load(ADAPTER_CONFIGMAP))


def test_docs_rule_is_parsed():
    (rule,) = DOCS_RULES
    assert rule.series == "seldon_model_infer_total"
    assert rule.metric_name() == "infer_rps"
    assert (rule.aggregation, rule.function, rule.window) == ("sum", "rate", 120.0)
    assert rule.label_for("mlops.seldon.io", "Model") == "model"
    assert rule.label_for("mlops.seldon.io", "servers") == "server"
    assert rule.label_for("", "namespace") == "namespace"


def test_unsupported_metrics_query_names_configmap_and_field():
    configmap = yaml.safe_load(ADAPTER_CONFIGMAP)
    configmap["data"]["config.yaml"] = configmap["data"]["config.yaml"].replace(
        "sum by", "topk(3, "
    )
    with pytest.raises(
        AdapterConfigError, match=r"ConfigMap/hpa-metrics.*rules\[0\]\.metricsQuery"
    ):
        parse_adapter_config(configmap)


def _series(model, replica, code="200"):
    return {
        "__name__": "seldon_model_infer_total",
        "namespace": "seldon-mesh",
        "model": model,
        "server": "mlserver",
        "server_replica": replica,
        "code": code,
    }


def test_rate_sums_series_of_the_described_model():
    db = MetricsDB()
    for step in range(10):
        t = 15.0 * step
        db.scrape(t, [(_series("a", "0"), 10.0 * t), (_series("a", "1"), 5.0 * t)])
        db.scrape(t, [(_series("b", "0"), 100.0 * t)])
    value = query_metric(
        DOCS_RULES,
        db,
        135.0,
        "infer_rps",
        group="mlops.seldon.io",
        resource="Model",
        name="a",
        namespace="seldon-mesh",
    )
    assert value == pytest.approx(15.0)
    code_only = query_metric(
        DOCS_RULES,
        db,
        135.0,
        "infer_rps",
        group="mlops.seldon.io",
        resource="Model",
        name="a",
        namespace="seldon-mesh",
        selector={"server_replica": "1"},
    )
    assert code_only == pytest.approx(5.0)


def test_no_series_or_no_rule_is_a_metric_error():
    db = MetricsDB()
    with pytest.raises(MetricUnavailable, match="could not find the metric"):
        query_metric(
            DOCS_RULES,
            db,
            60,
            "infer_rps",
            group="mlops.seldon.io",
            resource="Model",
            name="a",
            namespace="seldon-mesh",
        )
    with pytest.raises(MetricUnavailable, match="no Prometheus Adapter ConfigMap"):
        query_metric(
            [],
            db,
            60,
            "infer_rps",
            group="mlops.seldon.io",
            resource="Model",
            name="a",
            namespace="seldon-mesh",
        )


def test_prometheus_extrapolation():
    samples = [(15.0, 150.0), (30.0, 300.0), (45.0, 450.0)]
    # range (0, 60]: extrapolates to both ends (within 1.1 average steps): 10/s exactly
    assert extrapolated_rate(samples, 0.0, 60.0, is_rate=True) == pytest.approx(10.0)
    assert extrapolated_rate(samples[:1], 0.0, 60.0, is_rate=True) is None
    # counter reset is treated as a restart from zero
    reset = [(15.0, 100.0), (30.0, 10.0), (45.0, 20.0)]
    assert extrapolated_rate(reset, 15.0 - 1e-9, 45.0, is_rate=False) > 0


@settings(max_examples=60)
@given(lam=st.floats(0, 2000), seed=st.integers(0, 1000))
def test_poisson_draws_are_non_negative_integers(lam, seed):
    value = poisson(random.Random(seed), lam)
    assert isinstance(value, int) and value >= 0


@pytest.mark.parametrize("lam", [0.5, 5.0, 50.0, 800.0])
def test_poisson_mean_and_variance(lam):
    rng = random.Random(42)
    draws = [poisson(rng, lam) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / len(draws)
    assert mean == pytest.approx(lam, rel=0.05)
    assert variance == pytest.approx(lam, rel=0.12)


def test_agent_settings_from_server_config_and_server_podspec():
    config = agent_config(server(), default_server_config("mlserver", "sklearn,mlserver", "ns"))
    assert config.capabilities == ("sklearn", "mlserver")
    # the chart's server container requests memory '1G' (decimal)
    assert config.memory_bytes == 10**9 and config.overcommit_percentage == 10
    assert config.memory_with_overcommit == 10**9 + 10**9 // 10
    overridden = server(
        podSpec={
            "containers": [
                {
                    "name": "agent",
                    "env": [
                        {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "0"},
                        {"name": "MEMORY_REQUEST", "value": "1073741824"},
                    ],
                }
            ]
        },
        extraCapabilities=["custom"],
    )
    config = agent_config(overridden, default_server_config("mlserver", "sklearn", "ns"))
    assert config.overcommit_percentage == 0
    assert config.capabilities == ("sklearn", "custom")


def test_a_run_started_between_whole_seconds_counts_its_first_requests():
    cluster = TwinCluster()
    cluster.apply(server(replicas=1), model("iris"))
    cluster.wait_until(is_available(cluster, "iris"), 120, what="iris available")
    cluster.sleep(0.5)
    result = cluster.load("iris", "hold 100rps 10s").wait()
    # all 1,000 requests, those of its first half second included, each with its outcome
    assert result.sent == 1000 and result.ok == 1000
    # and each window compares the seconds it covers with what the profile asked for then,
    # on a steep ramp too
    assert not result.shortfalls
    cluster.sleep(0.5)
    ramp = cluster.load("iris", "ramp 0-200rps 20s").wait()
    assert ramp.sent == 2000 and not ramp.shortfalls
    cluster.close()
