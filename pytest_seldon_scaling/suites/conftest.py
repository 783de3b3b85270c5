"""Conformance suites: scenarios derived from the manifests under test.

With ``--seldon-manifests`` the suites test your manifests; without, the package's own
defaults (``pytest_seldon_scaling/defaults/manifests``: a shared multi-model Server with a Model
HPA, and a single-model Server with a Model and a Server HPA), in the run's namespace
(``--seldon-namespace``; the adapter's ConfigMap stays in its monitoring namespace).
"""

from __future__ import annotations

import pytest

from pytest_seldon_scaling.lint import build_setup
from pytest_seldon_scaling.manifests import Manifest, in_namespace, load_manifests
from pytest_seldon_scaling.plugin import seldon_run
from pytest_seldon_scaling.resources import default_manifests
from pytest_seldon_scaling.scenario import model_hpa_cases, server_cases

MANIFESTS = pytest.StashKey[list]()


def suite_manifests(config: pytest.Config) -> list[Manifest]:
    if MANIFESTS not in config.stash:
        run = seldon_run(config)
        config.stash[MANIFESTS] = run.manifests or in_namespace(
            load_manifests(default_manifests()), run.settings.namespace
        )
    return config.stash[MANIFESTS]


@pytest.fixture(scope="session")
def seldon_manifests(pytestconfig: pytest.Config) -> list[Manifest]:
    """Your manifests, or the suites' defaults when none are given."""
    return suite_manifests(pytestconfig)


def _cases(config: pytest.Config, fixture: str) -> tuple[list, str]:
    setup = build_setup(suite_manifests(config), seldon_run(config).settings.core_version)
    if fixture == "model_hpa_case":
        cases = [c for c in model_hpa_cases(setup) if c.server_hpa is None]
        return cases, "no Model HPA scaling on infer_rps (AverageValue) in the manifests"
    if fixture == "paired_hpa_case":
        cases = [c for c in model_hpa_cases(setup) if c.server_hpa is not None]
        return cases, "no Model HPA paired with a Server HPA on the same metric in the manifests"
    cases = server_cases(setup)
    return cases, "no Server without a Server HPA hosting a Model in the manifests"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture in ("model_hpa_case", "paired_hpa_case", "server_case"):
        if fixture not in metafunc.fixturenames:
            continue
        cases, none_reason = _cases(metafunc.config, fixture)
        params = [pytest.param(case, id=case.id) for case in cases] or [
            pytest.param(None, id="none", marks=pytest.mark.skip(reason=none_reason))
        ]
        metafunc.parametrize(fixture, params, scope="module")
