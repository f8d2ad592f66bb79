"""camt.052/053/054 reader (ISO 20022 bank-to-customer cash management): booked entries become BankLines.

Streams the file with lxml, freeing entries once read, so memory stays flat on statements of millions of
entries; matches on local names, so every version from 001.02 to 001.13 (and files without a namespace) read
alike. It never expands entities or loads DTDs: xmlguard refuses such files before parsing.

Element names are those of the ISO 20022 message definitions (camt.053.001.08: Stmt/Ntry/NtryDtls/TxDtls);
comments name the bank or the sample where a quirk was met.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from reconcile.errors import MalformedStatement, UnrecognisedStatement
from reconcile.model import Balance, BankLine, ParsedFile, Statement
from reconcile.statements.base import LineIds
from reconcile.statements.xmlguard import MAX_XML_BYTES, XmlEncoding, choose_encoding, iter_end_elements

# Statement-like container -> (message format, what a person calls it). 053 statements, 052 intraday
# reports and 054 debit/credit notifications share one entry structure (Ntry).
_CONTAINERS: dict[str, tuple[str, str]] = {
    "Stmt": ("camt.053", "statement"),
    "Rpt": ("camt.052", "report"),
    "Ntfctn": ("camt.054", "notification"),
}
# The message element under Document -> the container it holds.
_MESSAGES: dict[str, str] = {
    "BkToCstmrStmt": "Stmt",
    "BkToCstmrAcctRpt": "Rpt",
    "BkToCstmrDbtCdtNtfctn": "Ntfctn",
}
# Entries read before they are deleted from the tree together (see _FileParse._entry).
_FORGET_BATCH = 256
_WATCHED = tuple(f"{{*}}{name}" for name in ("Ntry", *_CONTAINERS, *_MESSAGES))

# identify(): the camt.05x namespace, or a bank-to-customer message element, in the file's first bytes.
_NAMESPACE_RE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.\d{3}\.\d{2}")
_VERSION_RE = re.compile(r"camt\.05[234]\.\d{3}\.(\d{2})")
_MESSAGE_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:BkToCstmrStmt|BkToCstmrAcctRpt|BkToCstmrDbtCdtNtfctn)[\s>/]"
)

# The other party's name, best first (names sit at Dbtr/Nm up to version 07, at Dbtr/Pty/Nm from 08 on,
# and the ultimate party stands in when the main one has none), and its IBAN; by "is a credit".
_PARTY_NAMES = {
    credit: tuple(f"RltdPties/{who}{party}/{pty}Nm" for who in ("", "Ultmt") for pty in ("", "Pty/"))
    for credit, party in ((True, "Dbtr"), (False, "Cdtr"))
}
_PARTY_IBANS = {True: "RltdPties/DbtrAcct/Id/IBAN", False: "RltdPties/CdtrAcct/Id/IBAN"}
_BANK_TX_CODE_PATHS = (
    "BkTxCd/Domn/Cd", "BkTxCd/Domn/Fmly/Cd", "BkTxCd/Domn/Fmly/SubFmlyCd", "BkTxCd/Prtry/Cd",
)  # fmt: skip
# The paths read, relative to each element, as ISO 20022 names them. Everything else (postal addresses,
# agents, tax, card data...) is skipped without being walked: that keeps 100,000 entries fast. Chrgs is
# kept whole and read only for a credit that has it (see _reported_charges).
_ENTRY_PATHS = (
    "Amt", "CdtDbtInd", "Sts", "Sts/Cd", "Sts/Prtry", "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm",
    "AcctSvcrRef", "NtryRef", "AddtlNtryInf", *_BANK_TX_CODE_PATHS, "NtryDtls/TxDtls", "AmtDtls/InstdAmt/Amt",
    "Chrgs",
)  # fmt: skip
_TRANSACTION_PATHS = (
    "Refs/AcctSvcrRef", "Refs/EndToEndId", "AmtDtls/TxAmt/Amt", "Amt", "AmtDtls/InstdAmt/Amt", "CdtDbtInd",
    "RmtInf/Ustrd", "RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/AddtlRmtInf", "AddtlTxInf",
    *_PARTY_NAMES[True], *_PARTY_NAMES[False], *_PARTY_IBANS.values(), *_BANK_TX_CODE_PATHS, "Chrgs",
)  # fmt: skip
# Paths that may occur several times and are all read (the others: the first occurrence). Chrgs repeats up
# to version 03 (one ChargesInformation6 per charge in 02), and occurs once from 04 on.
_REPEATED = frozenset(
    {"NtryDtls/TxDtls", "RmtInf/Ustrd", "RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/AddtlRmtInf", "AddtlTxInf",
     "Chrgs"}
)  # fmt: skip
# A transaction's own amount, best first (see _FileParse._detail_amount).
_DETAIL_AMOUNTS = ("AmtDtls/TxAmt/Amt", "Amt", "AmtDtls/InstdAmt/Amt")
_BALANCE_PATHS = ("Tp/CdOrPrtry/Cd", "Amt", "CdtDbtInd", "Dt/Dt", "Dt/DtTm")
_HEADER_PATHS = ("Id", "CreDtTm", "Acct/Id/IBAN", "Acct/Id/Othr/Id", "Acct/Ccy", "FrToDt/ToDtTm")

# Amounts carry no sign in camt (ActiveOrHistoricCurrencyAndAmount, minInclusive 0): CdtDbtInd gives it.
_AMOUNT_RE = re.compile(r"\d+(?:\.\d+)?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_PLACEHOLDERS = LineIds.PLACEHOLDERS
_LONGEST_PLACEHOLDER = max(map(len, _PLACEHOLDERS))
_STATUS_PATHS = ("Sts", "Sts/Cd", "Sts/Prtry")

Fields = dict[str, list[etree._Element]]


# The paths read under one element, as a trie of qualified tags for one namespace: tag -> (key, below,
# repeats). `key` is the path when the element itself is read there ("BookgDt/Dt"; "" for a container),
# `below` the paths under it when it is walked into (Sts is both: a code up to version 03, a parent of Cd
# from 04 on), `repeats` whether every occurrence is kept (Ustrd) or only the first. Plain tuples, not a
# NamedTuple: unpacking a tuple subclass is several times slower, and this runs for every element read.
Paths = dict[str, tuple[str, "Paths | None", bool]]


class CamtReader:
    """camt.052, camt.053 and camt.054, any version, with a namespace or without."""

    format_name = "camt"

    def __init__(self, *, max_bytes: int = MAX_XML_BYTES, encodings: Mapping[str, str] | None = None) -> None:
        self.max_bytes = max_bytes
        self.encodings = dict(encodings or {})  # account -> encoding, [statements.encodings]

    def identify(self, path: Path, head: bytes) -> bool:
        """XML whose namespace or message element is camt.052/053/054; other XML (OFX 2.x) is not ours."""
        head = _as_utf8(head)
        if not head.startswith(b"<"):
            return False
        return bool(_NAMESPACE_RE.search(head) or _MESSAGE_RE.search(head))

    def parse(self, path: Path) -> ParsedFile:
        return _FileParse(path).run(self.max_bytes, choose_encoding(path, pins=self.encodings))


def _as_utf8(head: bytes) -> bytes:
    """The head without BOM or leading space, UTF-16 recoded, so the patterns can be bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    elif head[:2] in (b"<\x00", b"\x00<"):
        head = head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The paths read, as tries of qualified tags, for one namespace; a camt file uses one throughout."""

    entry: Paths
    transaction: Paths
    balance: Paths
    header: Paths
    version: int | None  # the message version, 2 for camt.053.001.02; None without a camt namespace


_VOCABULARIES: dict[str, _Vocabulary] = {}


def _vocabulary(element: etree._Element) -> _Vocabulary:
    tag = element.tag
    ns = tag[: tag.find("}") + 1] if isinstance(tag, str) else ""
    vocabulary = _VOCABULARIES.get(ns)
    if vocabulary is None:
        if len(_VOCABULARIES) > 64:  # namespaces are a handful of versions; never let odd files grow this
            _VOCABULARIES.clear()
        vocabulary = _VOCABULARIES[ns] = _Vocabulary(
            entry=_trie(_ENTRY_PATHS, ns),
            transaction=_trie(_TRANSACTION_PATHS, ns),
            balance=_trie(_BALANCE_PATHS, ns),
            header=_trie(_HEADER_PATHS, ns),
            version=int(match[1]) if (match := _VERSION_RE.search(ns)) else None,
        )
    return vocabulary


def _trie(paths: tuple[str, ...], ns: str) -> Paths:
    """Paths as a trie: "BookgDt/Dt" becomes {ns+"BookgDt": ("", {ns+"Dt": ("BookgDt/Dt", None, False)},
    False)}."""
    root: Paths = {}
    for path in paths:
        node = root
        *parents, leaf = path.split("/")
        for name in parents:
            key, below, repeats = node.get(ns + name, ("", None, False))
            if below is None:
                below = {}
                node[ns + name] = (key, below, repeats)
            node = below
        node[ns + leaf] = (path, node.get(ns + leaf, ("", None, False))[1], path in _REPEATED)
    return root


@dataclass
class _OpenStatement:
    """The statement (report, notification) being read: its header, and the lines so far."""

    element: etree._Element
    vocabulary: _Vocabulary
    path: str  # e.g. Stmt[2]: the element and its 1-based place among the file's statements
    source_format: str
    statement_id: str | None
    account: str
    currency: str | None
    opening: Balance | None
    closing: Balance | None
    fallback_date: tuple[date, str] | None  # for entries that give no date at all
    lines: list[BankLine] = field(default_factory=list)
    entries: int = 0
    pending: int = 0
    undated: int = 0


@dataclass(slots=True)
class _Entry:
    """What an Ntry says, before it is split into lines."""

    where: str  # element path, e.g. Stmt[1]/Ntry[3]
    element: etree._Element  # for its line, should a message need it
    fields: Fields  # for what only some lines need (the entry's bank transaction code)
    amount: Decimal  # signed
    currency: str
    credit: bool
    booking_date: date
    value_date: date | None
    ref: str | None  # AcctSvcrRef, else NtryRef
    info: str | None  # AddtlNtryInf

    @property
    def place(self) -> str:
        return f"line {_line_of(self.element)}, element {self.where}"


@dataclass(slots=True)
class _Detail:
    """What one NtryDtls/TxDtls says about itself."""

    fields: Fields
    entry: _Entry
    number: int  # 1-based place among the entry's transactions
    amount: Decimal | None = None  # signed, in the entry's currency; None when it gives none in it
    credit: bool | None = None

    @property
    def where(self) -> str:
        """The element path, e.g. Stmt[1]/Ntry[3]/TxDtls[2] (built only for a message)."""
        return f"{self.entry.where}/TxDtls[{self.number}]"


class _FileParse:
    """One pass over one file; holds what must persist between streamed elements."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.source_file = str(path)
        self.ids = LineIds()
        self.warnings: list[str] = []
        self.statements: list[Statement] = []
        self.current: _OpenStatement | None = None
        self.containers = 0
        self.message_format: str | None = None
        self.created: date | None = None  # GrpHdr/CreDtTm, the last date to fall back on
        self.dates: dict[str, date] = {}  # a statement has few distinct dates: parse each once

    def run(self, max_bytes: int, encoding: XmlEncoding) -> ParsedFile:
        if encoding.warning:
            self.warnings.append(encoding.warning)
        elements = iter_end_elements(self.path, _WATCHED, max_bytes=max_bytes, encoding=encoding.override)
        for tag, element in elements:
            local = tag[tag.rfind("}") + 1 :]
            if local == "Ntry":
                self._entry(element)
            elif local in _CONTAINERS:
                self._end_container(element)
            else:
                self._end_message(element)
        if self.message_format is None:
            raise UnrecognisedStatement(
                self.path,
                "not a camt.052/053/054 bank-to-customer message (no BkToCstmrStmt, BkToCstmrAcctRpt or "
                "BkToCstmrDbtCdtNtfctn element)",
            )
        return ParsedFile(
            path=str(self.path),
            source_format=self.message_format,
            statements=tuple(self.statements),
            warnings=tuple(self.warnings),
        )

    # -- containers and messages --------------------------------------------------------------------

    def _statement_for(self, container: etree._Element) -> _OpenStatement:
        if self.current is None or self.current.element is not container:
            self.current = self._open(container)
        return self.current

    def _end_container(self, element: etree._Element) -> None:
        if not _is_container(element):
            return  # an element that merely shares the name, elsewhere in the message
        self._close(self._statement_for(element))
        self.current = None
        _forget(element)

    def _end_message(self, element: etree._Element) -> None:
        local = _local(element)
        kind = _MESSAGES[local]
        fmt, what = _CONTAINERS[kind]
        self.message_format = self.message_format or fmt
        if not self.statements:
            raise MalformedStatement(
                self.path,
                f"the {fmt} message holds no {what} ({kind}); the export may be incomplete — "
                "ask the bank for it again",
                place=f"line {element.sourceline}, element {local}",
            )

    def _open(self, container: etree._Element) -> _OpenStatement:
        """Read a container's header (Id, Acct, Bal...), at its first entry's end or its own."""
        self.containers += 1
        kind = _local(container)
        where = f"{kind}[{self.containers}]"
        message = container.getparent()
        assert message is not None  # the callers checked: containers sit under a message element
        fmt = _CONTAINERS[kind][0]
        self.message_format = self.message_format or fmt
        if self.created is None:
            self.created = self._created(message)
        vocabulary = _vocabulary(container)
        # Only the header and (at most) the first entry exist yet: the entries are streamed afterwards.
        header = _fields(container, vocabulary.header)
        balances = [child for child in container if _local(child) == "Bal"]
        account = _account(header)
        if account is None:
            raise MalformedStatement(
                self.path,
                "the statement does not say which account it is for (no Acct/Id/IBAN or Acct/Id/Othr/Id)",
                place=f"line {container.sourceline}, element {where}",
            )
        opening, closing = self._balances(balances, vocabulary, where)
        return _OpenStatement(
            element=container,
            vocabulary=vocabulary,
            path=where,
            source_format=fmt,
            statement_id=_text(header, "Id"),
            account=account,
            currency=_text(header, "Acct/Ccy"),
            opening=opening,
            closing=closing,
            fallback_date=self._fallback_date(header, closing),
        )

    def _close(self, st: _OpenStatement) -> None:
        if st.undated:
            assert st.fallback_date is not None
            on, source = st.fallback_date
            self.warnings.append(
                f"{self.name}, {st.path}: {st.undated} entr{'y gives' if st.undated == 1 else 'ies give'} "
                f"no booking or value date; the statement's date {on.isoformat()} ({source}) was used"
            )
        # Without Acct/Ccy, what was booked says the currency best: genkgo's hand-made samples mix balance
        # currencies (an EUR opening, a SEK closing) on one account.
        balance = st.opening or st.closing
        booked = st.lines[0].currency if st.lines else None
        self.statements.append(
            Statement(
                statement_id=st.statement_id,
                account=st.account,
                currency=st.currency or booked or (balance.currency if balance else None),
                lines=tuple(st.lines),
                opening=st.opening,
                closing=st.closing,
                pending_count=st.pending,
            )
        )

    def _balances(
        self, balances: list[etree._Element], vocabulary: _Vocabulary, where: str
    ) -> tuple[Balance | None, Balance | None]:
        """Opening = OPBD (else PRCD, the previous closing), closing = CLBD; other types are not booked."""
        found: dict[str, Balance] = {}
        for number, bal in enumerate(balances, start=1):
            fields = _fields(bal, vocabulary.balance)
            code = _text(fields, "Tp/CdOrPrtry/Cd")
            if code not in ("OPBD", "PRCD", "CLBD") or code in found:
                continue
            place = f"{where}/Bal[{number}]"
            amount, currency = self._amount(fields, "Amt", place)
            # Deutsche Bank's camt.053.001.08 omits CdtDbtInd on balances (Subite-eu samples): positive.
            credit = self._credit(fields, bal, place, default=True)
            on = self._date(fields, "Dt/Dt", "Dt/DtTm", place)
            found[code] = Balance(amount if credit else -amount, currency, on)
        return found.get("OPBD") or found.get("PRCD"), found.get("CLBD")

    def _fallback_date(self, header: Fields, closing: Balance | None) -> tuple[date, str] | None:
        """The date for entries that give none: Deutsche Bank's LT exports have no BookgDt/ValDt at all."""
        if closing is not None and closing.on is not None:
            return closing.on, "its closing balance date"
        for key, source in (("FrToDt/ToDtTm", "the end of its period"), ("CreDtTm", "its creation date")):
            on = _lenient_date(_text(header, key))
            if on is not None:
                return on, source
        if self.created is not None:
            return self.created, "the message's creation date"
        return None

    def _created(self, message: etree._Element) -> date | None:
        for child in message:
            if _local(child) == "GrpHdr":
                for item in child:
                    if _local(item) == "CreDtTm":
                        return _lenient_date(item.text)
        return None

    # -- entries ------------------------------------------------------------------------------------

    def _entry(self, ntry: etree._Element) -> None:
        container = ntry.getparent()
        st = self.current
        if st is None or st.element is not container:
            if container is None or not _is_container(container):
                raise MalformedStatement(
                    self.path, "an entry (Ntry) stands outside any statement", place=f"line {ntry.sourceline}"
                )
            st = self.current = self._open(container)
        st.entries += 1
        self._read_entry(ntry, st)
        ntry.clear()
        # Read entries are deleted from the statement a batch at a time (with what precedes them: its
        # header was read when it opened): one slice deletion costs less than one per entry, and a batch
        # of emptied elements is a few kilobytes.
        if st.entries % _FORGET_BATCH == 0:
            del container[: container.index(ntry)]

    def _read_entry(self, ntry: etree._Element, st: _OpenStatement) -> None:
        vocabulary = st.vocabulary
        fields = _fields(ntry, vocabulary.entry)
        status = _status(fields)
        # Only booked entries are movements; PDNG/INFO/FUTR announce them. Deutsche Bank's LT camt.053
        # omits Sts altogether (Subite-eu samples): a statement's entries are booked.
        if status is not None and status.upper() != "BOOK":
            st.pending += 1
            return
        entry = self._entry_header(ntry, fields, st)
        details: list[_Detail] = []
        transaction_paths = vocabulary.transaction
        for tx in fields.get("NtryDtls/TxDtls", ()):  # of every NtryDtls (it may repeat), in order
            detail = _Detail(_fields(tx, transaction_paths), entry, len(details) + 1)
            self._detail_amount(detail, entry)
            details.append(detail)
        if len(details) == 1 and details[0].amount in (None, entry.amount):  # most entries: one payment
            st.lines.append(self._line(entry, details, entry.amount, entry.credit, entry.ref, st))
        else:
            st.lines.extend(self._split(entry, details, st))

    def _entry_header(self, ntry: etree._Element, fields: Fields, st: _OpenStatement) -> _Entry:
        where = f"{st.path}/Ntry[{st.entries}]"
        if "Amt" not in fields:
            raise MalformedStatement(
                self.path, "the entry has no amount (Amt)", place=f"line {ntry.sourceline}, element {where}"
            )
        # The well-formed common case first; the full checks say what is wrong otherwise.
        amount, currency = _plain_amount(fields["Amt"][0]) or self._amount(fields, "Amt", where)
        credit = _plain_credit(fields)
        if credit is None:
            credit = self._credit(fields, ntry, where)
        value = self._date(fields, "ValDt/Dt", "ValDt/DtTm", where)
        # BookgDt is optional in every camt version: the value date is next best, then the statement's.
        booking = self._date(fields, "BookgDt/Dt", "BookgDt/DtTm", where) or value
        if booking is None:
            if st.fallback_date is None:
                raise MalformedStatement(
                    self.path,
                    "the entry has no booking date (BookgDt) or value date (ValDt), and the statement gives "
                    "no date to fall back on",
                    place=f"line {ntry.sourceline}, element {where}",
                )
            booking = st.fallback_date[0]
            st.undated += 1
        # RvslInd (a reversal) needs nothing here: CdtDbtInd already carries the sign the bank booked.
        # (Positional: this runs once per entry, and keyword arguments cost a look-up each.)
        return _Entry(
            where,
            ntry,
            fields,
            amount if credit else -amount,
            currency,
            credit,
            booking,
            value,
            _reference(fields, "AcctSvcrRef") or _reference(fields, "NtryRef"),
            _reference(fields, "AddtlNtryInf"),
        )

    def _detail_amount(self, detail: _Detail, entry: _Entry) -> None:
        """The transaction's own amount in the entry's currency: TxAmt (v2-v13), Amt (v4+), else InstdAmt.

        A detail amount in another currency (an FX payment's instructed amount; genkgo's v4/v8 samples give
        "0 SEK" on an EUR entry) says nothing about what was booked here, so it is not used.
        """
        fields = detail.fields
        if "CdtDbtInd" in fields:
            detail.credit = _plain_credit(fields)
            if detail.credit is None:
                detail.credit = self._credit(fields, None, detail.where)
        for key in _DETAIL_AMOUNTS:
            elements = fields.get(key)
            if elements and (elements[0].get("Ccy") or "").strip() == entry.currency:
                plain = _plain_amount(elements[0])
                if plain is None or plain[1] != entry.currency:  # malformed, or Ccy=" EUR": say what is wrong
                    plain = self._amount(fields, key, detail.where)
                amount = plain[0]
                credit = entry.credit if detail.credit is None else detail.credit
                detail.amount = amount if credit else -amount
                return

    def _split(self, entry: _Entry, details: list[_Detail], st: _OpenStatement) -> list[BankLine]:
        """One line per transaction of a batch booking; one line for an entry with one or no details."""
        if len(details) <= 1:
            line = self._line(entry, details, entry.amount, entry.credit, entry.ref, st)
            stated = details[0].amount if details else None
            # A transaction amount that is the booked one plus the charges the statement reports is the
            # payment before charges (an instructed amount, most often): no contradiction to report.
            gross = line.amount + (line.reported_charges or 0)
            if stated is not None and stated != entry.amount and stated != gross:
                # genkgo's camt053.v3 sample: 8.85 EUR booked, 105.750 EUR in its single TxDtls.
                self.warnings.append(
                    f"{self.name}, {entry.place}: the bank booked {entry.amount:f} {entry.currency} but the "
                    f"entry's one transaction (TxDtls) says {stated:f} {entry.currency}; "
                    "the booked amount is used"
                )
            return [line]
        given = [d.amount for d in details if d.amount is not None]
        if not given:
            # genkgo's camt054.v2 sample: three TxDtls, none with an amount; they cannot be told apart.
            self.warnings.append(
                f"{self.name}, {entry.place}: the entry holds {len(details)} transactions (TxDtls) without "
                f"amounts of their own, so it is kept as one line of {entry.amount:f} {entry.currency}"
            )
            return [self._line(entry, details, entry.amount, entry.credit, entry.ref, st)]
        if len(given) < len(details):
            raise MalformedStatement(
                self.path,
                f"the batch entry has {len(details)} transactions (TxDtls) but only {len(given)} give an "
                f"amount in {entry.currency}, so it cannot be split into lines",
                place=entry.place,
            )
        total = sum(given, Decimal(0))
        if total != entry.amount:
            raise MalformedStatement(
                self.path,
                f"the batch entry books {entry.amount:f} {entry.currency} but its {len(details)} "
                f"transactions (TxDtls) add up to {total:f} {entry.currency}; the file is inconsistent and "
                "was not imported — ask the bank for a corrected statement",
                place=entry.place,
            )
        lines = []
        for number, detail in enumerate(details, start=1):
            assert detail.amount is not None
            ref = f"{entry.ref}/{number}" if entry.ref else None
            credit = entry.credit if detail.credit is None else detail.credit
            lines.append(self._line(entry, [detail], detail.amount, credit, ref, st, whole_entry=False))
        return lines

    def _line(
        self,
        entry: _Entry,
        details: list[_Detail],
        amount: Decimal,
        credit: bool,
        entry_ref: str | None,
        st: _OpenStatement,
        *,
        whole_entry: bool = True,
    ) -> BankLine:
        """A BankLine from an entry and the detail(s) it stands for (several only when not splittable);
        `whole_entry` is False for one transaction of a split batch, which the entry's own amounts and
        charges (the batch's) do not describe."""
        if len(details) == 1:
            fields = details[0].fields
            bank_ref = _reference(fields, "Refs/AcctSvcrRef") or entry_ref
            name, iban = _counterparty(fields, credit)
            end_to_end = _reference(fields, "Refs/EndToEndId")
        else:
            bank_ref = entry_ref
            name, iban = _agreed([_counterparty(d.fields, credit) for d in details])
            end_to_end = _agreed([(_reference(d.fields, "Refs/EndToEndId"), None) for d in details])[0]
        remittance, structured_ref = _remittance(details, entry.info)
        # The ISO domain code wherever it is given (DK's camt.052 puts it on the entry and a proprietary
        # code on the transaction: genkgo's camt052 sample), else the proprietary one.
        first = details[0].fields if details else {}
        tx_code = _domain_code(first) or _domain_code(entry.fields)
        if not tx_code:
            tx_code = _text(first, "BkTxCd/Prtry/Cd") or _text(entry.fields, "BkTxCd/Prtry/Cd")
        charges = None
        if credit:  # what charges took from the payment on its way, as the statement reports it
            sources = [details[0].fields] if len(details) == 1 else []
            if whole_entry:
                sources.append(entry.fields)
            charges = _reported_charges(sources, amount, entry.currency, st.vocabulary.version)
        return BankLine(
            line_id=self.ids.allocate(
                account=st.account,
                bank_ref=bank_ref,
                booking_date=entry.booking_date,
                amount=amount,
                currency=entry.currency,
                remittance=remittance,
                counterparty=name,
            ),
            bank_ref=bank_ref,
            account=st.account,
            currency=entry.currency,
            amount=amount,
            booking_date=entry.booking_date,
            value_date=entry.value_date,
            counterparty_name=name,
            counterparty_iban=iban,
            remittance=remittance,
            structured_ref=structured_ref,
            end_to_end_id=end_to_end,
            bank_tx_code=tx_code,
            statement_id=st.statement_id,
            source_file=self.source_file,
            source_format=st.source_format,
            reported_charges=charges,
        )

    # -- values -------------------------------------------------------------------------------------

    def _amount(self, fields: Fields, key: str, where: str) -> tuple[Decimal, str]:
        """A camt amount exactly as written (8.850 stays 8.850) and its Ccy; never through a float."""
        element = fields[key][0]
        text = (element.text or "").strip()
        currency = element.get("Ccy") or ""
        if _AMOUNT_RE.fullmatch(text) and _CURRENCY_RE.fullmatch(currency):
            return Decimal(text), currency
        place = f"line {element.sourceline}, element {where}/{key}"
        if not _AMOUNT_RE.fullmatch(text):
            raise MalformedStatement(
                self.path,
                f"the amount {text!r} is not a camt amount (digits and a decimal point; "
                "the sign is in CdtDbtInd)",
                place=place,
            )
        raise MalformedStatement(
            self.path, f"the amount {text} has no valid currency (Ccy={currency!r})", place=place
        )

    def _credit(
        self, fields: Fields, owner: etree._Element | None, where: str, *, default: bool | None = None
    ) -> bool:
        indicator = _text(fields, "CdtDbtInd")
        if indicator == "CRDT":
            return True
        if indicator == "DBIT":
            return False
        if indicator is None and default is not None:
            return default
        anchor = fields["CdtDbtInd"][0] if "CdtDbtInd" in fields else owner
        line = anchor.sourceline if anchor is not None else None
        raise MalformedStatement(
            self.path,
            "does not say whether it is a credit or a debit (CdtDbtInd is "
            + (f"{indicator!r}, not CRDT or DBIT)" if indicator else "missing)"),
            place=(f"line {line}, " if line else "") + f"element {where}/CdtDbtInd",
        )

    def _date(self, fields: Fields, date_key: str, datetime_key: str, where: str) -> date | None:
        """Dt, or the date part of DtTm as written: 2024-01-15T00:30:00+01:00 is the 15th (no UTC shift)."""
        elements = fields.get(date_key) or fields.get(datetime_key)
        if not elements:
            return None
        text = elements[0].text
        if text:  # a date seen before, as most are (its first ten characters are then a valid date)
            known = self.dates.get(text[:10])
            if known is not None:
                return known
        key = date_key if date_key in fields else datetime_key
        return self._parse_date(elements[0], where, key)

    def _parse_date(self, element: etree._Element, where: str, key: str) -> date:
        text = (element.text or "").strip()
        known = self.dates.get(text[:10])
        if known is not None:
            return known
        match = _DATE_RE.match(text)
        try:
            if match is None:
                raise ValueError(text)
            on = self.dates[text[:10]] = date(int(match[1]), int(match[2]), int(match[3]))
            return on
        except ValueError:
            raise MalformedStatement(
                self.path,
                f"{text!r} is not a valid date",
                place=f"line {element.sourceline}, element {where + '/' if where else ''}{key}",
            ) from None


