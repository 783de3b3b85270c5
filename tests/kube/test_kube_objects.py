"""Pure functions over API objects: what the watches record, and DNS-safe names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_seldon_scaling.kube.kind import MAX_NAME, kind_cluster_name
from pytest_seldon_scaling.kube.objects import (
    conditions_of,
    dns_label,
    event_key,
    event_subject,
    hpa_metrics,
    hpa_sample,
    ordinal_of,
    pod_ready,
    replicas_of,
)

DNS = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def test_conditions_are_matched_by_type_not_position():
    model = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "Failed to schedule",
                    "message": "ScheduleFailed",
                },
                {"type": "ModelReady", "status": "False", "message": "ScheduleFailed"},
                {"status": "True"},
            ]
        }
    }
    assert conditions_of(model) == {
        "Ready": ("False", "Failed to schedule", "ScheduleFailed"),
        "ModelReady": ("False", "", "ScheduleFailed"),
    }


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({}, (None, None, None)),
        ({"spec": {"replicas": 0}, "status": {"replicas": 0}}, (0, 0, None)),
        ({"spec": {"replicas": 3}, "status": {"replicas": 2, "availableReplicas": 1}}, (3, 2, 1)),
        ({"spec": {"replicas": True}}, (None, None, None)),
    ],
)
def test_replicas_of_keeps_unset_apart_from_zero(obj, expected):
    assert replicas_of(obj) == expected


def test_hpa_metrics_for_each_metric_source_type():
    status = {
        "currentMetrics": [
            {
                "type": "Object",
                "object": {
                    "metric": {"name": "infer_rps"},
                    "current": {"averageValue": "2500m", "value": "5"},
                },
            },
            {
                "type": "Pods",
                "pods": {"metric": {"name": "queue"}, "current": {"averageValue": "7"}},
            },
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": 61}},
            },
            {
                "type": "ContainerResource",
                "containerResource": {
                    "name": "memory",
                    "container": "x",
                    "current": {"averageValue": "1Ki"},
                },
            },
            {
                "type": "External",
                "external": {"metric": {"name": "lag"}, "current": {"value": "3"}},
            },
            {"type": "Object", "object": {"metric": {"name": "unknown"}, "current": {}}},
        ]
    }
    assert hpa_metrics(status) == {
        "infer_rps": 2.5,
        "queue": 7.0,
        "cpu": 61.0,
        "memory": 1024.0,
        "lag": 3.0,
    }


def test_hpa_sample_waits_for_a_first_status():
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}
    assert hpa_sample(1.0, hpa) is None
    hpa["status"] = {
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "conditions": [
            {
                "type": "ScalingLimited",
                "status": "True",
                "reason": "TooManyReplicas",
                "message": "m",
            }
        ],
    }
    sample = hpa_sample(4.0, hpa)
    assert (sample.t, sample.ref, sample.current, sample.desired) == (4.0, "hpa/h", 2, 3)
    assert sample.conditions == {"ScalingLimited": ("True", "TooManyReplicas")}


def test_events_name_their_subject_and_each_occurrence():
    event = {
        "metadata": {"uid": "u1"},
        "count": 3,
        "involvedObject": {"kind": "Model", "name": "irisa0"},
    }
    assert event_subject(event) == "model/irisa0"
    assert event_key(event) == ("u1", 3)
    new_style = {
        "metadata": {"uid": "u2"},
        "series": {"count": 2},
        "regarding": {"kind": "Server", "name": "mlserver"},
    }
    assert (event_subject(new_style), event_key(new_style)) == ("server/mlserver", ("u2", 2))


@pytest.mark.parametrize(
    ("name", "ordinal"), [("mlserver-0", 0), ("mlserver-12", 12), ("mlserver", None), ("-3", None)]
)
def test_ordinal_of(name, ordinal):
    assert ordinal_of(name) == ordinal


def test_pod_ready_needs_running_and_the_ready_condition():
    ready = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    assert pod_ready(ready)
    assert not pod_ready({"status": {"phase": "Running"}})
    assert not pod_ready(
        {"status": {"phase": "Pending", "conditions": ready["status"]["conditions"]}}
    )


@given(st.text(min_size=1).filter(lambda s: re.search(r"[A-Za-z0-9]", s)))
def test_dns_label_is_always_a_valid_label(text):
    assert DNS.match(dns_label(text)) and len(dns_label(text)) <= 63


def test_dns_label_without_usable_characters_is_an_error():
    with pytest.raises(ValueError, match="no character usable"):
        dns_label("___")


@given(
    st.one_of(
        st.none(),
        st.from_regex(r"[A-Za-z0-9_.]{1,80}", fullmatch=True).filter(
            lambda s: re.search(r"[A-Za-z0-9]", s)
        ),
    ),
    st.one_of(st.none(), st.just("master"), st.from_regex(r"gw[0-9]{1,3}", fullmatch=True)),
)
def test_kind_cluster_names_are_dns_safe_and_short(base, worker):
    name = kind_cluster_name(base, worker)
    assert DNS.match(name) and len(name) <= MAX_NAME


def test_without_a_name_each_run_gets_its_own_cluster():
    first, second = kind_cluster_name(None, None), kind_cluster_name(None, None)
    assert first != second and first.startswith("seldon-scaling-")


def test_each_xdist_worker_gets_its_own_cluster():
    names = {kind_cluster_name("ci", w) for w in (None, "master", "gw0", "gw1", "gw10")}
    assert names == {"ci", "ci-gw0", "ci-gw1", "ci-gw10"}
    long = "x" * 60
    assert kind_cluster_name(long, "gw1") != kind_cluster_name(long, "gw2")
