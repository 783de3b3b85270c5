"""Kubernetes resource quantities (``"3"``, ``"500m"``, ``"100Ki"``, ``"1.5G"``, ``"1e3"``).

The HPA works on milli-units (``Quantity.MilliValue()``, rounded up) and Core 2 on bytes
(``Quantity.Value()``, rounded up); both are exact here because parsing goes through
:class:`fractions.Fraction`, never through a float.

Kubernetes keeps any exponent that fits an int32, but ``Value()``/``MilliValue()`` are int64 and
overflow beyond; a value that large (or a number with more digits than any real quantity) is
refused here, so ``1e99999999`` is an error instead of a ten-million-digit integer. Tiny values
round up to 1n, as ``ParseQuantity`` does (k8s.io/apimachinery ``pkg/api/resource/quantity.go``).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"(?:(?P<exp>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity."""


class QuantityRangeError(QuantityError):
    """A quantity too large for the int64 that ``Value()`` returns."""


MAX_DIGITS = 64
# Value() is an int64: nothing a Server, Model or HPA holds comes near it
_LARGEST = Fraction(2**63 - 1)
_NANO = Fraction(1, 10**9)


def parse_quantity(value: str | int | float | Fraction) -> Fraction:
    """Return the exact value of a quantity as a fraction of base units."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{value!r} is not a quantity")
        return Fraction(repr(value))
    text = str(value).strip()
    match = _QUANTITY.match(text) if len(text) <= MAX_DIGITS else None
    if match is None:
        if len(text) > MAX_DIGITS:
            raise QuantityError(
                f"{text[:20]!r}... is not a quantity (over {MAX_DIGITS} characters)"
            )
        raise QuantityError(f"{value!r} is not a quantity (expected e.g. 3, 500m, 100Ki, 1.5G)")
    number = Fraction(match["number"])
    if match["exp"]:
        exponent = int(match["exp"][1:])
        digits = len(match["number"].split(".")[0].lstrip("0"))
        if number and digits + exponent > 19:
            raise QuantityRangeError(f"{value!r} is out of range (beyond what an int64 can hold)")
        # smaller than 1n: rounds up to 1n (checked before building a huge denominator)
        number = _NANO if number and exponent < -30 else number * Fraction(10) ** exponent
    suffix = match["suffix"] or ""
    number *= _BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix]
    if abs(number) > _LARGEST:
        raise QuantityRangeError(f"{value!r} is out of range (beyond what an int64 can hold)")
    return -number if match["sign"] == "-" else number


def milli_value(value: str | int | float | Fraction) -> int:
    """``Quantity.MilliValue()``: the value in thousandths, rounded up."""
    if isinstance(value, float) and math.isfinite(value):
        # every HPA sync reads its metric as a float: a float's repr times 1000 has at most 21
        # digits, so Decimal (C, 28 digits) is as exact as the Fraction and several times faster
        return math.ceil(Decimal(repr(value)) * 1000)
    if isinstance(value, (str, int)):
        return _milli_value_as_written(value)
    return math.ceil(parse_quantity(value) * 1000)


# HPA targets are re-read on every sync: a quantity as written (text or integer) determines
# its value, and the exact Fraction arithmetic is slow
@functools.lru_cache(maxsize=4096)
def _milli_value_as_written(value: str | int) -> int:
    return math.ceil(parse_quantity(value) * 1000)


def integer_value(value: str | int | float | Fraction) -> int:
    """``Quantity.Value()``: the value in whole units (bytes for memory), rounded up."""
    return math.ceil(parse_quantity(value))
