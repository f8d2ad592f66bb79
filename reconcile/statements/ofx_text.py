"""OFX text before ofxparse sees it: decode the bytes, drop the header, close SGML tags, keep the raw values.

ofxparse 0.21 trips on real headers (CHARSET:NONE, ENCODING:UTF8, a blank line first, non-ASCII in OFX 2.x),
is quadratic on SGML leaf tags left open, and drops what a reconciliation needs (dates as the bank wrote
them, counterparty accounts, transaction currencies). This module fixes the text and records those values
with their line numbers; it never interprets amounts or dates.
"""

from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reconcile.errors import MalformedStatement

# ---------------------------------------------------------------------------------------------------------
# Detection and decoding
# ---------------------------------------------------------------------------------------------------------

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
_OFX_ROOT = re.compile(rb"<OFX\s*>", re.IGNORECASE)
_XML_ENCODING = re.compile(r"<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)
_OFX_PI = re.compile(rb"<\?OFX[\s?]", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"(?:\s|<\?.*?\?>|<!--.*?-->)*<([A-Za-z][A-Za-z0-9_.:-]*)", re.DOTALL)

# OFX 1.x header CHARSET values (OFX 1.0.2 spec, section 2.2.1) and the spellings banks use for them.
_CHARSETS = {
    "1252": "cp1252", "WINDOWS-1252": "cp1252", "CP1252": "cp1252",
    "ISO-8859-1": "latin-1", "8859-1": "latin-1", "ISO8859-1": "latin-1", "LATIN1": "latin-1",
    "LATIN-1": "latin-1",
}  # fmt: skip
_UNICODE_ENCODINGS = {"UTF-8", "UTF8", "UNICODE"}


def looks_like_ofx(head: bytes) -> bool:
    """True for an OFX 1.x SGML header, an OFX 2.x `<?OFX ...?>` prolog or an `<OFX>` root element.

    Only the first element counts for XML, so a camt document (root `<Document>`) is never claimed.
    """
    if head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    elif head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    head = head.lstrip()
    if head[:9].upper() == b"OFXHEADER":
        return True
    if _OFX_PI.search(head) and head.startswith(b"<?"):
        return True
    first = _FIRST_ELEMENT.match(head)
    return first is not None and first.group(1).upper() == b"OFX"


@dataclass(frozen=True, slots=True)
class DecodedOfx:
    """The document from `<OFX>` on, as text, and where it starts in the file."""

    body: str
    first_line: int  # line of the file on which `<OFX>` stands
    encoding: str
    warnings: tuple[str, ...] = ()


def decode_ofx(data: bytes, path: Path | str) -> DecodedOfx:
    """Find `<OFX>`, read the header before it for the encoding, and decode the rest ourselves."""
    if data.startswith(_UTF16_BOMS):
        # Rare, but then every byte-level search below would miss: re-encode once and go on as UTF-8.
        data = data.decode("utf-16").encode("utf-8")
        forced: str | None = "utf-8"
    elif data.startswith(_UTF8_BOM):
        data, forced = data[len(_UTF8_BOM) :], "utf-8"
    else:
        forced = None
    root = _OFX_ROOT.search(data)
    if root is None:
        raise MalformedStatement(
            path,
            "there is no <OFX> element: the file is not an OFX statement, or it is cut short",
            place="start of file",
        )
    prolog = data[: root.start()].decode("latin-1")
    first_line = prolog.count("\n") + 1
    declared = forced or _declared_encoding(prolog)
    body, encoding, warnings = _decode_body(memoryview(data)[root.start() :], declared, path)
    return DecodedOfx(body, first_line, encoding, warnings)


def _declared_encoding(prolog: str) -> str | None:
    """The encoding the header declares, as a Python codec name; None when it declares none (or NONE)."""
    xml = _XML_ENCODING.search(prolog)
    if xml:
        return _codec(xml.group(1))
    header: dict[str, str] = {}
    for line in prolog.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            header[key.strip().upper()] = value.strip().upper()
    if header.get("ENCODING") in _UNICODE_ENCODINGS:
        return "utf-8"
    charset = header.get("CHARSET", "NONE")
    if charset in ("", "NONE"):
        return None
    if charset in _CHARSETS:
        return _CHARSETS[charset]
    return _codec(f"cp{charset}" if charset.isdigit() else charset)


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None  # an encoding Python does not know: read the bytes as if none were declared


def _decode_body(raw: memoryview, declared: str | None, path: Path | str) -> tuple[str, str, tuple[str, ...]]:
    try:
        # Valid multi-byte UTF-8 practically never happens by accident in single-byte text, while banks
        # do declare CHARSET:1252 and send UTF-8 (Chase's QFX in ofxparse PR #160): UTF-8 wins.
        text = str(raw, "utf-8")
        return text, (declared or "ascii") if text.isascii() else "utf-8", ()
    except UnicodeDecodeError:
        pass
    fallback = declared if declared not in (None, "utf-8", "ascii") else "cp1252"
    # Amounts, dates and tags are ASCII: a byte the charset does not define can only spoil a letter in a
    # name or memo, which is worth a warning, not the refusal of the whole statement.
    text = str(raw, fallback, errors="replace")
    name = Path(path).name
    notes = []
    if declared in ("utf-8", "ascii"):
        notes.append(
            f"{name}: the file says it is {declared.upper()} but is not; it was read as Windows-1252, "
            "so check accented letters in names"
        )
    unreadable = text.count("\ufffd")
    if unreadable:
        which = "1 character is" if unreadable == 1 else f"{unreadable} characters are"
        notes.append(f"{name}: {which} not valid in {fallback}; shown as \ufffd in names and memos")
    return text, fallback, tuple(notes)


# ---------------------------------------------------------------------------------------------------------
# Scanning: close the tags, keep the raw values
# ---------------------------------------------------------------------------------------------------------

# Bank, credit-card and investment statements (OFX 2.2 sections 11.4.2, 11.4.3, 13.9.2).
STATEMENT_KINDS = ("STMTRS", "CCSTMTRS", "INVSTMTRS")

# Elements that never hold other elements. Used only when one of them has no value and no end tag
# (`<NAME>` directly followed by `<MEMO>`): without this list it would swallow its siblings.
_LEAVES = frozenset({
    "TRNTYPE", "DTPOSTED", "DTUSER", "DTAVAIL", "TRNAMT", "FITID", "CORRECTFITID", "CORRECTACTION",
    "SRVRTID", "CHECKNUM", "REFNUM", "SIC", "PAYEEID", "NAME", "EXTDNAME", "MEMO", "INV401KSOURCE",
    "CURDEF", "CURSYM", "CURRATE", "BANKID", "BRANCHID", "ACCTID", "ACCTTYPE", "ACCTKEY", "BROKERID",
    "BALAMT", "DTASOF", "DTSTART", "DTEND", "CODE", "SEVERITY", "MESSAGE", "DTSERVER", "LANGUAGE",
    "DTPROFUP", "DTACCTUP", "ORG", "FID", "TRNUID", "CLTCOOKIE", "DESC", "ADDR1", "ADDR2", "ADDR3", "CITY",
    "STATE", "POSTALCODE", "COUNTRY", "PHONE",
})  # fmt: skip

_TOKEN = re.compile(
    r"<(?:(?P<tag>/?[A-Za-z][A-Za-z0-9_.]*)\s*>|!\[CDATA\[(?P<cdata>.*?)\]\]>|!--.*?-->)", re.DOTALL
)
# OFX defines only these entities (OFX 2.2 spec, 2.3.2.1); anything else after "&" is literal text.
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos|nbsp)|#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": " "}


