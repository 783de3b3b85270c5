"""Label selectors as ``labels.Parse`` reads them, and pod selection."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping

from .types import Pod

_SELECTOR_TERM = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<absent>[\w./-]+)"
    r"|(?P<key>[\w./-]+)\s*(?:(?P<op>==|!=|=)\s*(?P<value>[\w.-]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*$"
)


# Selectors are few and re-read on every sync; the matcher is a pure function of the text.
@functools.lru_cache(maxsize=4096)
def parse_selector(selector: str) -> Callable[[Mapping[str, str]], bool]:
    """A matcher for a Kubernetes label selector string; ``ValueError`` when unparsable."""
    terms: list[Callable[[Mapping[str, str]], bool]] = []
    for raw in _split_selector(selector):
        match = _SELECTOR_TERM.match(raw)
        if match is None:
            raise ValueError(f"unable to parse requirement: {raw.strip()!r}")
        if match["absent"]:
            key = match["absent"]
            terms.append(lambda labels, k=key: k not in labels)
        elif match["op"]:
            key, value, negate = match["key"], match["value"], match["op"] == "!="
            terms.append(lambda labels, k=key, v=value, n=negate: (labels.get(k) == v) != n)
        elif match["setop"]:
            key = match["key"]
            values = {v.strip() for v in match["values"].split(",") if v.strip()}
            if match["setop"] == "in":
                terms.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                terms.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        else:
            key = match["key"]
            terms.append(lambda labels, k=key: k in labels)
    return lambda labels: all(term(labels) for term in terms)


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def select_pods(pods: Iterable[Pod], selector: str) -> list[Pod]:
    """Pods the selector matches; pods without labels are taken as already selected."""
    matches = parse_selector(selector)
    return [p for p in pods if p.labels is None or matches(p.labels)]
