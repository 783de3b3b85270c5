"""The package's default manifests, as a real cluster will run them."""

from __future__ import annotations

import yaml

from pytest_seldon_scaling.resources import default_manifests


def _objects() -> list[dict]:
    objects = []
    for path in sorted(default_manifests().glob("*.yaml")):
        objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return objects


def test_no_default_server_is_driven_by_an_hpa_and_by_native_autoscaling():
    """min/max replicas on a Server turn on Core 2's native server autoscaling; leaving them
    unset is what lets an HPA drive the Server (SeldonIO/seldon-core v2.10.2
    docs-gb/scaling/core-autoscaling-servers.md): with both, the scheduler's scale requests and
    the HPA write the same spec.replicas."""
    objects = _objects()
    hpa_targets = {
        o["spec"]["scaleTargetRef"]["name"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
        and o["spec"]["scaleTargetRef"]["kind"] == "Server"
    }
    servers = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "Server"}
    assert hpa_targets, "the defaults should exercise a Server HPA"
    for name in hpa_targets:
        assert {"minReplicas", "maxReplicas"} & set(servers[name]) == set(), name
