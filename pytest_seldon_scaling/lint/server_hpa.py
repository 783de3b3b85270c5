"""Rules on Server HPAs: multi-model Servers, pairing with Model HPAs, native autoscaling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..manifests import SETUP_CHART
from ..quantity import QuantityError, parse_quantity
from ..setup import Setup, hosted_models
from .findings import Finding, finding, hpa_min, metrics_of


def check_server_hpa_multi_model(setup: Setup) -> Iterator[Finding]:
    """A Server HPA on a Server that hosts several models (multi-model serving).

    The Server HPA follows one metric while every model on the Server needs room: Server
    replicas and Model replicas drift apart, causing ScheduleFailed or idle replicas. Server
    HPAs are only supported for single-model serving.
    """
    for hpa, server in setup.server_hpas():
        models = sorted(m.name for m in hosted_models(setup, server))
        if len(models) > 1:
            yield finding(
                "SCL009",
                hpa,
                "spec.scaleTargetRef",
                f"Server {server.name} may host {len(models)} models ({', '.join(models)}) but "
                "its HPA scales it on one metric: replicas of the other models are not "
                "accounted for",
                f"dedicate Server {server.name} to one model (pin it with spec.server) or drop "
                "the Server HPA and use native server autoscaling",
            )


def _canonical(value: Any) -> str:
    def normal(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: normal(x) for k, x in v.items()}
        if isinstance(v, list):
            return [normal(x) for x in v]
        if isinstance(v, int | float | str) and not isinstance(v, bool):
            try:
                return str(parse_quantity(v))
            except QuantityError:
                return v
        return v

    return json.dumps(normal(value), sort_keys=True)


def check_server_hpa_pairing(setup: Setup) -> Iterator[Finding]:
    """A Server HPA not mirrored by a Model HPA (bounds, metric, behaviour).

    Single-model serving needs the Model and Server HPAs identical: if the Model scales before
    its Server the new replicas are ScheduleFailed; if the Server scales first, replicas idle.
    """
    for hpa, server in setup.server_hpas():
        described = {
            ((m.get("object") or {}).get("describedObject") or {}).get("name")
            for _, m in metrics_of(hpa)
            if m.get("type") == "Object"
        }
        hosted = {m.name for m in hosted_models(setup, server)}
        models = sorted(
            name
            for name in (described | hosted)
            if name in setup.models and setup.hpas_targeting("Model", name)
        )
        if not models:
            yield finding(
                "SCL010",
                hpa,
                "spec.scaleTargetRef",
                f"no Model HPA pairs with this Server HPA: Server {server.name} scales but no "
                "model gets more replicas to use the new Server replicas",
                "add a Model HPA with the same min/max, metric and behaviour",
            )
            continue
        for name in models:
            for model_hpa in setup.hpas_targeting("Model", name):
                diffs = [
                    label
                    for label, ours, theirs in (
                        ("minReplicas", hpa_min(hpa), hpa_min(model_hpa)),
                        (
                            "maxReplicas",
                            hpa.spec.get("maxReplicas"),
                            model_hpa.spec.get("maxReplicas"),
                        ),
                        (
                            "metrics",
                            _canonical(hpa.spec.get("metrics")),
                            _canonical(model_hpa.spec.get("metrics")),
                        ),
                        (
                            "behavior",
                            _canonical(hpa.spec.get("behavior")),
                            _canonical(model_hpa.spec.get("behavior")),
                        ),
                    )
                    if ours != theirs
                ]
                if diffs:
                    yield finding(
                        "SCL010",
                        hpa,
                        f"spec.{diffs[0]}",
                        f"differs from Model HPA {model_hpa.name} in {', '.join(diffs)}: Model "
                        f"and Server replicas drift apart (ScheduleFailed or idle replicas)",
                        f"copy {', '.join(diffs)} from HPA {model_hpa.name}",
                    )


def check_server_hpa_native(setup: Setup) -> Iterator[Finding]:
    """A Server HPA on a Server without minReplicas/maxReplicas while Core 2 native server
    autoscaling is on (helm default).

    The docs say a Server without min/max is not autoscaled natively; the scheduler (v2.10.2)
    autoscales every Server while ``autoscalingServerEnabled`` is true, reading unset
    maxReplicas as 4294967295. Both it and the HPA write ``Server.spec.replicas``: the
    scheduler's scale-up/scale-down requests fight the HPA's recommendations, so replica
    counts flap. (SCL019 reports Servers that set min/max.)
    """
    if not setup.native_server_autoscaling:
        return
    _, source = setup.setup_value("autoscaling", "autoscalingServerEnabled")
    origin = f"from {source.source}" if source else "helm default"
    for hpa, server in setup.server_hpas():
        if not server.from_chart and ({"minReplicas", "maxReplicas"} & set(server.spec)):
            continue  # SCL019
        yield finding(
            "SCL011",
            hpa,
            "spec.scaleTargetRef",
            f"native server autoscaling ({origin}) also scales Server {server.name}, although "
            "it sets no minReplicas/maxReplicas: the scheduler's scale requests and the HPA "
            "overwrite each other",
            f"set autoscaling.autoscalingServerEnabled: false in the {SETUP_CHART} values, "
            "or drop the Server HPA",
        )


def check_server_min_max_with_hpa(setup: Setup) -> Iterator[Finding]:
    """A Server that sets minReplicas/maxReplicas and is scaled by an HPA, with native server
    autoscaling on.

    Core 2's docs say min/max on a Server turn native server autoscaling on. In the code
    (v2.10.2) the scheduler flag ``--enable-server-autoscaling`` (helm
    ``autoscaling.autoscalingServerEnabled``, default true) turns it on for every Server, and
    min/max only bound it: scale-up targets ``min(most replicas of a hosted model,
    maxReplicas)`` (``scheduler/pkg/server/utils.go shouldScaleUp``), scale-down never goes
    below ``max(minReplicas, 1)`` (``shouldScaleDown``). So the scheduler and the HPA both
    write ``Server.spec.replicas`` and overwrite each other; dropping min/max does not stop
    the scheduler (2.10 reads an unset maxReplicas as 4294967295).
    """
    if not setup.native_server_autoscaling:
        return
    for hpa, server in setup.server_hpas():
        bounds = [k for k in ("minReplicas", "maxReplicas") if k in server.spec]
        if server.from_chart or not bounds:
            continue  # SCL011 reports an HPA-scaled Server without bounds
        where = server.manifest.where(server.field(f"spec.{bounds[-1]}"))
        yield finding(
            "SCL019",
            hpa,
            "spec.scaleTargetRef",
            f"Server {server.name} sets {' and '.join(bounds)} ({where}), which the docs present "
            "as turning native server autoscaling on, and this HPA scales it too: native "
            "autoscaling is on (autoscalingServerEnabled), so the scheduler and the HPA both "
            "write spec.replicas and overwrite each other; min/max only bound the scheduler",
            "keep one writer: set autoscaling.autoscalingServerEnabled: false (min/max may stay; "
            "they still validate the replicas the HPA writes) or drop the Server HPA and let "
            "native autoscaling follow the model replicas",
        )
