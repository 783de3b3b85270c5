"""Prometheus text parsing and per-replica placement from the agents' loaded-model gauge."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.kube.promtext import (
    MetricsParseError,
    Sample,
    merge_placements,
    model_name,
    parse_prometheus_text,
    placement_from_samples,
)

AGENT = (
    "# HELP seldon_loaded_model_gauge Gauge of models loaded\n"
    "# TYPE seldon_loaded_model_gauge gauge\n"
    'seldon_loaded_model_gauge{model_internal="irisa0_1",server="mlserver",server_replica="0"} 1\n'
    'seldon_loaded_model_gauge{model_internal="irisb_12",server="mlserver",server_replica="0"} 0\n'
    'seldon_loaded_model_gauge{model_internal="tfsimple1_1",server="triton",server_replica="0"} 1\n'
    "seldon_loaded_model_memory_bytes_gauge"
    '{model_internal="irisa0_1",server="mlserver",server_replica="0"} 3e+06\n'
    "seldon_model_infer_api_seconds_bucket"
    '{code="200",le="+Inf",method="rest",server="mlserver",server_replica="0"} 17 1700000000000\n'
)


def test_parses_names_labels_values_and_skips_comments():
    samples = parse_prometheus_text(AGENT)

    assert len(samples) == 5
    assert samples[0] == Sample(
        "seldon_loaded_model_gauge",
        1.0,
        {"model_internal": "irisa0_1", "server": "mlserver", "server_replica": "0"},
    )
    assert samples[3].value == 3e6
    assert samples[4].labels["le"] == "+Inf" and samples[4].value == 17


@pytest.mark.parametrize(
    ("line", "value"),
    [("m 1", 1.0), ("m +Inf", math.inf), ("m -Inf", -math.inf), ("m{} 2.5", 2.5), ("m 1e-3", 1e-3)],
)
def test_values(line, value):
    assert parse_prometheus_text(line)[0].value == value


def test_escaped_label_values():
    text = 'm{path="C:\\\\x",msg="say \\"hi\\"\\nbye"} 1'
    assert parse_prometheus_text(text)[0].labels == {"path": "C:\\x", "msg": 'say "hi"\nbye'}


@pytest.mark.parametrize("line", ["m{a=b} 1", "m", "m one", "1m 2", 'm{a="x" 1'])
def test_malformed_lines_are_errors_naming_the_line(line):
    with pytest.raises(MetricsParseError, match="line 2"):
        parse_prometheus_text("ok 1\n" + line)


@given(
    st.dictionaries(
        st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
        max_size=4,
    ),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_any_label_set_round_trips(labels, value):
    def escape(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    body = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
    text = f"metric_x{{{body}}} {value!r}\n"
    assert parse_prometheus_text(text) == [Sample("metric_x", value, labels)]


@pytest.mark.parametrize(
    ("internal", "name"),
    [("irisa0_1", "irisa0"), ("iris_v2_13", "iris_v2"), ("model", "model"), ("a_b", "a_b")],
)
def test_model_name_strips_only_a_numeric_version_suffix(internal, name):
    assert model_name(internal) == name


def test_placement_counts_only_loaded_models_of_the_server():
    samples = parse_prometheus_text(AGENT)
    assert placement_from_samples(samples, "mlserver") == {0: ["irisa0"]}
    assert placement_from_samples(samples, "triton") == {0: ["tfsimple1"]}


def test_placement_without_a_numeric_replica_label_is_an_error():
    samples = [Sample("seldon_loaded_model_gauge", 1, {"model_internal": "a_1"})]
    with pytest.raises(MetricsParseError, match="server_replica"):
        placement_from_samples(samples)


def test_merge_placements_from_each_pod():
    assert merge_placements([{1: ["b"]}, {0: ["a"]}, {1: ["a"]}, {2: []}]) == {
        0: ["a"],
        1: ["a", "b"],
        2: [],
    }
