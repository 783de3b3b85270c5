"""serverPackingPercentage as Core 2 reads it: a probability, whatever the docs' 0..100 say.

``shouldScaleDown`` (SeldonIO/seldon-core v2.10.2 scheduler/pkg/server/utils.go) tries packing
when ``rand.Float32() > 1 - perc``; the helm value reaches it unchanged through
``--server-packing-percentage`` (k8s/helm-charts/seldon-core-v2-setup templates).
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.twin import TwinSettings
from pytest_seldon_scaling.twin.scheduler import server_scale_down_target

# 3 expected replicas, none empty, every model on at most 1: only packing scales down
PACKABLE = {"expected_replicas": 3, "min_replicas": 1, "empty_replicas": 0, "max_model_replicas": 1}


@pytest.mark.parametrize(
    ("percentage", "draw", "packs"),
    [
        (0.0, 0.999, False),  # helm default: never
        (0.25, 0.70, False),  # a quarter of the draws, those above 0.75
        (0.25, 0.80, True),
        (1.0, 0.01, True),
        (25, 0.0, True),  # "25 %" as the docs write it: every draw
        (100, 0.5, True),
    ],
)
def test_packing_is_tried_when_the_draw_beats_one_minus_the_value(percentage, draw, packs):
    target = server_scale_down_target(**PACKABLE, pack_threshold=percentage, pack_draw=draw)
    assert (target == 1) is packs


def test_the_twin_passes_the_value_on_unchanged_when_packing_is_on():
    assert (
        TwinSettings(server_packing_enabled=True, server_packing_percentage=25).pack_threshold == 25
    )
    assert TwinSettings(server_packing_percentage=25).pack_threshold == 0.0  # packing off
