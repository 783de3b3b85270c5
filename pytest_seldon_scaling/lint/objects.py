"""Rules on the objects themselves, before any autoscaling: names that collide, annotations."""

from __future__ import annotations

from collections.abc import Iterator

from ..manifests import Manifest
from ..setup import Setup
from .findings import Finding, finding

IGNORE_ANNOTATION = "pytest-seldon-scaling/ignore"


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


def check_ignore_annotations(setup: Setup) -> Iterator[Finding]:
    """A ``pytest-seldon-scaling/ignore`` annotation naming no rule.

    The entry suppresses nothing (a typo such as ``SCL0013`` or a retired name), so the
    finding it was meant to silence still shows, or the annotation hides a rule it does not
    say. Entries are rule IDs or names, comma separated, or ``all``.
    """
    from .registry import BY_NAME, RULES  # the registry imports this module

    for manifest in setup.manifests:
        annotations = (manifest.obj.get("metadata") or {}).get("annotations") or {}
        text = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
        if text is None:
            continue
        entries = [e.strip() for e in str(text).replace(" ", ",").split(",") if e.strip()]
        unknown = [
            e for e in entries if e.lower() != "all" and e.upper() not in RULES and e not in BY_NAME
        ]
        if unknown or not entries:
            yield finding(
                "SCL022",
                manifest,
                ("metadata", "annotations", IGNORE_ANNOTATION),
                f"{IGNORE_ANNOTATION} names {', '.join(unknown) or 'nothing'}, which is no rule: "
                "it suppresses nothing",
                "name rule IDs or names (seldon-scaling lint --list-rules), comma separated",
            )
