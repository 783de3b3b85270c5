"""Fuzzing the inputs users type: manifests, load profiles, CLI arguments and plugin options.

Every input ends in a result or the input's own error type (ManifestError, ProfileError, a
usage error / exit code 2), never another exception and never a hang: each example runs
under hypothesis' deadline.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_seldon_scaling.cli import main
from pytest_seldon_scaling.load.profile import LoadProfile, ProfileError
from pytest_seldon_scaling.manifests import Manifest, ManifestError, load_manifests
from pytest_seldon_scaling.options import OPTIONS
from pytest_seldon_scaling.quantity import QuantityError, milli_value, parse_quantity
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.settings import resolve

BOUNDED = settings(deadline=2000, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

# -- manifests --------------------------------------------------------------------------------

YAML_CHARS = st.sampled_from(list("ab01:-[]{},&*!|>'\"#?% \n\t.\x01\x7f\u00e9\ufeff"))
KEYS = st.sampled_from(
    [
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "spec",
        "replicas",
        "minReplicas",
        "maxReplicas",
        "memory",
        "metrics",
        "type",
        "target",
        "scaleTargetRef",
        "storageUri",
        "autoscaling",
        "serverPackingPercentage",
        "items",
        "<<",
        "1",
        "true",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "Model",
            "Server",
            "HorizontalPodAutoscaler",
            "ConfigMap",
            "List",
            "Modle",
            "mlops.seldon.io/v1alpha1",
            "mlops.seldon.io/v1",
            "autoscaling/v2",
            "v1",
            "1e99999999",
            "500m",
            "-1",
            "Iris_Model",
            "seldon-mesh",
            "2024-01-01",
            "Object",
            "AverageValue",
        ]
    ),
    st.text(max_size=8),
)
OBJECTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


def load_text(text: str) -> list[Manifest]:
    # through a file, as users pass them (text without a newline would be read as a path)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return load_manifests(path)


def loads_or_names_the_problem(text: str) -> None:
    try:
        manifests = load_text(text)
    except ManifestError as error:
        assert error.errors and all(isinstance(line, str) and line for line in error.errors)
        assert all(line.startswith(("/", "<")) for line in error.errors), error.errors
    else:
        assert all(isinstance(m, Manifest) and isinstance(m.obj, dict) for m in manifests)


@BOUNDED
@given(st.text(YAML_CHARS, max_size=200))
def test_any_text_loads_or_fails_with_manifest_error(text):
    loads_or_names_the_problem(text)


@BOUNDED
@given(st.lists(OBJECTS, min_size=1, max_size=3))
def test_any_yaml_shaped_documents_load_or_fail_with_manifest_error(documents):
    loads_or_names_the_problem(yaml.safe_dump_all(documents, allow_unicode=True))


@BOUNDED
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 300))
def test_aliases_and_nesting_end_in_bounded_time(levels, fanout, depth):
    lines = ["  l0: &l0 [" + ", ".join(["x"] * fanout) + "]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + "\n".join(lines)
    loads_or_names_the_problem(text + "\n  deep: " + "[" * depth + "]" * depth + "\n")


@BOUNDED
@given(st.text(st.sampled_from(list("0123456789.eE+-kmMGKiu n")), max_size=40))
def test_any_quantity_text_parses_or_fails_with_quantity_error(text):
    try:
        value = parse_quantity(text)
    except QuantityError:
        return
    assert abs(value) < 2**63


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_milli_value_of_a_float_is_the_exact_ceiling_of_its_decimal_text(value):
    # an HPA reads every metric value this way: the fast path must round as the Fraction does
    assert milli_value(value) == math.ceil(parse_quantity(value) * 1000)


# -- load profiles ----------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(0, 10**12).map(str),
    st.floats(0, 1e7, allow_nan=False).map(lambda f: f"{f:.3f}"),
    st.sampled_from(["inf", "nan", "-1", "1e9", ""]),
)
DURATIONS = st.one_of(
    st.builds(
        lambda n, u: f"{n}{u}", st.integers(0, 10**7), st.sampled_from(["s", "m", "h", "ms"])
    ),
    st.sampled_from(["0", "1h30m", "1e400", "-5s", "1.5m", "x"]),
)
SEGMENTS = st.one_of(
    st.builds("ramp {}-{}rps {}".format, NUMBERS, NUMBERS, DURATIONS),
    st.builds("hold {}rps {}".format, NUMBERS, DURATIONS),
    st.builds("hold {}".format, DURATIONS),
    st.builds("step {}-{}rps {}x {}".format, NUMBERS, NUMBERS, st.integers(-2, 10**9), DURATIONS),
    st.builds(
        "spike {}-{}rps {} at {} for {}".format, NUMBERS, NUMBERS, DURATIONS, DURATIONS, DURATIONS
    ),
    st.text(max_size=15),
)


def parses_or_profile_error(text: object) -> None:
    try:
        profile = LoadProfile.parse(text)
    except ProfileError as error:
        assert str(error)
        return
    assert math.isfinite(profile.duration) and profile.duration >= 0
    assert LoadProfile.parse(profile.describe()) == profile
    assert LoadProfile.from_dict(profile.to_dict()) == profile


@BOUNDED
@given(st.lists(SEGMENTS, min_size=1, max_size=4).map(", ".join))
@example("HOLD 0RPS 13MS")  # 13 * 0.001 is not the float 0.013 its description reads back as
@example("hold 1rps 1234.5678s")  # six significant digits ({:g}) would lose the duration
def test_any_profile_text_parses_or_fails_with_profile_error(text):
    parses_or_profile_error(text)


@BOUNDED
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=10), st.lists(st.text(max_size=3))))
def test_non_text_profiles_fail_with_profile_error(value):
    parses_or_profile_error(value)


@BOUNDED
@given(OBJECTS)
def test_any_profile_dict_loads_or_fails_with_profile_error(data):
    try:
        profile = LoadProfile.from_dict({"segments": data} if isinstance(data, list) else data)
    except ProfileError:
        return
    assert math.isfinite(profile.duration)


# -- command line -----------------------------------------------------------------------------

FIXTURES = str(default_manifests())


def quiet_main(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


VALUES = st.one_of(
    st.sampled_from(["0", "-1", "inf", "nan", "1e300", "25", "5s", "2h", "true", "x", ""]),
    st.text(max_size=6),
)
PLAN_FLAGS = st.sampled_from(
    [
        "--core-version",
        "--seed",
        "--packing-percentage",
        "--max-error-rate",
        "--convergence-time",
        "--max-p99-ms",
        "--request-timeout",
        "--plot",
        "--model",
        "--server-autoscaling",
    ]
)
# only short, valid profiles reach the simulation: everything else is about the arguments
PROFILES = st.one_of(st.sampled_from(["hold 2rps 10s", "hold 0rps 1m"]), st.text(max_size=10))


@settings(deadline=10_000, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(PROFILES, st.lists(st.tuples(PLAN_FLAGS, VALUES), max_size=3))
def test_plan_arguments_end_in_an_exit_code(profile, flags):
    with tempfile.TemporaryDirectory() as directory:
        argv = ["plan", "--manifests", FIXTURES, "--profile", profile]
        for flag, value in flags:
            argv += [flag, str(Path(directory) / value) if flag == "--plot" else value]
        assert quiet_main(argv) in (0, 1, 2)


@BOUNDED
@given(
    st.lists(
        st.one_of(VALUES, st.sampled_from(["lint", "report", "plan", "--format", "-h"])), max_size=4
    )
)
def test_any_argv_ends_in_an_exit_code(argv):
    # relative paths land in an empty directory, never in the checkout
    with tempfile.TemporaryDirectory() as directory, pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        assert quiet_main(argv) in (0, 1, 2)


class FakeConfig:
    """What :func:`resolve` reads of a pytest config: options, then ini keys."""

    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        self.invocation_params = pytest.Config.InvocationParams(args=(), plugins=None, dir=Path())

    def getoption(self, name: str) -> object:
        return self.options.get(name)

    def getini(self, name: str) -> object:
        option = next((o for o in OPTIONS if f"seldon_{o.name.replace('-', '_')}" == name), None)
        if option is None:
            return "twin"
        return [] if option.kind == "paths" else option.default


@BOUNDED
@given(st.dictionaries(st.sampled_from([o.name for o in OPTIONS if o.kind == "string"]), VALUES))
def test_any_option_values_resolve_or_are_a_usage_error(values):
    config = FakeConfig({f"--seldon-{name}": value for name, value in values.items()})
    config.options["--seldon-cluster"] = "twin"
    try:
        settings_ = resolve(config)  # type: ignore[arg-type]
    except pytest.UsageError as error:
        assert str(error).startswith("pytest-seldon-scaling: bad option:")
        return
    assert math.isfinite(settings_.convergence_time) and settings_.convergence_time > 0
    assert 0 <= settings_.packing_percentage <= 100