def unescape(text: str) -> str:
    return _ENTITY.sub(_entity_char, text) if "&" in text else text


def _unescape(text: str) -> str:
    return _ENTITY.sub(_entity_char, text)


def _entity_char(m: re.Match[str]) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    code = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
    return chr(code) if 0 < code <= 0x10FFFF else m.group(0)


@dataclass(slots=True)
class RawTransaction:
    """One STMTTRN as written: the first value of each element, by path relative to STMTTRN."""

    position: int  # 1-based, over the whole file
    line: int
    paths: dict[str, str] = field(default_factory=dict)  # {"PAYEE/NAME": "ACME"}; "" when present but empty
    nested: bool = False  # some element sits in an aggregate (PAYEE, BANKACCTTO, CURRENCY...)

    def add(self, path: str, value: str) -> None:
        if path not in self.paths:
            self.paths[path] = value
            self.nested = self.nested or "/" in path

    def get(self, path: str) -> str | None:
        """The value of the element at exactly `path`, "" when present but empty, None when absent."""
        return self.paths.get(path)

    def first(self, name: str) -> str | None:
        """The first non-empty value of an element called `name`, at any depth (what BeautifulSoup finds;
        OFX never has one both directly in STMTTRN and in an aggregate of it)."""
        value = self.paths.get(name)
        if value or not self.nested:
            return value or None
        suffix = "/" + name
        return next((v for p, v in self.paths.items() if v and p.endswith(suffix)), None)

    @property
    def fitid(self) -> str | None:
        return self.paths.get("FITID") or None


