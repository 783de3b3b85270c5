"""Bad input stops before any test with one line naming file, line, object and field.

Every case of issue 11's list: each used to escape as a traceback, a hang or a silent
last-wins; each is now a :class:`ManifestError` (or a usage error of the plugin) in bounded time.
"""

from __future__ import annotations

import time

import pytest

from pytest_seldon_scaling.manifests import MAX_BYTES, ManifestError, load_manifests
from pytest_seldon_scaling.quantity import QuantityError, parse_quantity

pytest_plugins = ["pytester"]

MODEL = """\
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: iris
  namespace: seldon-mesh
spec:
  storageUri: gs://seldon-models/testing/iris1
  replicas: 1
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: iris-hpa
spec:
  scaleTargetRef: {apiVersion: mlops.seldon.io/v1alpha1, kind: Model, name: iris}
  maxReplicas: 3
  metrics: []
"""


def laughs(levels: int, fanout: int) -> str:
    """The billion laughs: each level a list of ``fanout`` aliases of the one before."""
    lines = ["  l0: &l0 [" + ", ".join(["lol"] * fanout) + "]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "\n".join(lines)


def error_of(source, **options) -> str:
    started = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        load_manifests(source, **options)
    assert time.monotonic() - started < 10, "bad input must fail fast"
    assert len(caught.value.errors) == 1, caught.value.errors
    return caught.value.errors[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            MODEL.replace("gs://seldon", "gs://\x01seldon"),
            "<string>:7: invalid YAML: character '\\x01' is not allowed",
            id="control-character",
        ),
        pytest.param(
            laughs(9, 9),
            "<string>:5: invalid YAML: document contains excessive aliasing",
            id="alias-bomb",
        ),
        pytest.param(
            "a: " + "[" * 5000 + "]" * 5000 + "\n",
            "<string>:1: invalid YAML: nested deeper than 100 levels",
            id="deep-flow-nesting",
        ),
        pytest.param(
            "".join("  " * i + f"k{i}:\n" for i in range(150)),
            "<string>:101: invalid YAML: nested deeper than 100 levels",
            id="deep-block-nesting",
        ),
        pytest.param(
            "a: &x [*x]\n",
            "<string>:1: invalid YAML: an anchor's value contains itself",
            id="recursive-anchor",
        ),
        pytest.param(
            MODEL + "  replicas: 3\n",
            "<string>:9: invalid YAML: duplicate key 'replicas' (first on line 8)",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            MODEL + "  memory: 1e99999999\n",
            "<string>:9: Model/iris: spec.memory: is out of range (beyond an int64), got "
            '"1e99999999"',
            id="quantity-exponent",
        ),
        pytest.param(
            MODEL.replace("name: iris", "name: Iris_Model"),
            "<string>:4: Model/Iris_Model: metadata.name: must be a DNS-1123 subdomain",
            id="name-not-dns",
        ),
        pytest.param(
            MODEL.replace("replicas: 1", "replicas: -2"),
            "<string>:8: Model/iris: spec.replicas: must be an integer >= 0, got -2",
            id="negative-replicas",
        ),
        pytest.param(
            MODEL.replace("kind: Model", "kind: Modle"),
            '<string>:2: Modle/iris: kind: "Modle" is not a Core 2 kind',
            id="unknown-seldon-kind",
        ),
        pytest.param(
            MODEL.replace("v1alpha1", "v1"),
            "<string>:1: Model/iris: apiVersion: must be mlops.seldon.io/v1alpha1, got "
            '"mlops.seldon.io/v1"',
            id="unknown-api-version",
        ),
        pytest.param(
            HPA,
            "<string>:8: HorizontalPodAutoscaler/iris-hpa: spec.metrics: is empty: the API "
            "server would put 80% CPU utilization there",
            id="hpa-without-metrics",
        ),
        pytest.param(
            MODEL + "  memory: .nan\n",
            "<string>:9: invalid YAML: spec.memory: nan is not a JSON number",
            id="nan-value",
        ),
        pytest.param(
            "? [a, b]\n: 1\n", "<string>:1: invalid YAML: a key must be a scalar", id="list-key"
        ),
    ],
)
def test_one_line_naming_where(text, expected):
    assert error_of(text).startswith(expected)


