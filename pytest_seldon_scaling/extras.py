"""Optional extras: which import each one brings, and the one-line error when one is missing.

The core install runs the twin (pytest, pyyaml, SimPy); real clusters and real load need the
extras below. A run that asks for them without the extra stops before any test with the
``pip install`` line that fixes it.
"""

from __future__ import annotations

from importlib.util import find_spec

DISTRIBUTION = "pytest-seldon-scaling"
EXTRAS: dict[str, tuple[str, ...]] = {
    "kind": ("kubernetes", "tenacity", "pytest_kind"),
    "load": ("locust",),
    "plot": ("matplotlib",),
}


class MissingExtra(ImportError):
    """An optional extra is not installed; the message names it and the pip command."""


def missing_modules(*extras: str) -> dict[str, list[str]]:
    """``{extra: [modules not importable]}`` for the extras that are not (fully) installed."""
    missing = {extra: [m for m in EXTRAS[extra] if find_spec(m) is None] for extra in extras}
    return {extra: modules for extra, modules in missing.items() if modules}


def require(why: str, *extras: str) -> None:
    """Raise :class:`MissingExtra` if any of ``extras`` is missing, saying what needed it."""
    missing = missing_modules(*extras)
    if not missing:
        return
    names = ",".join(extras)
    modules = ", ".join(m for found in missing.values() for m in found)
    raise MissingExtra(
        f"{why} needs the [{names}] extra{'s' if len(extras) > 1 else ''} (missing {modules}): "
        f"pip install '{DISTRIBUTION}[{names}]'"
    )