# -- element helpers (module level: called hundreds of thousands of times) ----------------------------


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _is_container(element: etree._Element) -> bool:
    """A Stmt under BkToCstmrStmt, a Rpt under BkToCstmrAcctRpt, an Ntfctn under BkToCstmrDbtCdtNtfctn."""
    parent = element.getparent()
    return parent is not None and _MESSAGES.get(_local(parent)) == _local(element)


def _fields(element: etree._Element, paths: Paths) -> Fields:
    """The elements under `element` that lie on `paths`, indexed by path ("RltdPties/Dbtr/Nm"), in order:
    all of them for repeated paths (Ustrd), the first one for the others (later ones are never read)."""
    fields: Fields = {}
    _collect(element, paths, fields)
    return fields


def _collect(parent: etree._Element, paths: Paths, fields: Fields) -> None:
    """Add the elements under `parent` that lie on `paths` to `fields`.

    Elements off the paths, of other namespaces (SplmtryData extensions) and comments are skipped unwalked;
    an element that is both a value and a parent (Sts) is walked when it has children.
    This runs for nearly every element of every entry, so it is written for speed: sibling steps rather
    than child iterators (which lxml builds at a cost per parent), one dict look-up per element, and
    containers entered without counting their children first (an empty one is rare).
    """
    try:
        child: etree._Element | None = parent[0]
    except IndexError:
        return
    while child is not None:
        step = paths.get(child.tag)
        if step is not None:
            key, below, repeats = step
            if below is not None and (not key or len(child)):
                _collect(child, below, fields)
            elif repeats:
                fields.setdefault(key, []).append(child)
            else:
                fields.setdefault(key, [child])
        child = child.getnext()


