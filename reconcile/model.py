"""The domain of reconciliation as typed, frozen values: bank lines, invoices, candidates, matches, postings.

Nothing here does I/O. Amounts are Decimal and always travel with their currency.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class BankLine:
    """One booked movement on one of our accounts, as the bank reported it.

    `line_id` is stable across re-imports of the same statement and across overlapping statements
    (see `make_line_id`); `bank_ref` is the bank's own id of the line, when it gives one.
    """

    line_id: str
    bank_ref: str | None
    account: str
    currency: str
    amount: Decimal  # signed: credits (money in) positive, debits negative
    booking_date: date
    value_date: date | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    remittance: str = ""
    structured_ref: str | None = None
    end_to_end_id: str | None = None
    bank_tx_code: str | None = None
    statement_id: str | None = None
    source_file: str = ""
    source_format: str = ""
    # What the statement itself says was taken from this credit on its way as charges, in the line's
    # currency: the payer sent `amount + reported_charges`. None when the statement reports no such charge
    # (every reader but camt's). Never part of `line_id`: it describes the line, it does not identify it.
    reported_charges: Decimal | None = None

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


def make_line_id(
    account: str,
    bank_ref: str | None,
    *,
    booking_date: date,
    amount: Decimal,
    currency: str,
    remittance: str = "",
    counterparty: str | None = None,
    occurrence: int = 0,
) -> str:
    """A stable id for a bank line: the same line read from any file of any format gets the same id.

    With a bank reference, the account, that reference, the booking date and the amount identify the line:
    two overlapping statements agree on all four, while a bank that reuses its references (Danske's
    `//nota`, a payer's own reference on every payment) cannot merge two real payments into one. Without a
    reference, the line's content identifies it, plus `occurrence` to keep apart two identical lines in the
    same statement (two equal card payments on the same day).
    """
    account_key = "".join(account.split()).upper()
    if bank_ref:
        basis = f"ref|{account_key}|{bank_ref.strip()}|{booking_date.isoformat()}|{amount.normalize():f}"
    else:
        basis = "|".join(
            [
                "content",
                account_key,
                booking_date.isoformat(),
                f"{amount.normalize():f}",
                currency.upper(),
                " ".join(remittance.split()),
                " ".join((counterparty or "").split()),
                str(occurrence),
            ]
        )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Balance:
    amount: Decimal  # signed
    currency: str
    on: date | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement (one account, one period) inside a file; a file may hold several."""

    statement_id: str | None
    account: str
    currency: str | None
    lines: tuple[BankLine, ...]
    opening: Balance | None = None
    closing: Balance | None = None
    pending_count: int = 0  # entries the bank reported but not booked (not turned into lines)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What a reader made of one file: its statements and anything a person should know about it."""

    path: str
    source_format: str
    statements: tuple[Statement, ...]
    warnings: tuple[str, ...] = ()

    @property
    def lines(self) -> list[BankLine]:
        return [line for st in self.statements for line in st.lines]


class InvoiceStatus(enum.StrEnum):
    """Flowtly's documented statuses; others are kept as strings (see flowtly.assumptions)."""

    CREATED = "created"
    EDITED = "edited"
    SENT = "sent"


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice as reconcile needs it; `open_amount` is derived (see flowtly.assumptions)."""

    iri: str
    id: int | str
    name: str
    client_name: str | None
    client_iri: str | None
    amount: Decimal
    open_amount: Decimal
    currency: str
    status: str
    due_date: date | None = None
    issue_date: date | None = None
    bank_account: str | None = None
    ksef_number: str | None = None
    client_tin: str | None = None


class Decision(enum.StrEnum):
    AUTO_POST = "auto_post"  # the engine's verdict: post without a person (the pipeline posts it)
    POSTED = "posted"  # posted to Flowtly in this run (only the pipeline says so, once Flowtly has it)
    REVIEW = "review"  # a person should look; suggestions attached
    UNMATCHED = "unmatched"  # money in, nothing plausible found
    IGNORED = "ignored"  # not ours to match: money out, zero, already posted


@dataclass(frozen=True, slots=True)
class Evidence:
    """One labelled piece of a score: which level of which comparison fired, and its weight."""

    comparison: str  # e.g. "reference"
    level: str  # e.g. "invoice number in title"
    bayes_factor: float
    detail: str = ""

    def describe(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.comparison}: {self.level}{detail}"


@dataclass(frozen=True, slots=True)
class Allocation:
    """The part of a bank line given to one invoice, in the invoice's currency: never more than it has open."""

    invoice: Invoice
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """One way to settle a bank line, scored as a whole: its allocations (one invoice, or several for a
    combined payment) and the rest of the line that none of them takes (an overpayment, reported)."""

    line_id: str
    allocations: tuple[Allocation, ...]
    probability: float
    odds: float  # probability / (1 - probability), kept because probabilities near 1 lose precision
    evidence: tuple[Evidence, ...]
    rest: Decimal = Decimal(0)

    @property
    def invoices(self) -> tuple[Invoice, ...]:
        return tuple(a.invoice for a in self.allocations)

    @property
    def label(self) -> str:
        """The invoices' numbers as a person reads them: "FV/1", or "FV/1 + FV/2" for a combined payment."""
        return " + ".join(a.invoice.name for a in self.allocations)

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal(0))

    def reasons(self) -> str:
        return "; ".join(e.describe() for e in self.evidence)


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one bank line: its allocations to post (`chosen`), or suggestions for a person."""

    line: BankLine
    decision: Decision
    chosen: ScoredCandidate | None = None
    suggestions: tuple[ScoredCandidate, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Posting:
    """An invoice-transaction we intend to create, or created, in Flowtly: the outbox's unit, one per
    allocation. Its key is (line_id, invoice_iri): a line pays an invoice once, and the transaction is found
    again on that invoice by the line's id and bank reference (see flowtly.assumptions.is_our_transaction)."""

    line_id: str
    bank_ref: str | None
    invoice_iri: str
    amount: Decimal  # in the invoice's currency
    currency: str
    booking_date: date
    state: str = "pending"  # pending | sent | posted | failed
    remote_iri: str | None = None
    attempts: int = 0
    last_error: str | None = None
    run_id: str | None = None


