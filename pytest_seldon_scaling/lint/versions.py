"""Rules on what Core 2 versions and helm values really do (docs vs code)."""

from __future__ import annotations

from collections.abc import Iterator

from ..manifests import SETUP_CHART
from ..setup import Setup
from .findings import Finding, finding


def check_lag_autoscaling(setup: Setup) -> Iterator[Finding]:
    """Lag-based model autoscaling enabled in helm values for Core 2 >= 2.10.

    Core 2.10 force-disables it in agent and scheduler (PR #6814) whatever the value says, so
    models never scale on inference lag.
    """
    enabled, source = setup.setup_value("autoscaling", "autoscalingModelEnabled")
    if enabled is True and setup.core >= (2, 10) and source is not None:
        yield finding(
            "SCL012",
            source,
            "autoscaling.autoscalingModelEnabled",
            f"Core {setup.core_label} ignores autoscalingModelEnabled (force-disabled since "
            "2.10): no model will scale on inference lag",
            "scale Models with an HPA on infer_rps (and remove autoscalingModelEnabled)",
        )


def check_model_min_max_myth(setup: Setup) -> Iterator[Finding]:
    """A Model with an HPA leaves minReplicas/maxReplicas unset to "disable" lag autoscaling.

    Since 2.10 an unset maxReplicas becomes 4294967295, so the Model counts as
    autoscaling-enabled; it is harmless only because 2.10 force-disables lag autoscaling.
    """
    if setup.core < (2, 10):
        return
    for _, model in setup.model_hpas():
        spec = model.spec
        if "minReplicas" not in spec and "maxReplicas" not in spec:
            yield finding(
                "SCL013",
                model,
                "spec",
                "unset maxReplicas does not disable lag autoscaling (it becomes 4294967295); "
                "it stays off only because Core 2.10 force-disables it",
                "nothing to do today; keep autoscaling.autoscalingModelEnabled false",
            )


def check_server_min_max_myth(setup: Setup) -> Iterator[Finding]:
    """A Server leaves maxReplicas unset believing that disables native server autoscaling.

    Since 2.10 unset or 0 maxReplicas becomes 4294967295, so the scheduler scales the Server up
    to the largest model replica count (docs say unset disables it; true in 2.9 only).
    """
    if setup.core < (2, 10) or not setup.native_server_autoscaling:
        return
    for server in setup.servers.values():
        if server.from_chart or server.spec.get("maxReplicas"):
            continue
        if setup.hpas_targeting("Server", server.name):
            continue  # SCL011 covers HPA-managed Servers
        yield finding(
            "SCL014",
            server.manifest,
            "spec",
            "maxReplicas unset: native server autoscaling is active and unbounded "
            "(max 4294967295), the Server grows to the largest model replica count",
            "set spec.maxReplicas (and minReplicas) to the bounds you want",
        )


def check_packing_percentage(setup: Setup) -> Iterator[Finding]:
    """``serverPackingPercentage`` written as 0-100 although Core 2 reads a probability (0-1).

    Any value >= 1 makes every server scale-down try packing, so a value above 1 is a
    percentage misread (1 itself is the valid "always"); when packing is disabled the value is
    ignored (forced to 0).
    """
    value, source = setup.setup_value("autoscaling", "serverPackingPercentage")
    if source is None or not isinstance(value, int | float) or isinstance(value, bool):
        return
    enabled, _ = setup.setup_value("autoscaling", "serverPackingEnabled")
    path = "autoscaling.serverPackingPercentage"
    if value > 1:
        yield finding(
            "SCL015",
            source,
            path,
            f"serverPackingPercentage {value} is read as a probability: >= 1 means every "
            "scale-down event tries packing",
            f"write a probability (e.g. {min(value, 100) / 100:g} for {value:g} %)",
        )
    elif value > 0 and enabled is not True:
        yield finding(
            "SCL015",
            source,
            path,
            f"serverPackingPercentage {value} has no effect: serverPackingEnabled is not true "
            "(the scheduler forces it to 0)",
            "set autoscaling.serverPackingEnabled: true",
            severity="info",
        )


def check_packing_fraction(setup: Setup) -> Iterator[Finding]:
    """A fractional ``serverPackingPercentage``, which the setup chart cannot install.

    The docs give the range 0.0 to 1.0, and the scheduler reads the value as a probability
    (``--server-packing-percentage``, a float64: ``rand > 1 - p`` decides whether a
    scale-down packs, ``scheduler/pkg/server/utils.go shouldScaleDown``, v2.10.2). But the
    chart also renders it into the SeldonConfig it installs,
    ``spec.config.scalingConfig.servers.scaleDownPackingPercentage``, which the CRD types as
    an int32 (``operator/apis/mlops/v1alpha1/seldonconfig_types.go``): the API server
    rejects a fraction such as 0.25 and the helm install or upgrade fails. Through the chart
    only whole numbers install: 0 (never pack) or 1 (every scale-down tries packing).
    """
    value, source = setup.setup_value("autoscaling", "serverPackingPercentage")
    if source is None or isinstance(value, bool) or not isinstance(value, int | float):
        return
    if float(value).is_integer():
        return
    yield finding(
        "SCL020",
        source,
        "autoscaling.serverPackingPercentage",
        f"serverPackingPercentage {value:g} is also rendered into the SeldonConfig's "
        "scalingConfig.servers.scaleDownPackingPercentage, an int32: the API server rejects "
        f"the SeldonConfig and the {SETUP_CHART} install fails (the scheduler flag alone "
        "would take the fraction as a probability)",
        "use 1 (every scale-down tries packing) or 0; a fractional probability cannot be set "
        "through the chart in Core 2.10",
    )
