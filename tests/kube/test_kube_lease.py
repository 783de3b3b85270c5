"""Sessions on one namespace of a shared cluster take turns through a Lease."""

from __future__ import annotations

import threading
import time

import pytest

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube import open_kube_cluster
from pytest_seldon_scaling.kube.lease import (
    LEASE_NAME,
    SessionLease,
    lease_expired,
    micro_time,
    parse_micro_time,
)

from .conftest import api_for

LEASE = ("leases", "seldon-mesh", LEASE_NAME)


@pytest.mark.parametrize(
    ("spec", "now", "expired"),
    [
        ({}, 0, True),
        ({"holderIdentity": "a", "renewTime": micro_time(100), "leaseDurationSeconds": 60}, 150,
         False),
        ({"holderIdentity": "a", "renewTime": micro_time(100), "leaseDurationSeconds": 60}, 161,
         True),
        ({"holderIdentity": "", "renewTime": micro_time(100), "leaseDurationSeconds": 60}, 101,
         True),
    ],
)  # fmt: skip
def test_lease_expiry(spec, now, expired):
    assert lease_expired({"spec": spec}, now) is expired


def test_micro_time_round_trips():
    assert parse_micro_time(micro_time(1764000000.25)) == 1764000000.25


def holder(served) -> str | None:
    """Who holds the session Lease on the served twin (None: no Lease)."""
    lease = served.live.log.get(LEASE)
    return None if lease is None else lease["spec"]["holderIdentity"]


def test_a_second_session_waits_until_the_first_releases(served):
    first = SessionLease(api_for(served), holder="gw0", poll=0.05)
    second = SessionLease(api_for(served), holder="gw1", poll=0.05)
    first.acquire(timeout=1)
    assert holder(served) == "gw0"
    assert second.try_acquire() == "gw0"

    threading.Timer(0.3, first.release).start()
    started = time.monotonic()
    second.acquire(timeout=5)

    assert time.monotonic() - started >= 0.25
    assert holder(served) == "gw1"
    second.release()
    assert served.live.log.get(LEASE) is None


def test_an_expired_lease_of_a_dead_session_is_taken_over(served):
    dead = SessionLease(api_for(served), holder="crashed", duration=30, clock=lambda: 1000.0)
    assert dead.try_acquire() is None
    alive = SessionLease(api_for(served), holder="next", clock=lambda: 1031.0)
    assert alive.try_acquire() is None
    assert holder(served) == "next"


def test_waiting_too_long_names_the_holder(served):
    SessionLease(api_for(served), holder="ci-job-17").try_acquire()
    with pytest.raises(ClusterError, match=r"in use by another test session \(ci-job-17"):
        SessionLease(api_for(served), holder="me", poll=0.05).acquire(timeout=0.2)


def test_existing_mode_holds_the_lease_for_the_session(served, tmp_path):
    config = str(served.write_kubeconfig(tmp_path / "kubeconfig"))
    cluster = open_kube_cluster("existing", kubeconfig=config, keep=True)
    try:
        assert holder(served) is not None
        with pytest.raises(ClusterError, match="in use by another test session"):
            open_kube_cluster("existing", kubeconfig=config, lock_timeout=0.1)
    finally:
        cluster.close()
    assert served.live.log.get(LEASE) is None
