"""Rules on the objects themselves, before any autoscaling: names that collide."""

from __future__ import annotations

from collections.abc import Iterator

from ..manifests import Manifest
from ..setup import Setup
from .findings import Finding, finding


def check_duplicates(setup: Setup) -> Iterator[Finding]:
    """Two objects of one kind with the same name (and namespace) in one setup.

    Applied together, the later one replaces the earlier (``kubectl apply`` keeps one object
    per kind, namespace and name): the first object's settings silently never take effect, and
    lint would judge a setup the cluster never runs.
    """
    seen: dict[tuple[str, str, str | None, str], Manifest] = {}
    for manifest in setup.manifests:
        if not manifest.kind or manifest.is_helm_values or not manifest.name:
            continue
        key = (manifest.api_version.split("/")[0], manifest.kind, manifest.namespace, manifest.name)
        first = seen.setdefault(key, manifest)
        if first is manifest:
            continue
        yield finding(
            "SCL021",
            manifest,
            "metadata.name",
            f"{manifest.display} is defined twice (first at {first.where('metadata.name')}): "
            "applied together, this one replaces the first",
            "rename one of them, or keep one definition",
        )