def _line_of(element: etree._Element) -> int:
    """The element's line in the file (lxml-stubs leave sourceline untyped)."""
    line: int | None = element.sourceline  # type: ignore[assignment]
    return line or 0


def _forget(element: etree._Element) -> None:
    """Free what has been read: the element's content and every earlier sibling (the lxml iterparse idiom)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _text(fields: Fields, key: str) -> str | None:
    elements = fields.get(key)
    if not elements:
        return None
    text = elements[0].text
    return (text.strip() or None) if text else None


def _status(fields: Fields) -> str | None:
    """Sts as a code: BOOK up to version 03, <Sts><Cd>BOOK</Cd></Sts> (or Prtry) from 04 on."""
    for key in _STATUS_PATHS:
        elements = fields.get(key)
        if elements:
            text = elements[0].text
            if text and (text := text.strip()):
                return text
    return None


def _plain_amount(element: etree._Element) -> tuple[Decimal, str] | None:
    """The amount and currency of a well-formed Amt, the common case; None asks for the full check
    (_FileParse._amount), which says what is wrong."""
    text = element.text
    currency = element.get("Ccy")
    if text and currency and _AMOUNT_RE.fullmatch(text) and _CURRENCY_RE.fullmatch(currency):
        return Decimal(text), currency
    return None


def _plain_credit(fields: Fields) -> bool | None:
    """CRDT or DBIT exactly as written, the common case; None asks for the full check (_FileParse._credit)."""
    elements = fields.get("CdtDbtInd")
    if elements:
        indicator = elements[0].text
        if indicator == "CRDT":
            return True
        if indicator == "DBIT":
            return False
    return None


def _reference(fields: Fields, key: str) -> str | None:
    """A reference or short text, whitespace collapsed; None for placeholders such as NOTPROVIDED."""
    elements = fields.get(key)
    return _clean(elements[0].text) if elements else None


def _texts(fields: Fields, key: str) -> list[str]:
    """Every occurrence of a repeatable free text, whitespace collapsed (banks wrap Ustrd at fixed widths),
    placeholders dropped (Deutsche Bank writes NOTPROVIDED in an empty Ustrd, Subite-eu samples)."""
    texts = []
    for element in fields.get(key, ()):
        text = _clean(element.text)
        if text:
            texts.append(text)
    return texts


def _clean(text: str | None) -> str | None:
    """Text with its whitespace collapsed, or None when empty or a placeholder (NONREF, NOTPROVIDED...)."""
    if not text:
        return None
    text = " ".join(text.split())
    # Upper-casing never shortens a string, so longer texts cannot be placeholders: skip the work.
    if len(text) <= _LONGEST_PLACEHOLDER and text.upper() in _PLACEHOLDERS:
        return None
    return text


def _lenient_date(text: str | None) -> date | None:
    """A date for falling back on, or None: a bad one there is no reason to refuse the file."""
    match = _DATE_RE.match(text.strip()) if text else None
    try:
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        return None


def _account(header: Fields) -> str | None:
    iban = _text(header, "Acct/Id/IBAN")
    if iban:
        return "".join(iban.split()).upper()
    return _text(header, "Acct/Id/Othr/Id")


def _domain_code(fields: Fields) -> str | None:
    """The ISO bank transaction code as Domain/Family/SubFamily, e.g. "PMNT/RCDT/ESCT"."""
    if "BkTxCd/Domn/Cd" not in fields:
        return None
    domain = _text(fields, "BkTxCd/Domn/Cd")
    if domain is None:
        return None
    family = _text(fields, "BkTxCd/Domn/Fmly/Cd")
    sub_family = _text(fields, "BkTxCd/Domn/Fmly/SubFmlyCd")
    return "/".join([part for part in (domain, family, sub_family) if part])


def _counterparty(fields: Fields, credit: bool) -> tuple[str | None, str | None]:
    """The other party: the debtor of a credit, the creditor of a debit; the ultimate one lacking a name."""
    name = None
    for key in _PARTY_NAMES[credit]:
        elements = fields.get(key)
        if elements:
            name = _clean(elements[0].text)
            if name:
                break
    elements = fields.get(_PARTY_IBANS[credit])
    text = elements[0].text if elements else None
    return name, ("".join(text.split()).upper() or None) if text else None


def _remittance(details: list[_Detail], entry_info: str | None) -> tuple[str, str | None]:
    """Unstructured text, and the first structured creditor reference (further ones join the text).

    Without any Ustrd, the additional texts (AddtlRmtInf, AddtlTxInf, AddtlNtryInf) are often the only
    words a payment carries (Czech CBA exports, okane samples), so they stand in for it.
    """
    texts: list[str] = []
    refs: list[str] = []
    any_ustrd = False
    for detail in details:
        fields = detail.fields
        ustrd = _texts(fields, "RmtInf/Ustrd")
        if ustrd:
            any_ustrd = True
            texts.extend(ustrd)
        else:
            texts.extend(_texts(fields, "RmtInf/Strd/AddtlRmtInf"))
            texts.extend(_texts(fields, "AddtlTxInf"))
        if "RmtInf/Strd/CdtrRefInf/Ref" in fields:
            refs.extend(_texts(fields, "RmtInf/Strd/CdtrRefInf/Ref"))
    if entry_info and not any_ustrd:
        texts.append(entry_info)
    if len(refs) > 1:
        texts.extend(refs[1:])
    return " ".join(texts), (refs[0] if refs else None)


def _agreed(values: list[tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """The pair every detail of an unsplittable batch agrees on, else (None, None)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else (None, None)