def test_duplicate_objects_name_both_places(tmp_path):
    (tmp_path / "a.yaml").write_text(MODEL)
    (tmp_path / "b.yaml").write_text(MODEL.replace("replicas: 1", "replicas: 2"))
    assert error_of(tmp_path) == (
        f"{tmp_path / 'b.yaml'}:4: Model/iris: metadata.name: defined twice "
        f"(first at {tmp_path / 'a.yaml'}:4)"
    )


def test_objects_in_another_namespace_name_the_field():
    text = MODEL.replace("namespace: seldon-mesh", "namespace: prod")
    assert load_manifests(text)  # a namespace of their own is fine without a run
    assert error_of(text, namespace="seldon-mesh") == (
        '<string>:5: Model/iris: metadata.namespace: "prod" is not the run\'s namespace '
        '"seldon-mesh" (--seldon-namespace)'
    )


def test_a_file_larger_than_the_api_server_takes(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(MODEL + "  # " + "x" * MAX_BYTES + "\n")
    assert error_of(big).startswith(f"{big}: {big.stat().st_size} bytes, more than the 3 MiB")


def test_timestamps_stay_strings_and_keys_become_strings():
    (model,) = load_manifests(
        MODEL.replace("  name: iris\n", "  name: iris\n  annotations: {at: 2024-01-01, 1: yes}\n")
    )
    assert model.obj["metadata"]["annotations"] == {"at": "2024-01-01", "1": True}


def test_aliases_within_go_yaml_bounds_load():
    (config,) = load_manifests(laughs(3, 10))
    assert len(config.obj["data"]["l2"]) == 10


@pytest.mark.parametrize("text", ["1e99999999", "1e-99999999", "9" * 100, "8Ei", "1e19"])
def test_quantities_out_of_range_fail_fast(text):
    started = time.monotonic()
    try:
        value = parse_quantity(text)
    except QuantityError:
        pass
    else:
        assert value == parse_quantity("1n")  # the tiny one rounds up, as Kubernetes does
    assert time.monotonic() - started < 1


USES_CLUSTER = """
def test_needs_a_cluster(seldon_settings):
    pass
"""


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (MODEL.replace("gs://", "gs://\x01"), "*bad.yaml:7: invalid YAML: character*"),
        (MODEL + "  replicas: 3\n", "*bad.yaml:9: invalid YAML: duplicate key 'replicas'*"),
        (MODEL.replace("seldon-mesh", "other"), "*bad.yaml:5: Model/iris: metadata.namespace*"),
        (laughs(9, 9), "*bad.yaml:5: invalid YAML: document contains excessive aliasing*"),
    ],
)
def test_the_plugin_stops_before_any_test(pytester, body, line):
    pytester.makepyfile(USES_CLUSTER)
    pytester.path.joinpath("bad.yaml").write_text(body)
    result = pytester.runpytest("--seldon-cluster", "--seldon-manifests=bad.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad manifests:*", line])
    assert "Traceback" not in result.stderr.str() and "INTERNALERROR" not in result.stderr.str()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "a profile is text such as 'hold 5rps 1m', not None"),
        (b"hold 5rps 1m", "a profile is text such as 'hold 5rps 1m', not b'hold 5rps 1m'"),
        ("hold 5rps 100000h", "a profile of 100000h is longer than 168h"),
        ("step 1-10rps 1000000000x 1m", "Step steps must be an integer 2..10000"),
        ("hold 99999999999rps 1m", "Hold rps 1e+11 is above 1,000,000 requests per second"),
    ],
)
def test_profiles_that_cannot_run_are_profile_errors(value, message):
    from pytest_seldon_scaling.load.profile import LoadProfile, ProfileError

    with pytest.raises(ProfileError) as caught:
        LoadProfile.parse(value)
    assert message in str(caught.value)


@pytest.mark.parametrize("data", [None, [], {"segments": 3}, {"segments": [{"type": "Hold"}]}])
def test_profile_dicts_that_are_not_profiles_are_profile_errors(data):
    from pytest_seldon_scaling.load.profile import LoadProfile, ProfileError

    with pytest.raises(ProfileError):
        LoadProfile.from_dict(data)
