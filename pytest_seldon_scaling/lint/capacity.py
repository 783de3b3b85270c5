"""Rules on whether models fit: Server capacity, scaling specs, requirements, memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..quantity import QuantityError, integer_value
from ..setup import Setup, int_or_none, requirements, server_capacity
from ..twin.operator import ScalingSpecError, validated_scaling_spec
from .findings import Finding, byte_size, finding, hpa_min


def check_server_capacity(setup: Setup) -> Iterator[Finding]:
    """A Model HPA's ``maxReplicas`` is above what any Server for the model can host.

    A Server replica holds at most one replica of a model and a model never spans Servers, so
    at peak the Model goes ScheduleFailed ("no matching server had enough suitable replicas")
    while its old replicas serve. A Server reaches its HPA's maxReplicas, its own maxReplicas
    with native server autoscaling, else stays at replicas (servers chart default: max 1).
    """
    for hpa, model in setup.model_hpas():
        want = hpa.spec.get("maxReplicas")
        if not isinstance(want, int):
            continue
        capacities = [
            capacity
            for server in setup.servers_for(model)
            if (capacity := server_capacity(setup, server)) is not None
        ]
        if not capacities:
            continue
        best, why = max(capacities)
        if want > best:
            yield finding(
                "SCL007",
                hpa,
                "spec.maxReplicas",
                f"the HPA may ask Model {model.name} for {want} replicas but its Server hosts at "
                f"most {best} ({why}): ScheduleFailed at peak, only the replicas already loaded "
                "serve",
                f"lower maxReplicas to {best} or let the Server grow to {want} (Server HPA / "
                "Server maxReplicas)",
            )


def check_hpa_bounds(setup: Setup) -> Iterator[Finding]:
    """HPA min/max outside the target's own ``minReplicas``/``maxReplicas``.

    Core 2 still validates HPA-written ``spec.replicas`` against the object's own bounds: a
    Model goes ModelFailed, a Server stops reconciling, with
    ``scaling spec is invalid: number of replicas N must be <= max replicas M``.
    """
    targets = [(hpa, f"Model {model.name}", model.spec) for hpa, model in setup.model_hpas()]
    targets += [(hpa, f"Server {server.name}", server.spec) for hpa, server in setup.server_hpas()]
    for hpa, target, spec in targets:
        if setup.scaling_spec(spec) is None:
            continue  # SCL016 reports the object itself
        for key, written in (
            ("maxReplicas", hpa.spec.get("maxReplicas")),
            ("minReplicas", hpa_min(hpa)),
        ):
            if not isinstance(written, int):
                continue
            try:
                validated_scaling_spec(
                    written,
                    int_or_none(spec.get("minReplicas")),
                    int_or_none(spec.get("maxReplicas")),
                    core_version=setup.operator_version,
                )
            except ScalingSpecError as error:
                yield finding(
                    "SCL008",
                    hpa,
                    f"spec.{key}",
                    f"when the HPA writes {written} replicas to {target} Core 2 rejects them: "
                    f"{error}",
                    f"keep the HPA's {key} within {target}'s minReplicas..maxReplicas "
                    f"({spec.get('minReplicas', 'unset')}..{spec.get('maxReplicas', 'unset')})",
                )


def check_scaling_spec(setup: Setup) -> Iterator[Finding]:
    """A Model or Server whose replicas/minReplicas/maxReplicas Core 2 rejects.

    Models go ModelReady False (ModelFailed) and are never scheduled; a Server stops
    reconciling (Ready False). The message is Core 2's exact error text.
    """
    objects = [(m, m.display, m.spec, "spec") for m in setup.models.values()]
    objects += [(s.manifest, s.display, s.spec, s.field("spec")) for s in setup.servers.values()]
    consequence = {
        "Model": "the controller marks it ModelFailed and never schedules it",
        "Server": "the controller stops reconciling it (Ready False)",
    }
    for manifest, ref, spec, path in objects:
        try:
            validated_scaling_spec(
                int_or_none(spec.get("replicas")),
                int_or_none(spec.get("minReplicas")),
                int_or_none(spec.get("maxReplicas")),
                core_version=setup.operator_version,
            )
        except ScalingSpecError as error:
            yield finding(
                "SCL016",
                manifest,
                path,
                f"{error}: {consequence[ref.split('/')[0]]}",
                "make minReplicas <= replicas <= maxReplicas",
                object_ref=ref,
            )


def check_requirements(setup: Setup) -> Iterator[Finding]:
    """A Model whose requirements no Server's capabilities satisfy (or pinned to no Server).

    Requirements (plus ``modelType``) must all be in a Server's capabilities, exact string
    match; otherwise the Model stays ScheduleFailed ("no matching servers are available").
    """
    for model in setup.models.values():
        pinned = model.spec.get("server")
        if pinned and pinned not in setup.servers:
            yield finding(
                "SCL017",
                model,
                "spec.server",
                f"pinned to Server {pinned}, which is not among the linted manifests: "
                "ScheduleFailed (no matching servers are available)",
                f"create Server {pinned} or fix spec.server "
                f"(known: {', '.join(sorted(setup.servers))})",
            )
            continue
        if setup.servers_for(model):
            continue
        needed = requirements(model)
        candidates = [setup.servers[pinned]] if pinned else list(setup.servers.values())
        lacking = "; ".join(
            f"{s.name} lacks {', '.join(sorted(needed - set(s.runtime.capabilities or ())))}"
            for s in candidates
        )
        path = "spec.requirements" if "requirements" in model.spec else "spec.modelType"
        yield finding(
            "SCL017",
            model,
            path,
            f"no Server offers all of {', '.join(sorted(needed))} ({lacking}): ScheduleFailed "
            "(no matching servers are available)",
            "add the missing capabilities to a Server (spec.capabilities / extraCapabilities) "
            "or fix the requirements",
        )


def check_memory(setup: Setup) -> Iterator[Finding]:
    """A Model needs more memory than any capable Server replica can offer.

    A replica offers MEMORY_REQUEST (the inference container's ``requests.memory``, helm
    default 1Gi) plus the overcommit share (``SELDON_OVERCOMMIT_PERCENTAGE``, default 10): a
    bigger model never fits and stays ScheduleFailed.
    """
    for model in setup.models.values():
        try:
            needed = integer_value(model.spec["memory"]) if "memory" in model.spec else 0
        except QuantityError:
            continue
        offers = [
            (s.runtime.replica_memory, s)
            for s in setup.servers_for(model)
            if s.runtime.replica_memory is not None
        ]
        if not needed or not offers or len(offers) < len(setup.servers_for(model)):
            continue
        best, server = max(offers, key=lambda offer: offer[0])
        if needed > best:
            runtime = server.runtime
            yield finding(
                "SCL018",
                model,
                "spec.memory",
                f"needs {byte_size(needed)} per replica but the largest capable Server replica "
                f"({server.name}) offers {byte_size(best)} (MEMORY_REQUEST "
                f"{byte_size(runtime.memory_bytes or 0)} + {runtime.overcommit_percent} % "
                "overcommit): ScheduleFailed, the model never loads",
                "raise the Server's inference container requests.memory or lower spec.memory",
            )
