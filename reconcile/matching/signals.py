"""The conditions a rules file may name, each one unit: its name, parameters, condition and explanation.

A signal's condition is a polars expression over the pair table (one row per bank line and candidate
invoice, columns below), so a whole batch is scored at once; its explanation turns one pair into the words
a report shows, and is only ever called for the pairs a report shows. The rules loader checks a level's
`when` and parameters against this registry, and the scorer builds its expressions from it: there is no
second list to keep in step.

Pair table columns a condition may use:
    ref_kind         the strongest reference to the invoice found in the title, or null:
                     "ksef", "creditor_reference", "invoice_number", "invoice_number_loose",
                     "invoice_number_near" (reconcile.matching.reference_join.REF_STRENGTH); for a
                     combined payment whose title names some of its invoices only, PARTLY_NAMED
    line_currency    the bank line's currency      invoice_currency  the invoice's currency
    line_units       the line's amount and         open_units        the invoice's open amount, both in
                     ten-thousandths (exact integers: money is never a float here)
    charge_units     what the statement says charges took from the line on its way (camt Chrgs, or an
                     instructed amount above the amount booked), in the same units; null when it says nothing
    name_similarity  0..1, null when either name is missing
    name_level       the payer/client name level of reconcile.matching.names (NAME_LEVELS)
    payer            the payer's name on the line (or, without one, the name its title writes after a payer
                     label; for a client the rules call it an alias of, the client's name), null or "" when
                     there is none
    booking_date     the line's booking date   issue_date, due_date  the invoice's (null when unknown)
    iban_level       what was learned of the payer's IBAN for the invoice's client: "learned",
                     "learned_shared", "learned_other" or null (reconcile.matching.payers)
    iban_count       how often that IBAN was confirmed for this client
    virtual_account  whether the money reached a virtual account of the invoice's client
    named_elsewhere  how many invoices the title names that the option leaves out

A combined payment (one line, several invoices) is scored by the same conditions on one row: its open
amount is the sum of its invoices', and its reference is the weakest of theirs (null unless all are named).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from reconcile.matching.names import DIFFERS_IN_NUMBER, DIFFERS_IN_WORD, MISSING, RESEMBLES, SAME, TRUNCATED
from reconcile.matching.payers import LEARNED, LEARNED_OTHER, LEARNED_SHARED
from reconcile.money import format_amount

# Amounts in the pair table are integers of this many units per currency unit: exact for every ISO 4217
# currency (at most 3 decimals) and for amounts up to about 900 billion.
UNITS = 10_000

# The kinds of parameter a level may give, checked by the rules loader:
FRACTION = "fraction"  # a number 0..1
DAYS = "days"  # a whole number of days, 0..3650
MONEY_RANGES = "money ranges"  # per currency, [least, most]: { EUR = ["0.50", "35.00"] }
MONEY_LIMITS = "money limits"  # per currency, at most: { EUR = "50.00" }

Params = Mapping[str, Any]

PARTLY_NAMED = "partly_named"  # the ref_kind of a combined payment whose title names some of its invoices


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
    booking_date: date | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payer_iban: str | None = None
    payer_alias: bool = False  # the rules call the payer's name an alias of the client ([[alias]])


def _explain_reference(pair: PairView) -> str:
    return f"'{pair.reference_text}' ~ {pair.invoice_name}" if pair.reference_text else ""


def _explain_amount(pair: PairView) -> str:
    paid = format_amount(pair.line_amount, pair.line_currency)
    return f"{paid} paid, {format_amount(pair.open_amount, pair.invoice_currency)} open"


def _explain_account(pair: PairView) -> str:
    return f"from {pair.payer_iban}" if pair.payer_iban else ""


def _iban(level: str) -> Callable[[Params], pl.Expr]:
    return lambda p: pl.col("iban_level").eq(level).fill_null(False)


def _explain_payer(pair: PairView) -> str:
    if not pair.payer or not pair.client_name or pair.name_similarity is None:
        return ""
    if pair.payer_alias:
        return f"'{pair.payer}' pays for '{pair.client_name}': an alias in the rules"
    return f"'{pair.payer}' ~ '{pair.client_name}', {pair.name_similarity:.0%}"


@dataclass(frozen=True, slots=True)
class Signal:
    """A condition a level of a comparison can name in `when`."""

    name: str
    params: Mapping[str, str]  # each parameter the level must give, and its kind (FRACTION, DAYS...)
    condition: Callable[[Params], pl.Expr]
    explain: Callable[[PairView], str]  # the detail shown beside the level that fired
    description: str


def _reference(kind: str) -> Callable[[Params], pl.Expr]:
    return lambda p: pl.col("ref_kind").eq(kind).fill_null(False)


def _name(*levels: str) -> Callable[[Params], pl.Expr]:
    return lambda p: pl.col("name_level").is_in(list(levels)).fill_null(False)


def _same_currency() -> pl.Expr:
    return pl.col("line_currency") == pl.col("invoice_currency")


def _units_of(amount: str) -> int:
    return int(Decimal(amount) * UNITS)


def _per_currency(table: Mapping[str, Any], value: Callable[[Any], pl.Expr]) -> pl.Expr:
    """An expression that takes, on each row, the value given for the row's currency (false when none)."""
    expr: pl.Expr = pl.lit(False)
    for currency, given in table.items():
        expr = pl.when(pl.col("line_currency") == currency).then(value(given)).otherwise(expr)
    return expr