@dataclass(slots=True)
class RawStatement:
    kind: str  # one of STATEMENT_KINDS
    line: int
    values: dict[str, str] = field(default_factory=dict)  # first value per path, e.g. "LEDGERBAL/DTASOF"
    transactions: list[RawTransaction] = field(default_factory=list)
    pending: int = 0  # STMTTRNP: pending, not booked (OFX 2.1.1+)
    trades: int = 0  # investment transactions other than INVBANKTRAN


@dataclass(slots=True)
class RawStatus:
    parent: str  # SONRS, STMTTRNRS, CCSTMTTRNRS, ...
    line: int
    values: dict[str, str] = field(default_factory=dict)  # CODE, SEVERITY, MESSAGE


@dataclass(slots=True)
class ScannedOfx:
    skeleton: str  # the document, every element closed, without the STMTTRN elements
    statements: list[RawStatement]
    statuses: list[RawStatus]
    listed_accounts: list[str]  # ACCTIDs of an account-information response (ACCTINFORS)
    listing_line: int | None
    stray_transactions: list[RawTransaction]


@dataclass(slots=True)
class _Open:
    name: str
    out_index: int | None  # where its start tag sits in the skeleton, None when not written there
    role: str = ""


def scan_ofx(body: str, first_line: int, path: Path | str) -> ScannedOfx:
    return _Scanner(body, first_line, path).run()


