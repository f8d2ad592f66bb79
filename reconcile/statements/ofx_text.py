"""OFX text before ofxparse sees it: decode the bytes, drop the header, close SGML tags, keep the raw values.

ofxparse 0.21 trips on real headers (CHARSET:NONE, ENCODING:UTF8, a blank line first, non-ASCII in OFX 2.x),
is quadratic on SGML leaf tags left open, and drops what a reconciliation needs (dates as the bank wrote
them, counterparty accounts, transaction currencies). This module fixes the text and records those values
with their line numbers; it never interprets amounts or dates. It checks the header first: a header holding
bytes no header can hold means a damaged file, and a damaged file is never read for its money.
"""

from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reconcile.errors import MalformedStatement
from reconcile.statements.text import DEFAULT_CANDIDATES, decode, label

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
    header_notes = check_header(prolog, path)
    first_line = prolog.count("\n") + 1
    declared = forced or _declared_encoding(prolog)
    body, encoding, warnings = _decode_body(memoryview(data)[root.start() :], declared, path)
    return DecodedOfx(body, first_line, encoding, (*header_notes, *warnings))


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
    """The body's text. Its letters decide between the declared charset and UTF-8 (banks do declare
    CHARSET:1252 and send UTF-8: Chase's QFX in ofxparse PR #160), or among the usual encodings when none is
    declared; either way a person is told when the file was not read as it says."""
    data = bytes(raw)
    name = Path(path).name
    if data.isascii():
        return data.decode("ascii"), declared or "ascii", ()
    candidates = ("utf-8", declared) if declared else DEFAULT_CANDIDATES
    try:
        decoded = decode(data, candidates=candidates)
    except UnicodeDecodeError:
        return _decode_damaged(data, declared, name)
    if declared is None:
        note = decoded.warning(name, fix="check accented letters in names")
        return decoded.text, decoded.encoding, (note,) if note else ()
    if decoded.encoding == declared:
        return decoded.text, decoded.encoding, ()
    return decoded.text, decoded.encoding, (
        f"{name}: the file says it is {label(declared)}, but its letters are {label(decoded.encoding)}; "
        f"read as {label(decoded.encoding)}",
    )


def _decode_damaged(data: bytes, declared: str | None, name: str) -> tuple[str, str, tuple[str, ...]]:
    """Bytes that fit neither the declared charset nor UTF-8. Amounts, dates and tags are ASCII: a byte the
    charset does not define can only spoil a letter in a name or memo, which is worth a warning, not the
    refusal of the whole statement."""
    fallback = declared if declared not in (None, "utf-8", "ascii") else "cp1252"
    text = data.decode(fallback, errors="replace")
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
# The header: checked before anything is read
# ---------------------------------------------------------------------------------------------------------

# OFX 1.0.2 section 2.2: nine KEY:VALUE lines, all required (ofxtools' OFXHeaderV1 requires all nine too).
_V1_KEYS = ("OFXHEADER", "DATA", "VERSION", "SECURITY", "ENCODING", "CHARSET", "COMPRESSION", "OLDFILEUID",
            "NEWFILEUID")  # fmt: skip
