"""Money as Decimal, with the number of decimals each currency really has.

Floats never carry an amount here: they appear only when JSON is written, after rounding to the
currency's minor unit, and are turned back into Decimal through their shortest string.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

# ISO 4217 minor units that differ from 2. Anything not listed has 2 decimals.
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


@lru_cache(maxsize=256)
def quantum(currency: str) -> Decimal:
    """The currency's smallest amount (0.01 for EUR), built once per currency: every amount is rounded by it."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, banker's rounding as ledgers do."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def parse_amount(text: str | int | float | Decimal) -> Decimal:
    """Read an amount from text or a JSON number without passing through binary floating point.

    A float (from JSON) is read through repr(), its shortest round-tripping string, so 0.1 stays 0.1.
    """
    if isinstance(text, Decimal):
        return text
    if isinstance(text, bool):
        raise ValueError(f"not an amount: {text!r}")
    if isinstance(text, float):
        text = repr(text)
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


def to_json_number(amount: Decimal, currency: str) -> float:
    """The JSON boundary: a float rounded to the currency's decimals (the only place floats appear)."""
    return float(quantize(amount, currency))


def format_amount(amount: Decimal, currency: str) -> str:
    """Human form for reports: 1,234.50 EUR."""
    q = quantize(amount, currency)
    return f"{q:,.{minor_units(currency)}f} {currency}"


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimals than the currency allows."""
    return quantize(amount, currency) == amount