class _Scanner:
    """One pass over the tokens. An SGML element is a leaf when text follows its start tag (OFX 1.0.2,
    2.3.1: elements have values and optional end tags; aggregates have no value and a required end tag).
    """

    def __init__(self, body: str, first_line: int, path: Path | str) -> None:
        self.body = body
        self.path = path
        self.out: list[str] = []
        self.writing = True
        self.stack: list[_Open] = []
        self.line_no, self.line_pos = first_line, 0
        self.statements: list[RawStatement] = []
        self.statuses: list[RawStatus] = []
        self.listed: list[str] = []
        self.listing_line: int | None = None
        self.stray: list[RawTransaction] = []
        self.statement: RawStatement | None = None
        self.status: RawStatus | None = None
        self.txn: RawTransaction | None = None
        self.txn_depth = 0
        self.in_listing = False
        self.count = 0
        self.names: dict[str, str] = {}

    def tag_name(self, tag: str) -> str:
        """`tag` ("stmttrn", "/STMTTRN") as one shared upper-case name: 100,000 transactions then hold
        their element names once, not 100,000 times."""
        name = sys.intern(tag.lstrip("/").upper())
        self.names[tag] = name
        return name

    def line_at(self, index: int) -> int:
        self.line_no += self.body.count("\n", self.line_pos, index)
        self.line_pos = index
        return self.line_no

    def run(self) -> ScannedOfx:
        body, out, names = self.body, self.out, self.names
        pending: str | None = None  # element just opened: leaf or aggregate, the next token tells
        pending_at = pending_out = 0
        parts: list[str] = []
        pos = 0
        for m in _TOKEN.finditer(body):
            start = m.start()
            if start > pos:
                chunk = body[pos:start]
                if pending is not None:
                    parts.append(_unescape(chunk) if "&" in chunk else chunk)
                if self.writing:
                    out.append(chunk)
            pos = m.end()
            tag = m.group("tag")
            if tag is None:
                cdata = m.group("cdata")
                if cdata is not None:
                    if pending is not None:
                        parts.append(cdata)
                    if self.writing:
                        out.append(m.group(0))
                continue
            closing = tag[0] == "/"
            name = names.get(tag) or self.tag_name(tag)
            if pending is not None:
                value = "".join(parts).strip() if parts else ""
                parts = []
                if value:
                    self.leaf(pending, value)
                    if closing and name == pending:
                        if self.writing:
                            out.append(f"</{name}>")
                        pending = None
                        continue
                    if self.writing:
                        out.append(f"</{pending}>")
                elif not closing and pending not in _LEAVES:
                    self.push(pending, pending_at, pending_out)
                else:
                    # An empty element, closed or not: absent, as far as ofxparse is concerned.
                    self.leaf(pending, "")
                    if self.writing:
                        del out[pending_out:]
                    if closing and name == pending:
                        pending = None
                        continue
                pending = None
            if closing:
                self.close(name)
            else:
                pending, pending_at, pending_out = name, start, len(out)
                if self.writing:
                    out.append(f"<{name}>")
        tail = body[pos:]
        if pending is not None:
            self.leaf(pending, ("".join(parts) + unescape(tail)).strip())
        if self.writing:
            out.append(tail)
            if pending is not None:
                out.append(f"</{pending}>")
        if self.stack:
            raise MalformedStatement(
                self.path,
                f"the file ends before <{self.stack[0].name}> is closed: it is probably cut short; "
                "download it again",
                place=f"line {self.line_at(len(body))}, end of file",
            )
        return ScannedOfx(
            "".join(out), self.statements, self.statuses, self.listed, self.listing_line, self.stray
        )

    # -- structure ------------------------------------------------------------------------------------

    def push(self, name: str, at: int, out_index: int) -> None:
        parent = self.stack[-1].name if self.stack else ""
        entry = _Open(name, out_index if self.writing else None)
        self.stack.append(entry)
        if self.txn is not None:
            return
        if name == "STMTTRN":
            self.count += 1
            self.txn = RawTransaction(self.count, self.line_at(at))
            self.txn_depth = len(self.stack)
            entry.role = "txn"
            if self.writing:
                # ofxparse reads the envelope only; each transaction goes to it separately (see ofx.py).
                del self.out[out_index:]
                self.writing = False
                entry.out_index = None
        elif name in STATEMENT_KINDS and self.statement is None:
            self.statement = RawStatement(name, self.line_at(at))
            entry.role = "statement"
        elif name == "STATUS":
            self.status = RawStatus(parent, self.line_at(at))
            entry.role = "status"
        elif name == "ACCTINFORS":
            self.in_listing = True
            self.listing_line = self.line_at(at)
            entry.role = "listing"
        elif self.statement is not None:
            if name == "STMTTRNP":
                self.statement.pending += 1
            elif parent == "INVTRANLIST" and name != "INVBANKTRAN":
                self.statement.trades += 1

    def close(self, name: str) -> None:
        stack = self.stack
        if not stack or (stack[-1].name != name and not any(e.name == name for e in stack)):
            return  # an end tag for a leaf already closed, or for nothing: drop it
        while stack[-1].name != name:
            # Opened, never closed, and followed by other elements: an empty element without end tag.
            unclosed = stack.pop()
            if unclosed.out_index is not None and self.writing:
                self.out[unclosed.out_index] += f"</{unclosed.name}>"
            self.end(unclosed)
        entry = stack.pop()
        was_writing = self.writing
        self.end(entry)
        if was_writing:
            self.out.append(f"</{name}>")

    def end(self, entry: _Open) -> None:
        if entry.role == "txn" and self.txn is not None:
            (self.statement.transactions if self.statement else self.stray).append(self.txn)
            self.txn = None
            self.writing = True
        elif entry.role == "statement" and self.statement is not None:
            self.statements.append(self.statement)
            self.statement = None
        elif entry.role == "status" and self.status is not None:
            self.statuses.append(self.status)
            self.status = None
        elif entry.role == "listing":
            self.in_listing = False

    # -- values ---------------------------------------------------------------------------------------

    def leaf(self, name: str, value: str) -> None:
        stack = self.stack
        if self.txn is not None:
            depth = self.txn_depth
            path = (
                name
                if len(stack) == depth
                else sys.intern("/".join([*(e.name for e in stack[depth:]), name]))
            )
            self.txn.add(path, value)
        elif self.status is not None:
            self.status.values.setdefault(name, value)
        elif self.statement is not None:
            base = next(i for i, e in enumerate(stack) if e.role == "statement") + 1
            path = "/".join([*(e.name for e in stack[base:]), name])
            self.statement.values.setdefault(path, value)
        elif self.in_listing and name == "ACCTID" and value:
            self.listed.append(value)
