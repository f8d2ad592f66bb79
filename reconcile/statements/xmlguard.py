"""Refuse hostile XML before a parser sees it, then stream what is left with every dangerous feature off.

Bank statements never need a DTD: a DOCTYPE is the door for entity bombs ("billion laughs") and external
entities (file:///etc/passwd, http://...), so any DOCTYPE is refused outright, with its line, as are XInclude
and absurdly large files. Shared by every XML-based reader; nothing here may resolve an entity, load a DTD or
touch the network. lxml's errors are translated here, once, into StatementErrors naming the line.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from reconcile.errors import HostileStatement, MalformedStatement, StatementError
from reconcile.statements.text import DEFAULT_CANDIDATES, Basis, country_of, decode, pinned_encoding

# Default ceiling on an XML statement's size. A year of a busy account in camt.053 is a few hundred MiB;
# anything past this is a mistake or an attack, and refusing it is cheaper than finding out.
MAX_XML_BYTES = 2 * 1024**3

# Comments and processing instructions allowed before the root element. Real prologues are a few hundred
# bytes; a megabyte of them is someone hiding something or a file that is not XML at all.
MAX_PROLOGUE_BYTES = 1024**2

# lxml options for every statement parse. Entity expansion and DTD loading stay off even though a DOCTYPE
# was already refused: belt and braces. huge_tree lifts libxml2's 10 MB text-node and depth limits, which
# very large but honest statements can hit; the size ceiling above bounds what it lets through.
SAFE_PARSE_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": True,
}

# Both namespaces libxml2 treats as XInclude (2003 is the draft one it still honours).
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
_XINCLUDE_TAGS = tuple(f"{{{ns}}}" for ns in XINCLUDE_NAMESPACES)

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# How much of an XML file without an encoding declaration is scored to choose one (the rest is only checked
# to be UTF-8); the names and texts of a statement's first few thousand entries are evidence enough.
_ENCODING_SAMPLE = 8 * 1024**2
_DECLARED_ENCODING = re.compile(rb"\s*<\?xml\b[^>]*?\bencoding\s*=")
_IBAN_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?IBAN>\s*([A-Z]{2}[0-9A-Z ]{10,40}?)\s*<")
_ENTITY_RE = re.compile(r"<!ENTITY\s+(%\s*)?([^\s>]+)")
# An external identifier: SYSTEM "uri", or PUBLIC "public-id" "uri" (XML 1.0, production [75]).
_EXTERNAL_ID = r"(?:SYSTEM|PUBLIC\s+(?P<pub>['\"]).*?(?P=pub))\s*(?P<q>['\"])(?P<uri>.*?)(?P=q)"
_EXTERNAL_ENTITY_RE = re.compile(r"<!ENTITY\s+(?:%\s*)?(?P<name>[^\s>]+)\s+" + _EXTERNAL_ID, re.DOTALL)
_EXTERNAL_DTD_RE = re.compile(r"<!DOCTYPE\s+[^\s>\[]+\s+" + _EXTERNAL_ID, re.DOTALL)

_REFUSAL_ADVICE = (
    "refused — bank exports never contain this: do not open the file in other programs, "
    "and ask whoever sent it"
)


def human_size(size: int) -> str:
    """1.5 GiB, 12.0 MiB, 300 bytes: sizes as a person reads them."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def check_xml_file(path: Path, *, max_bytes: int = MAX_XML_BYTES) -> None:
    """Refuse the file before parsing when it is empty, too large or declares a DOCTYPE.

    Raises HostileStatement (size, DOCTYPE, entities) or MalformedStatement (empty), naming the line.
    """
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as fh:
            prologue = fh.read(MAX_PROLOGUE_BYTES + 1)
    except OSError as exc:
        raise StatementError(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise HostileStatement(
            path,
            f"the file is {human_size(size)}, over the {human_size(max_bytes)} limit for XML statements; "
            "refused (a real export this large should be split by period)",
        )
    if not prologue.strip():
        raise MalformedStatement(path, "the file is empty")
    _scan_prologue(path, _decode_prologue(prologue), truncated=len(prologue) > MAX_PROLOGUE_BYTES)


def iter_end_elements(
    path: Path, tags: Iterable[str], *, max_bytes: int = MAX_XML_BYTES, encoding: str | None = None
) -> Iterator[tuple[str, etree._Element]]:
    """Stream the elements named in `tags` (e.g. "{*}Ntry") as each one ends, with their qualified tags
    (read once here: lxml builds the tag string anew on every access), after check_xml_file.

    The caller owns memory: it should clear each element (and its finished preceding siblings) once read.
    XInclude elements are refused as they appear; broken XML becomes a MalformedStatement with its line.
    `encoding` overrides what the file declares (see `choose_encoding`).
    """
    check_xml_file(path, max_bytes=max_bytes)
    watched = (*tags, *(f"{prefix}*" for prefix in _XINCLUDE_TAGS))
    etree.clear_error_log()  # so the error log on a failure holds this file's errors only
    events = etree.iterparse(str(path), events=("end",), tag=watched, encoding=encoding, **SAFE_PARSE_OPTIONS)
    try:
        for _event, element in events:
            tag = element.tag
            if tag.startswith(_XINCLUDE_TAGS):
                raise HostileStatement(
                    path,
                    "the XML uses XInclude, which would make the reader pull in another file or web address; "
                    f"{_REFUSAL_ADVICE}",
                    place=f"line {element.sourceline}",
                )
            yield tag, element
    except etree.XMLSyntaxError as exc:
        raise broken_xml(path, exc) from None
    except OSError as exc:  # the file vanished or became unreadable between the check and the parse
        raise StatementError(path, f"cannot be read ({exc.strerror or exc})") from exc


@dataclass(frozen=True, slots=True)
class XmlEncoding:
    """The encoding to read an XML file in when it is not what the file says (None: as the file says)."""

    override: str | None = None
    warning: str | None = None


def choose_encoding(path: Path, *, pins: Mapping[str, str] | None = None) -> XmlEncoding:
    """Whether the file is read as it declares, or in the encoding its account is pinned to or its letters fit.

    XML without an encoding declaration (and without a byte-order mark) is UTF-8 by the standard, but some
    banks' exports are not: a German savings bank's camt.052 comes in Latin-1 with no declaration at all, and
    a parser that believes the standard refuses it as broken. Such a file is read in the encoding its letters
    fit (reconcile.statements.text), with a warning that names it; so is one whose bytes are valid UTF-8 but
    read as nonsense in it (cp1250's "SPÓŁKA" is UTF-8's "SPӣKA"). A declared encoding is believed; a pin
    in [statements.encodings] for the statement's account wins over both.
    """
    try:
        with open(path, "rb") as fh:
            sample = fh.read(_ENCODING_SAMPLE)
            if sample.startswith((*_UTF16_BOMS, codecs.BOM_UTF8)) or sample[:2] in (b"<\x00", b"\x00<"):
                return XmlEncoding()
            accounts = [m.group(1).decode("ascii") for m in _IBAN_ELEMENT.finditer(sample)]
            pinned = pinned_encoding(accounts, pins or {})
            if pinned:
                return XmlEncoding(pinned)
            if _DECLARED_ENCODING.match(sample):
                return XmlEncoding()
            bad_byte = _first_non_utf8(sample, fh)
            starts_inside = False
            if bad_byte is not None and bad_byte >= len(sample):  # the evidence is where UTF-8 stops
                starts_inside = True
                fh.seek(bad_byte - _ENCODING_SAMPLE // 2)
                sample = fh.read(_ENCODING_SAMPLE)
            ends_inside = fh.read(1) != b""
    except OSError as exc:
        raise StatementError(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if bad_byte is None and sample.isascii():
        return XmlEncoding()
    # A sample cut out of a larger file is cut again at line ends: its edges may split a character.
    if starts_inside:
        sample = sample[sample.find(b"\n") + 1 :]
    if ends_inside:
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    candidates = [name for name in DEFAULT_CANDIDATES if bad_byte is None or name != "utf-8"]
    decoded = decode(sample, candidates=candidates, country=country_of(accounts))
    if decoded.basis is not Basis.EVIDENCE or decoded.encoding == "utf-8":
        return XmlEncoding()
    why = (
        "no encoding declared"
        if bad_byte is None
        else "no encoding declared and not UTF-8, as XML then must be"
    )
    return XmlEncoding(decoded.encoding, decoded.warning(path.name, why=why))


def _first_non_utf8(sample: bytes, rest: BinaryIO) -> int | None:
    """Where the file stops being UTF-8 (None: it is UTF-8 throughout): the sample, then the rest streamed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        block = sample
        while block:
            decoder.decode(block)
            offset += len(block)
            block = rest.read(_ENCODING_SAMPLE)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset + max(exc.start, 0)
    return None


def broken_xml(path: Path, exc: etree.XMLSyntaxError) -> MalformedStatement:
    """lxml's syntax error as a person can act on it: the first fatal problem and its line."""
    message, line = exc.msg or "unknown error", exc.lineno
    for entry in exc.error_log:  # type: ignore[attr-defined]  # iterable; lxml-stubs omit __iter__
        if entry.level_name in ("FATAL", "ERROR"):
            message, line = entry.message, entry.line
            break
    message = re.sub(r", line \d+, column \d+$", "", message.strip())
    return MalformedStatement(
        path,
        f"the XML is broken ({message}) — the file may be truncated or damaged; "
        "download it again from the bank",
        place=f"line {line}" if line else None,
    )


def _decode_prologue(data: bytes) -> str:
    """Text for scanning markup: UTF-16 decoded, anything else byte-for-byte (markup is ASCII)."""
    if data.startswith(_UTF16_BOMS) or data[:2] in (b"<\x00", b"\x00<"):
        return data.decode(
            "utf-16" if data.startswith(_UTF16_BOMS) else ("utf-16-le" if data[0] == 0x3C else "utf-16-be"),
            errors="replace",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("latin-1")


def _scan_prologue(path: Path, text: str, *, truncated: bool) -> None:
    """Walk the declaration, comments and processing instructions before the root; refuse any <!DOCTYPE."""
    pos = 0
    text = text.lstrip("\ufeff")
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = end + 2 if end >= 0 else len(text)
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = end + 3 if end >= 0 else len(text)
        elif text.startswith("<!", pos):
            _refuse_declaration(path, text, pos)
        else:
            return  # the root element (or text that is not XML, which the parser will report)
    if truncated:
        raise HostileStatement(
            path,
            f"the XML has more than {human_size(MAX_PROLOGUE_BYTES)} of comments or instructions before its "
            "first element; refused",
        )


def _refuse_declaration(path: Path, text: str, pos: int) -> None:
    """Raise HostileStatement for a DOCTYPE (or any <!...> declaration), saying what it would have done."""

    def line_at(offset: int) -> str:
        return f"line {text.count(chr(10), 0, offset) + 1}"

    end = text.find("]>", pos)
    declaration = text[pos : end + 2 if end >= 0 else len(text)]
    external = _EXTERNAL_ENTITY_RE.search(declaration)
    if external:
        raise HostileStatement(
            path,
            f"the XML declares an external entity ({external['name']} -> {external['uri']}), which would "
            f"make the reader open another file or a web address; {_REFUSAL_ADVICE}",
            place=line_at(pos + external.start()),
        )
    entities = _ENTITY_RE.findall(declaration)
    if entities:
        first = _ENTITY_RE.search(declaration)
        assert first is not None
        raise HostileStatement(
            path,
            f"the XML declares {len(entities)} entit{'y' if len(entities) == 1 else 'ies'} in a DOCTYPE, "
            f"which can expand to gigabytes (a 'billion laughs' attack); {_REFUSAL_ADVICE}",
            place=line_at(pos + first.start()),
        )
    dtd = _EXTERNAL_DTD_RE.match(declaration)
    if dtd:
        raise HostileStatement(
            path,
            f"the XML refers to an external DTD ({dtd['uri']}), which would make the reader fetch it; "
            f"{_REFUSAL_ADVICE}",
            place=line_at(pos),
        )
    raise HostileStatement(
        path,
        f"the XML carries a DOCTYPE declaration, the way entity attacks get in; {_REFUSAL_ADVICE}",
        place=line_at(pos),
    )
