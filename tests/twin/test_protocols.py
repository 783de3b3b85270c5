"""REST and gRPC traffic on the twin: the agent's ``method_type`` and an HPA selecting on it.

The Seldon HPA docs show ``metric.selector.matchLabels: {method_type: rest}`` (docs-gb/scaling/
hpa-setup.md); the agent labels ``seldon_model_infer_total`` with ``method_type`` rest or grpc
and ``code`` "200" or the gRPC code name "OK" (scheduler/pkg/metrics/agent.go, v2.10.2).
"""

import pytest

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.twin import TwinCluster

from .builders import ADAPTER_CONFIGMAP, hpa, is_available, model, server


def _mixed_load(selector):
    twin = TwinCluster()
    scaler = hpa("irisa0-hpa", "Model", "irisa0", "irisa0", average_value=50, max_replicas=5)
    if selector is not None:
        scaler["spec"]["metrics"][0]["object"]["metric"]["selector"] = {"matchLabels": selector}
    twin.apply(ADAPTER_CONFIGMAP, server(replicas=5), model("irisa0"), scaler)
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    rest = twin.load("irisa0", "hold 150rps 5m")
    grpc = twin.load("irisa0", "hold 50rps 5m", protocol="grpc")
    return twin, rest.wait(), grpc.wait()


@pytest.mark.parametrize(
    ("selector", "replicas"),
    [({"method_type": "rest"}, 3), ({"method_type": "grpc"}, 1), (None, 4)],
)
def test_an_hpa_selecting_method_type_counts_only_that_protocol(selector, replicas):
    twin, rest, grpc = _mixed_load(selector)
    assert rest.failed_total == grpc.failed_total == 0
    assert twin.get("model/irisa0")["spec"]["replicas"] == replicas
    last = twin.timeline.hpa_for("hpa/irisa0-hpa")[-1]
    assert last.metrics["infer_rps"] == pytest.approx(50, abs=2)


def test_agent_counters_carry_each_protocol_and_add_up_to_every_served_request():
    twin, rest, grpc = _mixed_load({"method_type": "rest"})
    twin.sleep(15)  # a scrape after the last completion
    totals: dict[tuple[str, str], float] = {}
    for series in twin.metrics.select("seldon_model_infer_total", []):
        key = (series.labels["method_type"], series.labels["code"])
        totals[key] = totals.get(key, 0.0) + series.samples[-1][1]
    assert set(totals) == {("rest", "200"), ("grpc", "OK")}
    # a model's runs report the model's seconds: both results count all 200 rps
    assert sum(totals.values()) == rest.ok == grpc.ok == 200 * 300
    assert totals["grpc", "OK"] == pytest.approx(50 * 300, rel=0.01)


def test_only_grpc_load_counts_no_rest_request():
    twin = TwinCluster()
    twin.apply(ADAPTER_CONFIGMAP, server(), model("irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    result = twin.load("irisa0", "hold 20rps 1m", protocol="grpc").wait()
    twin.sleep(15)
    series = twin.metrics.select("seldon_model_infer_total", [])
    assert {(s.labels["method_type"], s.labels["code"]) for s in series} == {("grpc", "OK")}
    assert sum(s.samples[-1][1] for s in series) == result.ok == 1200


def test_an_unknown_protocol_names_the_model_and_the_protocol(twin):
    with pytest.raises(ClusterError, match=r"model/irisa0: protocol 'http3' is not rest or grpc"):
        twin.load("irisa0", "hold 1rps 10s", protocol="http3")


def test_the_handle_passes_the_protocol_to_the_twin():
    from pytest_seldon_scaling.handle import SeldonHandle

    twin = TwinCluster()
    twin.apply(ADAPTER_CONFIGMAP, server(), model("irisa0"))
    twin.wait_until(is_available(twin, "irisa0"), 120, what="irisa0 available")
    seldon = SeldonHandle(twin, name="protocols")
    seldon.load("model/irisa0", "hold 10rps 30s", protocol="grpc").wait()
    twin.sleep(15)
    series = twin.metrics.select("seldon_model_infer_total", [])
    assert {s.labels["method_type"] for s in series} == {"grpc"}