def _within(p: Params) -> pl.Expr:
    # |paid - open| <= open * tolerance, in integers: the tolerance counted in millionths; and at most the
    # amount `at_most` gives for the currency (none given: no cap).
    millionths = round(p["tolerance"] * 1_000_000)
    gap = (pl.col("line_units") - pl.col("open_units")).abs()
    capped = pl.lit(True)
    if p["at_most"]:
        capped = _per_currency(p["at_most"], lambda most: gap <= _units_of(most)) | ~pl.col(
            "line_currency"
        ).is_in(list(p["at_most"]))
    return (
        _same_currency()
        & (pl.col("open_units") > 0)
        & (gap * 1_000_000 <= pl.col("open_units") * millionths)
        & capped
    )


def _overpaid(p: Params) -> pl.Expr:
    # More than the open amount by at most `tolerance` of it (in millionths, in integers), and no other
    # invoice named in the title that the rest could be paying.
    millionths = round(p["tolerance"] * 1_000_000)
    over = pl.col("line_units") - pl.col("open_units")
    within = (over > 0) & (over * 1_000_000 <= pl.col("open_units") * millionths)
    return _same_currency() & within & (pl.col("named_elsewhere") == 0)


def _charges_reported(p: Params) -> pl.Expr:
    # The payment plus the charges its own statement reports were taken from it is the open amount, exactly.
    paid_before_charges = pl.col("line_units") + pl.col("charge_units")
    return (_same_currency() & (paid_before_charges == pl.col("open_units"))).fill_null(False)


def _fee_deducted(p: Params) -> pl.Expr:
    # Short of the open amount by what a bank in the payment's chain takes, as configured per currency.
    short = pl.col("open_units") - pl.col("line_units")
    in_range = _per_currency(
        p["fees"], lambda pair: short.is_between(_units_of(pair[0]), _units_of(pair[1]))
    )
    return _same_currency() & (pl.col("line_units") > 0) & in_range


def _paid_before_issue(p: Params) -> pl.Expr:
    grace = pl.duration(days=int(p["grace_days"]))
    return (pl.col("booking_date") < pl.col("issue_date") - grace).fill_null(False)


def _paid_late(p: Params) -> pl.Expr:
    late = pl.duration(days=int(p["days"]))
    return (pl.col("booking_date") > pl.col("due_date") + late).fill_null(False)


def _explain_date(pair: PairView) -> str:
    parts = [f"booked {pair.booking_date}"] if pair.booking_date else []
    if pair.issue_date:
        parts.append(f"issued {pair.issue_date}")
    if pair.due_date:
        parts.append(f"due {pair.due_date}")
    return ", ".join(parts)


_NONE: Mapping[str, str] = {}