# -- charges: what the statement says was taken from a credit on its way ------------------------------
#
# As ISO 20022 defines the elements (camt.052/053/054 message definitions, the same in every message):
# - AmtDtls/InstdAmt is "the amount of money to be moved between the debtor and creditor, before deduction
#   of charges, expressed in the currency as ordered by the initiating party": in the line's currency and
#   above the amount booked, the difference is what charges took.
# - Chrgs of version 02 (ChargesInformation6, one per charge) and 03 (Charges3: TtlChrgsAndTaxAmt, and Rcrd
#   of ChargesRecord1) "provides information on the charges included in the entry amount": each is in it.
# - Chrgs from version 04 on (Charges4, Charges6...) holds "the charges, pre-advised or included in the
#   entry amount", and each Rcrd says which in ChrgInclInd (ChargeIncludedIndicator, an xs:boolean: true
#   "included", false "pre-advised"); a record that does not say is not counted.
# A record's CdtDbtInd is DBIT for a charge taken (CRDT, a charge given back, counts against the others),
# and Br DEBT (ChargeBearerType1Code: "all transaction charges are to be borne by the debtor") says the
# payer paid it on top: it took nothing from our credit.


def _reported_charges(
    sources: list[Fields], amount: Decimal, currency: str, version: int | None
) -> Decimal | None:
    """The charges taken from a credit of `amount`, as the first of `sources` (a transaction's fields, then
    its entry's) that reports any: an instructed amount above the amount booked, else the Chrgs included
    in it. None when nothing is reported, or not all of it in the line's currency."""
    for fields in sources:
        instructed = fields.get("AmtDtls/InstdAmt/Amt")
        if instructed:
            plain = _plain_amount(instructed[0])
            if plain is not None and plain[1] == currency and plain[0] > amount:
                return plain[0] - amount
        if "Chrgs" in fields:
            return _included_charges(fields["Chrgs"], currency, version)
    return None