# -- the summary of a run: what it was given, what it decided, what it left, and why -----------------------


@dataclass(frozen=True, slots=True)
class FileRead:
    """One statement file a run was given, and what the state already knew of its lines."""

    name: str
    source_format: str = ""
    lines: int = 0
    new_lines: int = 0  # lines no earlier file or run had stored
    already_posted: int = 0  # posted by an earlier run: listed, never posted again
    posting_in_progress: int = 0  # in the outbox of an earlier run, finished before anything else
    imported_before: str | None = None  # the run that first imported this same content
    imported_at: str | None = None
    imported_as: str | None = None  # the file's name then
    same_as: str | None = None  # not read: the same content as this file, read earlier in this run

    @property
    def decided(self) -> int:
        """Lines this run decides (again, for a file imported before): all but those posted or posting."""
        return self.lines - self.already_posted - self.posting_in_progress


@dataclass(frozen=True, slots=True)
class EarlierLines:
    """Lines an earlier run stored and left undecided (it was stopped or cut off), decided by this run."""

    run_id: str | None  # None: the run is no longer known
    started_at: str | None
    lines: int


@dataclass(frozen=True, slots=True)
class Undecided:
    """A stored bank line this run did not decide, and why; it stays `new` and the next run decides it."""

    line: BankLine
    reason: str


@dataclass(frozen=True, slots=True)
class Total:
    """How many lines, and their sum in each currency (amount as text, exact). Lines of one kind only, so
    money in and money out are never netted into one figure."""

    count: int = 0
    amounts: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RunSummary:
    """What one run did, counted and summed per decision in each currency; written to summary.json.

    A run that stops working with Flowtly (`stopped`) still reports what it read and decided, and which
    lines it left undecided (`undecided`) for the next run.
    """

    run_id: str
    dry_run: bool
    report_dir: str = ""
    files_read: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)  # the same content given twice: read once
    files: list[FileRead] = field(default_factory=list)  # every file given, read or skipped
    earlier_lines: list[EarlierLines] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # decision -> currency -> amount, for the decisions on money in (posted, review, unmatched); ignored
    # lines are summed per kind in `ignored`, since they mix money in and money out
    amounts: dict[str, dict[str, str]] = field(default_factory=dict)
    ignored: dict[str, Total] = field(default_factory=dict)  # kind (money_out, already_posted...) -> total
    undecided: Total = field(default_factory=Total)
    open_invoices: int | None = None  # None: not fetched (nothing to match, or Flowtly stopped answering)
    postings_failed: int = 0
    stopped: str | None = None  # why the run stopped working with Flowtly before its end

    @property
    def needs_attention(self) -> bool:
        return bool(self.errors) or self.postings_failed > 0 or self.stopped is not None

    @property
    def status(self) -> str:
        """stopped (Flowtly stopped answering), attention (something to look at) or done."""
        if self.stopped is not None:
            return "stopped"
        return "attention" if self.needs_attention else "done"