_SIGNALS = (
    Signal("ksef_number", _NONE, _reference("ksef"), _explain_reference,
           "the invoice's KSeF number, with a valid checksum, in the title"),
    Signal("creditor_reference", _NONE, _reference("creditor_reference"), _explain_reference,
           "a structured creditor reference (RF, OGM, QR, Finnish, KID, FIK) whose check digit holds, built on "
           "the invoice's number"),
    Signal("invoice_number", _NONE, _reference("invoice_number"), _explain_reference,
           "the invoice's number in the title, as written or with other separators"),
    Signal("invoice_number_loose", _NONE, _reference("invoice_number_loose"), _explain_reference,
           "the invoice's number in the title with leading zeros dropped or added, or without its prefix word"),
    Signal("invoice_number_near", _NONE, _reference("invoice_number_near"), _explain_reference,
           "the title holds the invoice's number but for one character (wrong, or the last cut off); only "
           "when no other open invoice is that close and the amount agrees"),
    Signal("some_invoices_named", _NONE, _reference(PARTLY_NAMED), _explain_reference,
           "the title names some of the invoices of a combined payment, not all"),
    Signal("currency_differs", _NONE, lambda p: ~_same_currency(), _explain_amount,
           "the payment's currency is not the invoice's"),
    Signal("amount_exact", _NONE, lambda p: _same_currency() & (pl.col("line_units") == pl.col("open_units")),
           _explain_amount, "the payment equals the open amount (of all the invoices, for a combined payment)"),
    Signal("amount_charges_reported", _NONE, _charges_reported, _explain_amount,
           "the payment plus the charges its statement reports were taken from it on the way equals the open "
           "amount"),
    Signal("amount_fee_deducted", {"fees": MONEY_RANGES}, _fee_deducted, _explain_amount,
           "the payment is short of the open amount by a bank's fee, within `fees` for its currency"),
    Signal("amount_within", {"tolerance": FRACTION, "at_most": MONEY_LIMITS}, _within, _explain_amount,
           "the payment is within `tolerance` (a fraction) of the open amount, and at most `at_most` away "
           "in its currency (a currency not listed: no cap)"),
    Signal("amount_below_open", _NONE, lambda p: _same_currency() & (pl.col("line_units") < pl.col("open_units")),
           _explain_amount, "the payment is less than the open amount (a part payment)"),
    Signal("amount_overpaid", {"tolerance": FRACTION}, _overpaid, _explain_amount,
           "the payment is more than the open amount by at most `tolerance` (a fraction) and the title names no "
           "other invoice: the invoice is paid in full and the rest is left unallocated, for a person"),
    Signal("amount_above_open", _NONE, lambda p: _same_currency() & (pl.col("line_units") > pl.col("open_units")),
           _explain_amount, "the payment is more than the open amount"),
    Signal("name_at_least", {"threshold": FRACTION},
           lambda p: pl.col("name_similarity").ge(p["threshold"]).fill_null(False), _explain_payer,
           "the payer's name resembles the client's at least `threshold` (0..1)"),
    Signal("name_same", _NONE, _name(SAME), _explain_payer,
           "the payer's name is the client's (legal forms, case, accents and word order aside)"),
    Signal("name_truncated", _NONE, _name(TRUNCATED), _explain_payer,
           "the payer's name is the start of the client's, where banks cut names (18 to 35 characters)"),
    Signal("name_resembles", _NONE, _name(RESEMBLES), _explain_payer,
           "the payer's name resembles the client's (a typo, a word more or less)"),
    Signal("name_differs", _NONE, _name(DIFFERS_IN_NUMBER, DIFFERS_IN_WORD), _explain_payer,
           "the names are alike but for a number or a distinctive word: another payer (partner_1, partner_3)"),
    Signal("name_missing", _NONE, lambda p: pl.col("name_level").fill_null(MISSING).eq(MISSING), _explain_payer,
           "the bank line carries no payer name, or the invoice no client name"),
    Signal("virtual_account", _NONE, lambda p: pl.col("virtual_account").fill_null(False), _explain_account,
           "the money reached a virtual account that only this client's invoices carry"),
    Signal("iban_learned", _NONE, _iban(LEARNED), _explain_account,
           "the payer's IBAN was confirmed for this client before, and for no other"),
    Signal("iban_learned_shared", _NONE, _iban(LEARNED_SHARED), _explain_account,
           "the payer's IBAN was confirmed for this client before, and for other clients too"),
    Signal("iban_other_client", _NONE, _iban(LEARNED_OTHER), _explain_account,
           "the payer's IBAN was confirmed only for other clients before"),
    Signal("paid_before_issue", {"grace_days": DAYS}, _paid_before_issue, _explain_date,
           "the payment was booked more than `grace_days` before the invoice was issued"),
    Signal("paid_late", {"days": DAYS}, _paid_late, _explain_date,
           "the payment was booked more than `days` after the invoice was due"),
)  # fmt: skip

SIGNALS: dict[str, Signal] = {signal.name: signal for signal in _SIGNALS}
