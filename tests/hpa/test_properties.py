"""Properties every HPA decision keeps, over generated manifests and metric series."""

from __future__ import annotations

from hpa_builders import hpa, object_metric
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.hpa import HPAController, Scale

bounds = st.tuples(st.integers(1, 20), st.integers(0, 30)).map(lambda t: (t[0], t[0] + t[1]))
metric_values = st.integers(0, 100_000).map(lambda milli: f"{milli}m")
behaviors = st.one_of(
    st.none(),
    st.just({}),
    st.fixed_dictionaries(
        {
            "scaleUp": st.fixed_dictionaries(
                {
                    "stabilizationWindowSeconds": st.integers(0, 120),
                    "selectPolicy": st.sampled_from(["Max", "Min", "Disabled"]),
                    "policies": st.lists(
                        st.fixed_dictionaries(
                            {
                                "type": st.sampled_from(["Pods", "Percent"]),
                                "value": st.integers(1, 200),
                                "periodSeconds": st.integers(1, 120),
                            }
                        ),
                        min_size=1,
                        max_size=3,
                    ),
                }
            ),
            "scaleDown": st.fixed_dictionaries(
                {
                    "stabilizationWindowSeconds": st.integers(0, 600),
                    "selectPolicy": st.sampled_from(["Max", "Min", "Disabled"]),
                }
            ),
        }
    ),
)


def controller_for(min_max, behavior, average="1") -> HPAController:
    minimum, maximum = min_max
    manifest = hpa(
        metrics=[object_metric("rps", average=average)],
        min_replicas=minimum,
        max_replicas=maximum,
        behavior=behavior,
    )
    return HPAController(manifest)


@settings(max_examples=150, deadline=None)
@given(
    min_max=bounds,
    behavior=behaviors,
    start=st.integers(1, 60),
    series=st.lists(metric_values, min_size=1, max_size=12),
)
def test_result_always_within_min_and_max(min_max, behavior, start, series):
    controller = controller_for(min_max, behavior)
    replicas = start
    for step, value in enumerate(series):
        result = controller.sync(step * 15.0, Scale(replicas, replicas, "a=b"), [value])
        assert min_max[0] <= result.desired_replicas <= min_max[1]
        replicas = result.desired_replicas


@settings(max_examples=150, deadline=None)
@given(min_max=bounds, behavior=behaviors.filter(lambda b: b is not None), data=st.data())
def test_never_moves_against_the_raw_proposal_with_behavior(min_max, behavior, data):
    controller = controller_for(min_max, behavior)
    replicas = data.draw(st.integers(*min_max))
    for step in range(data.draw(st.integers(1, 10))):
        value = data.draw(metric_values)
        result = controller.sync(step * 15.0, Scale(replicas, replicas, "a=b"), [value])
        proposal = max(min_max[0], min(min_max[1], result.proposal))
        if proposal >= replicas:
            assert result.desired_replicas >= replicas
        if proposal <= replicas:
            assert result.desired_replicas <= replicas
        replicas = result.desired_replicas


@settings(max_examples=150, deadline=None)
@given(
    min_max=bounds,
    behavior=behaviors,
    average=st.integers(1, 5000),
    data=st.data(),
)
def test_metric_exactly_at_target_never_rescales(min_max, behavior, average, data):
    replicas = data.draw(st.integers(*min_max))
    controller = controller_for(min_max, behavior, average=f"{average}m")
    result = controller.sync(0.0, Scale(replicas, replicas, "a=b"), [f"{average * replicas}m"])
    assert not result.rescaled
    assert result.desired_replicas == replicas


@settings(max_examples=150, deadline=None)
@given(
    min_max=bounds,
    behavior=st.one_of(st.none(), st.just({})),
    data=st.data(),
)
def test_no_scale_down_within_the_window_after_creation(min_max, behavior, data):
    initial = data.draw(st.integers(*min_max))
    controller = controller_for(min_max, behavior)
    replicas = initial
    times = sorted(data.draw(st.lists(st.floats(0, 299.9), min_size=1, max_size=15)))
    for t in times:
        result = controller.sync(t, Scale(replicas, replicas, "a=b"), [data.draw(metric_values)])
        assert result.desired_replicas >= initial
        replicas = result.desired_replicas
