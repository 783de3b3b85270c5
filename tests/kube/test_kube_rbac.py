"""RBAC on an existing cluster: the shipped Role grants what the run needs, preflight asks for
each permission (SelfSubjectAccessReview) and names every missing one in one message."""

from __future__ import annotations

import pytest
import yaml

from pytest_seldon_scaling.cluster import ClusterError
from pytest_seldon_scaling.kube import PreflightFailed, open_kube_cluster
from pytest_seldon_scaling.kube.preflight import (
    CLUSTER_PERMISSIONS,
    NAMESPACE_PERMISSIONS,
    RBAC_CLUSTER_CHECK,
    permission_checks,
)
from pytest_seldon_scaling.resources import default_manifests

from .fakeapi import kubeconfig_for
from .test_kube_preflight import _install_core2

ROLE_FILE = default_manifests().parent / "rbac" / "role.yaml"


def _granted(kind: str, namespace: str | None = None) -> set[tuple[str, str, str]]:
    grants = set()
    for doc in yaml.safe_load_all(ROLE_FILE.read_text()):
        if doc["kind"] != kind or (namespace and doc["metadata"].get("namespace") != namespace):
            continue
        for rule in doc["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    grants |= {(group, resource, verb) for verb in rule["verbs"]}
    return grants


def _needed(permissions) -> set[tuple[str, str, str]]:
    return {(p.group, p.resource, verb) for p in permissions for verb in p.verbs}


def test_the_shipped_role_grants_exactly_what_preflight_checks():
    assert _granted("Role", "seldon-mesh") == _needed(NAMESPACE_PERMISSIONS)
    assert _granted("Role", "seldon-monitoring") == {("", "configmaps", "get")}
    assert _granted("ClusterRole") == _needed(CLUSTER_PERMISSIONS)
    bindings = [d for d in yaml.safe_load_all(ROLE_FILE.read_text()) if "Binding" in d["kind"]]
    assert {b["roleRef"]["name"] for b in bindings} == {
        "pytest-seldon-scaling",
        "pytest-seldon-scaling-adapter",
        "pytest-seldon-scaling-capacity",
    }


def test_preflight_names_every_missing_verb_and_resource_in_one_message(fake, tmp_path):
    _install_core2(fake)
    fake.deny("get", "pods/proxy")
    fake.deny("create", "pods/portforward", "seldon-mesh")
    fake.deny("delete", "models")
    fake.deny("list", "nodes", "")

    with pytest.raises(PreflightFailed) as failed:
        open_kube_cluster("existing", kubeconfig=kubeconfig_for(fake.url, tmp_path / "k"))

    (reason,) = [r for r in failed.value.reasons if r.startswith("rbac")]
    assert reason.startswith(
        "rbac: missing (not allowed: delete models.mlops.seldon.io in seldon-mesh, "
        "get pods/proxy in seldon-mesh, create pods/portforward in seldon-mesh; grant them"
    )
    assert "role.yaml" in reason
    assert fake.count("POST", "selfsubjectaccessreviews") > 40  # each verb asked


def test_cluster_wide_reads_are_optional_and_said_so(fake, api):
    fake.deny("list", "nodes", "")
    checks = {c.name: c for c in permission_checks(api)}
    assert checks["rbac"].ok
    assert checks[RBAC_CLUSTER_CHECK].reason == (
        "not allowed: list nodes cluster-wide (node capacity is not checked)"
    )


def test_a_denied_verb_is_a_403_naming_it_as_rbac_does(fake, make_cluster):
    fake.deny("patch", "models", "seldon-mesh")
    model = (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: iris}\n"
        "spec: {storageUri: gs://x, requirements: [sklearn]}\n"
    )
    with pytest.raises(ClusterError, match=r'HTTP 403 .*cannot patch resource "models"'):
        make_cluster(watch=False).apply(model)


def test_an_api_server_without_access_reviews_is_said_to_be_unchecked_not_refused(fake, api):
    fake.fail("POST", "selfsubjectaccessreviews", *[404] * 50)
    (check,) = permission_checks(api)
    assert (check.name, check.ok) == ("rbac-not-checked", False)
    assert check.reason.startswith("permissions not checked: ")