# OFX 2.1.1 section 2.2: the attributes of the <?OFX ...?> processing instruction, all required.
_V2_KEYS = ("OFXHEADER", "VERSION", "SECURITY", "OLDFILEUID", "NEWFILEUID")
# The published values (OFX 1.6 and 2.2 specs; ofxtools' OneOf lists agree). Other values are checked
# loosely on purpose: banks write ENCODING:UTF8, CHARSET:8859-1, OLDFILEUID:NONE, and those files are fine.
_KNOWN_VALUES = {
    1: {"OFXHEADER": ("100",), "DATA": ("OFXSGML",), "VERSION": ("102", "103", "151", "160")},
    2: {"OFXHEADER": ("200",), "VERSION": ("200", "201", "202", "203", "210", "211", "220")},
}
_VALUE_MEANING = {"OFXHEADER": "header version", "DATA": "data format", "VERSION": "version"}
# An OFX header is plain ASCII written by a machine: it declares the encoding of what follows, so it cannot
# be in one itself. NUL, 0xFF or a control character there means a damaged file, not a bank's quirk.
_NOT_HEADER_TEXT = re.compile(r"[^\t\r\n\x20-\x7e]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OFX_PI_TEXT = re.compile(r"<\?OFX(?=[\s?])(?P<inner>.*?)(?P<end>\?>|\Z)", re.IGNORECASE | re.DOTALL)
_XML_DECLARATION = re.compile(r"<\?xml.*?(?:\?>|\Z)", re.IGNORECASE | re.DOTALL)
_ATTRIBUTE = re.compile(r"""(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_TOKEN_VALUE = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class _Text:
    """A piece of the header that must hold no damaged bytes, and how a person would call it."""

    line: int
    where: str  # "the header value of VERSION"
    text: str
    ascii_only: bool = True


@dataclass(slots=True)
class _Header:
    """The header as written: (line, KEY, value) entries; KEY is None for text that is no entry."""

    kind: int  # 1: OFX 1.x KEY:VALUE lines; 2: OFX 2.x <?OFX ...?>; 0: no header at all
    entries: list[tuple[int, str | None, str]] = field(default_factory=list)
    texts: list[_Text] = field(default_factory=list)  # most specific first
    first_line: int = 0
    last_line: int = 0
    unclosed: bool = False


def check_header(prolog: str, path: Path | str) -> tuple[str, ...]:
    """Refuse a header with bytes no OFX header holds; warn about one that is unusual but readable.

    `prolog` is everything before `<OFX>`, decoded as Latin-1 (one character per byte). Line numbers count
    line feeds, as the rest of the module does. A file without any header is left alone: banks send those
    (ofxparse's empty_balance.ofx) and there is nothing in it to be damaged.
    """
    lines = [
        (number, piece)
        for number, line in enumerate(prolog.split("\n"), start=1)
        for piece in line.split("\r")  # CR alone ends a line in old Mac files; CR CR LF in Vanguard's
    ]
    pi = _OFX_PI_TEXT.search(prolog)
    if pi is not None:
        header = _v2_header(prolog, pi)
    elif prolog.strip() and not prolog.lstrip().startswith("<"):
        header = _v1_header(lines)
    else:
        header = _Header(0)
    # Every line last, for control bytes in comments and blank lines around the header.
    texts = [*header.texts, *(_Text(n, "the text before <OFX>", piece, False) for n, piece in lines)]
    _refuse_damaged(texts, path)
    return tuple(_header_notes(header, Path(path).name)) if header.kind else ()


def _v1_header(lines: list[tuple[int, str]]) -> _Header:
    """OFX 1.x: KEY:VALUE lines. Keys are read in any case and values trimmed (ofxtools allows a space
    after the colon), so that lower-case keys and padded values, both seen from banks, pass unremarked."""
    header = _Header(1)
    for number, piece in lines:
        if not piece.strip():
            continue
        header.first_line = header.first_line or number
        header.last_line = number
        key, colon, value = piece.partition(":")
        if not colon or not key.strip():
            header.texts.append(_Text(number, "a header line", piece))
            header.entries.append((number, None, piece.strip()))
            continue
        name = key.strip().upper()
        header.texts.append(_Text(number, "a header key", key))
        header.texts.append(_Text(number, f"the header value of {name}", value))
        header.entries.append((number, name, value.strip()))
    return header


def _v2_header(prolog: str, pi: re.Match[str]) -> _Header:
    """OFX 2.x: NAME="VALUE" attributes of <?OFX ...?> (OFX 2.1.1 section 2.2), after the XML declaration."""
    inner, offset = pi.group("inner"), pi.start("inner")

    def line_of(index: int) -> int:
        return prolog.count("\n", 0, index) + 1

    header = _Header(2, first_line=line_of(pi.start()), last_line=line_of(pi.end()), unclosed=not pi["end"])
    for attribute in _ATTRIBUTE.finditer(inner):
        number = line_of(offset + attribute.start())
        name = attribute["name"].upper()
        value = attribute["dq"] if attribute["dq"] is not None else attribute["sq"]
        header.texts.append(_Text(number, f"the header value of {name}", value))
        header.entries.append((number, name, value.strip()))
    leftover = " ".join(_ATTRIBUTE.sub(" ", inner).split())
    if leftover:
        header.entries.append((header.first_line, None, leftover))
    header.texts.append(_Text(header.first_line, "the <?OFX ...?> header", pi.group(0)))
    declaration = _XML_DECLARATION.search(prolog, 0, pi.start())
    if declaration:
        header.texts.append(_Text(line_of(declaration.start()), "the XML declaration", declaration.group(0)))
    return header


def _refuse_damaged(texts: list[_Text], path: Path | str) -> None:
    for text in texts:
        damaged = (_NOT_HEADER_TEXT if text.ascii_only else _CONTROL).findall(text.text)
        if damaged:
            raise MalformedStatement(
                path,
                f"{_bytes_named(damaged)} in {text.where}: an OFX header is plain ASCII text, so the file "
                "is damaged; download it again from the bank",
                place=f"header line {text.line}",
            )


def _bytes_named(found: list[str]) -> str:
    """The bytes as a person can read them ("bytes 0x00 (NUL) and 0xFF"), never as raw bytes that
    would garble a terminal or a report."""
    distinct = list(dict.fromkeys(found))
    if distinct == ["\x00"]:
        return "a NUL byte (0x00)"
    names = [f"0x{ord(c):02X}" + (" (NUL)" if c == "\x00" else "") for c in distinct[:4]]
    if len(distinct) > 4:
        names.append(f"{len(distinct) - 4} other kinds")
    if len(names) == 1:
        return f"byte {names[0]}"
    return "bytes " + ", ".join(names[:-1]) + " and " + names[-1]


def _header_notes(header: _Header, name: str) -> list[str]:
    """One warning per oddity, each naming the header line, in file order; the file is still read."""
    notes = [note for entry in header.entries if (note := _entry_note(header, *entry))]
    if header.unclosed:
        notes.append(f"header line {header.first_line}: the <?OFX ...?> header is not closed by ?>")
    present = {key for _, key, _ in header.entries}
    missing = [key for key in (_V1_KEYS if header.kind == 1 else _V2_KEYS) if key not in present]
    if missing:
        first, last = header.first_line, header.last_line
        lines = f"header line {first}" if first == last else f"header lines {first}-{last}"
        them = "it" if len(missing) == 1 else "them"
        notes.append(
            f"{lines}: the header has no {_listed(missing)}; read as OFX {header.kind}.x without {them}"
        )
    return [f"{name}, {note}" for note in notes]


def _entry_note(header: _Header, number: int, key: str | None, value: str) -> str | None:
    kind = f"OFX {header.kind}.x"
    known = _KNOWN_VALUES[header.kind].get(key or "")
    if key is None and header.kind == 1:
        return f"header line {number}: {_shown(value)} is not a KEY:VALUE header line; ignored"
    if key is None:
        return f'header line {number}: {_shown(value)} in the <?OFX ...?> header is not NAME="VALUE"; ignored'
    if key not in (_V1_KEYS if header.kind == 1 else _V2_KEYS):
        what = "key" if header.kind == 1 else "attribute"
        return f"header line {number}: {_value_shown(key)} is not an {kind} header {what}; ignored"
    if known and value.upper() not in known:
        return (
            f"header line {number}: {key} {_value_shown(value)} is not an {kind} {_VALUE_MEANING[key]} "
            f"(known: {', '.join(known)}); read as {kind}"
        )
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _value_shown(value: str) -> str:
    return value if _TOKEN_VALUE.fullmatch(value) else repr(value)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