def _included_charges(charges: list[etree._Element], currency: str, version: int | None) -> Decimal | None:
    """The sum of the charges the Chrgs elements say are included in the amount booked (see above)."""
    total = Decimal(0)
    for element in charges:
        chrgs = _children(element)
        if "Amt" in chrgs:  # version 02: the element is itself one charge
            records, by_definition = [chrgs], True
        else:
            records = [_children(record) for record in chrgs.get("Rcrd", ())]
            by_definition = version is not None and version <= 3
            if not records and by_definition and "TtlChrgsAndTaxAmt" in chrgs:
                records = [{"Amt": chrgs["TtlChrgsAndTaxAmt"]}]
        for record in records:
            flag = _child_text(record, "ChrgInclInd")
            included = by_definition if flag is None else flag in ("true", "1")
            if not included or _child_text(record, "Br") == "DEBT":
                continue
            plain = _plain_amount(record["Amt"][0]) if "Amt" in record else None
            if plain is None or plain[1] != currency:
                return None  # unreadable, or in another currency: what was taken cannot be told
            total += -plain[0] if _child_text(record, "CdtDbtInd") == "CRDT" else plain[0]
    return total if total > 0 else None


def _children(element: etree._Element) -> Fields:
    """The element's children by local name, in order (for the few elements read whole, like Chrgs)."""
    children: Fields = {}
    for child in element:
        children.setdefault(_local(child), []).append(child)
    return children


def _child_text(children: Fields, name: str) -> str | None:
    elements = children.get(name)
    text = elements[0].text if elements else None
    return (text.strip() or None) if text else None
