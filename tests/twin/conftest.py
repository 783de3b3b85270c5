"""Fixtures for the twin's tests."""

import pytest

from pytest_seldon_scaling.twin import TwinCluster


@pytest.fixture
def twin():
    cluster = TwinCluster()
    yield cluster
    cluster.close()
