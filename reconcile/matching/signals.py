"""The conditions a rules file may name, each one unit: its name, parameters, condition and explanation.

A signal's condition is a polars expression over the pair table (one row per bank line and candidate
invoice, columns below), so a whole batch is scored at once; its explanation turns one pair into the words
a report shows, and is only ever called for the pairs a report shows. The rules loader checks a level's
`when` and parameters against this registry, and the scorer builds its expressions from it: there is no
second list to keep in step.

Pair table columns a condition may use:
    ref_kind         "ksef", "invoice_number", "invoice_number_loose" or null (the strongest found)
    line_currency    the bank line's currency      invoice_currency  the invoice's currency
    line_units       the line's amount and         open_units        the invoice's open amount, both in
                     ten-thousandths (exact integers: money is never a float here)
    name_similarity  0..1, null when either name is missing
    name_level       the payer/client name level of reconcile.matching.names (NAME_LEVELS)
    payer            the payer's name on the line, null or "" when the bank gave none
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from reconcile.matching.names import DIFFERS_IN_NUMBER, DIFFERS_IN_WORD, MISSING, RESEMBLES, SAME, TRUNCATED
from reconcile.money import format_amount

# Amounts in the pair table are integers of this many units per currency unit: exact for every ISO 4217
# currency (at most 3 decimals) and for amounts up to about 900 billion.
UNITS = 10_000

Params = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PairView:
    """One pair, as an explanation sees it (built only for the pairs a report shows)."""

    reference_text: str | None
    invoice_name: str
    line_amount: Decimal
    line_currency: str
    open_amount: Decimal
    invoice_currency: str
    payer: str | None
    client_name: str | None
    name_similarity: float | None


def _explain_reference(pair: PairView) -> str:
    return f"'{pair.reference_text}' ~ {pair.invoice_name}" if pair.reference_text else ""


def _explain_amount(pair: PairView) -> str:
    paid = format_amount(pair.line_amount, pair.line_currency)
    return f"{paid} paid, {format_amount(pair.open_amount, pair.invoice_currency)} open"


def _explain_payer(pair: PairView) -> str:
    if not pair.payer or not pair.client_name or pair.name_similarity is None:
        return ""
    return f"'{pair.payer}' ~ '{pair.client_name}', {pair.name_similarity:.0%}"


@dataclass(frozen=True, slots=True)
class Signal:
    """A condition a level of a comparison can name in `when`."""

    name: str
    params: tuple[str, ...]  # each a number 0..1 the level must give
    condition: Callable[[Params], pl.Expr]
    explain: Callable[[PairView], str]  # the detail shown beside the level that fired
    description: str


def _reference(kind: str) -> Callable[[Params], pl.Expr]:
    return lambda p: pl.col("ref_kind").eq(kind).fill_null(False)


def _name(*levels: str) -> Callable[[Params], pl.Expr]:
    return lambda p: pl.col("name_level").is_in(list(levels)).fill_null(False)


def _within(p: Params) -> pl.Expr:
    # |paid - open| <= open * tolerance, in integers: the tolerance counted in millionths.
    millionths = round(p["tolerance"] * 1_000_000)
    gap = (pl.col("line_units") - pl.col("open_units")).abs()
    return (pl.col("open_units") > 0) & (gap * 1_000_000 <= pl.col("open_units") * millionths)


_SIGNALS = (
    Signal("ksef_number", (), _reference("ksef"), _explain_reference,
           "the invoice's KSeF number, with a valid checksum, in the title"),
    Signal("invoice_number", (), _reference("invoice_number"), _explain_reference,
           "the invoice's number in the title, as written or with other separators"),
    Signal("invoice_number_loose", (), _reference("invoice_number_loose"), _explain_reference,
           "the invoice's number in the title with leading zeros dropped or added"),
    Signal("currency_differs", (), lambda p: pl.col("line_currency") != pl.col("invoice_currency"),
           _explain_amount, "the payment's currency is not the invoice's"),
    Signal("amount_exact", (), lambda p: pl.col("line_units") == pl.col("open_units"), _explain_amount,
           "the payment equals the open amount"),
    Signal("amount_within", ("tolerance",), _within, _explain_amount,
           "the payment is within `tolerance` (a fraction) of the open amount"),
    Signal("amount_below_open", (), lambda p: pl.col("line_units") < pl.col("open_units"), _explain_amount,
           "the payment is less than the open amount"),
    Signal("amount_above_open", (), lambda p: pl.col("line_units") > pl.col("open_units"), _explain_amount,
           "the payment is more than the open amount"),
    Signal("name_at_least", ("threshold",),
           lambda p: pl.col("name_similarity").ge(p["threshold"]).fill_null(False), _explain_payer,
           "the payer's name resembles the client's at least `threshold` (0..1)"),
    Signal("name_same", (), _name(SAME), _explain_payer,
           "the payer's name is the client's (legal forms, case, accents and word order aside)"),
    Signal("name_truncated", (), _name(TRUNCATED), _explain_payer,
           "the payer's name is the start of the client's, where banks cut names (18 to 35 characters)"),
    Signal("name_resembles", (), _name(RESEMBLES), _explain_payer,
           "the payer's name resembles the client's (a typo, a word more or less)"),
    Signal("name_differs", (), _name(DIFFERS_IN_NUMBER, DIFFERS_IN_WORD), _explain_payer,
           "the names are alike but for a number or a distinctive word: another payer (partner_1, partner_3)"),
    Signal("name_missing", (), lambda p: pl.col("name_level").fill_null(MISSING).eq(MISSING), _explain_payer,
           "the bank line carries no payer name, or the invoice no client name"),
)  # fmt: skip

SIGNALS: dict[str, Signal] = {signal.name: signal for signal in _SIGNALS}
