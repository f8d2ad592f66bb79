"""The MT940 `:86:` field (information to account owner): who paid, for what, with which references.

Banks fill this free-format field (SWIFT: 6*65x) in one of four layouts, recognised by content:

    subfields   166?00GUTSCHRIFT?20EREF+X?21SVWZ+Rechnung 12?32Name?38IBAN   German ZKA/DFÜ layout; Polish
                and Dutch banks use it with ~ < ^ > or + instead of ?; SEPA keywords inside the title
    slash keys  /TRTP/SEPA OVERBOEKING/IBAN/NL../NAME/X/REMI/Factuur 12       ABN AMRO, Rabobank, ING NL,
                Knab, bunq (the SWIFT structured-narrative codes)
    colon keys  911 TRANSAKCJA IPH; Z RACH.: 0410...; OD: NAME; TYT.: FV 12   mBank
                FACTUUR 2014 REK: NL65INGB0123456789/NAAM: PICQER              Knab (before SEPA)
    free text   anything else, read as one text

It never raises: text that does not fit its layout is kept as free text, because a line must never be
lost over its description.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from schwifty import registry
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649

from reconcile.statements.base import LineIds

# ZKA/DFÜ "Spezifikation der Datenformate", MT940 field 86: every subfield holds at most 27 characters.
SUBFIELD_WIDTH = 27
# SWIFT: a line of a field holds at most 65 characters.
LINE_WIDTH = 65
# Banks that write the slash-key layout fold it into lines a little short of 65 (ABN AMRO at 62-64,
# Rabobank at 65), usually in the middle of a word.
KEYED_FOLD_WIDTH = 60

# Subfield codes of the ZKA layout (20-29 and 60-63 title, 32-33 name); Polish banks use the same codes.
_TITLE_CODES = frozenset({"20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
                          "60", "61", "62", "63", "64", "65"})  # 64-65: BIL (LU) continues to 65
_NAME_CODES = ("32", "33")
_TITLE, _NAME = "title", "name"
_SUBFIELD_KIND = {**dict.fromkeys(_TITLE_CODES, _TITLE), **dict.fromkeys(_NAME_CODES, _NAME)}

# SEPA keywords inside the ZKA title ("Belegung der Verwendungszweckzeilen", DFÜ-Abkommen Anlage 3).
SEPA_KEYWORDS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC",
                 "PURP", "MDAT", "SQTP", "ORCR", "ORMR", "DDAT", "COAM", "OAMT", "RTRN", "BREF")
_SEPA_KEYWORD_SET = frozenset(SEPA_KEYWORDS)

# A subfield layout: an optional three-digit business transaction code (GVC), a separator, two digits.
_SUBFIELDS_RE = re.compile(r"\s*(\d{3})?\s*([?~<^>+|])(\d\d)")

# SWIFT structured-narrative codes used by the Dutch banks (ABN AMRO, Rabobank, ING, Knab, bunq).
_SLASH_KEYS = ("ACCW", "ADDR", "BENM", "BBAN", "BIC", "CHGS", "CNTP", "CSID", "EREF", "EXCH", "IBAN", "ID",
               "ISDT", "MARF", "NAME", "OCMT", "ORDP", "PREF", "PURP", "REMI", "RTRN", "SVCL", "TRTP",
               "ULTB", "ULTC", "ULTD")
_SLASH_KEY_RE = re.compile(r"/(" + "|".join(_SLASH_KEYS) + r")/")
_STARTS_WITH_SLASH_KEY_RE = re.compile(r"\s*/(?:" + "|".join(_SLASH_KEYS) + r")/")

# mBank: "KEY: value" items separated by "; ", e.g. "; Z RACH.: 04105014611000002345271577; OD: ...".
_COLON_KEY_RE = re.compile(r";\s*([A-ZĄĆĘŁŃÓŚŹŻ][A-ZĄĆĘŁŃÓŚŹŻ. ]{0,29}?)\s?:\s")
_POLISH_ACCOUNT_RE = re.compile(r"\d{26}")
# ISO 13616: letters count as two digits, A = 10 ... Z = 35.
_LETTER_DIGITS = {ord(letter): str(ord(letter) - 55) for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
# Knab (before its SEPA layout): "<text> REK: <account>/NAAM: <name>" at the end of the free text.
_KNAB_RE = re.compile(r"(?:\bREK: ?(?P<account>[A-Z0-9]+) ?/ ?)?\bNAAM: ?(?P<name>[^/]+)$")


@dataclass(slots=True)  # not frozen: a frozen dataclass takes three times as long to build, per line
class Details:
    """What the `:86:` field says about one line; every field optional except the (maybe empty) text."""

    remittance: str = ""
    counterparty_name: str | None = None
    counterparty_account: str | None = None  # as the bank wrote it (IBAN or a local account number)
    counterparty_iban: str | None = None  # only when it is a valid IBAN
    end_to_end_id: str | None = None
    structured_ref: str | None = None
    gvc: str | None = None  # German "Geschäftsvorfallcode" (or mBank's operation code), e.g. "166"
    posting_text: str | None = None  # subfield 00, e.g. "GUTSCHRIFT"


def parse_details(field: str | Sequence[str]) -> Details:
    """Read the `:86:` field: its text without the tag, line breaks kept (or its lines, as a list)."""
    text = field if isinstance(field, str) else "\n".join(field)
    if "\n\n" in text or "\n " in text or text[:1].isspace():  # blank lines: drop them first
        text = "\n".join(part for part in text.split("\n") if part and not part.isspace())
    if not text:
        return Details()
    subfields = _SUBFIELDS_RE.match(text)
    if subfields and "\n" not in text[: subfields.end()]:
        # Subfields carry their own structure: the line breaks are only SWIFT's 65-character folding.
        return _parse_subfields(text.replace("\n", ""), subfields.group(2), subfields.group(1))
    lines = text.split("\n")
    first = lines[0]
    if _STARTS_WITH_SLASH_KEY_RE.match(first):
        return _parse_slash_keys(_join_keyed_lines(lines))
    text = join_free_text(lines)
    keys = _SLASH_KEY_RE.search(text)
    if keys and _SLASH_KEY_RE.search(text, keys.end() - 1):
        # ASN Bank opens with "<IBAN> <name>" and then writes the slash keys (at least two of them).
        return _parse_slash_keys(text[keys.start() :])
    if ": " in text:
        keyed = _parse_colon_keys(text) if ";" in text else None
        if keyed is None and "NAAM:" in text:
            keyed = _parse_knab(text)
        if keyed is not None:
            return keyed
    return Details(remittance=text)


def clean_text(text: str) -> str:
    """Strip and collapse whitespace (tabs, runs of spaces, line breaks) to single spaces."""
    return " ".join(text.split())


def join_free_text(lines: Sequence[str]) -> str:
    """Join the lines of a free-text field without inventing or losing a space.

    A line that ends or the next that begins with whitespace is joined as it is. A line filled to the
    SWIFT width of 65 characters was folded by the bank, possibly inside a word, and is joined without a
    space (PostFinance: "...XXXXXXXXSTR" + "ASSE 111"). A shorter line ended where the writer ended it,
    so a space goes between (ASN, ING: "...j blom" + "Salaris december").
    """
    out: list[str] = []
    previous = ""
    for index, line in enumerate(lines):
        if (index and previous and line and not previous[-1].isspace() and not line[0].isspace()
                and len(previous) < LINE_WIDTH):
            out.append(" ")
        out.append(line)
        previous = line
    return clean_text("".join(out))


def join_subfields(parts: Sequence[str], *, width: int = SUBFIELD_WIDTH, keywords: bool = False) -> str:
    """Join title (or name) subfields into one text, without inventing spaces inside words.

    Banks cut the text into subfields of `width` (27) characters. A subfield filled to exactly that width
    was cut by length, so the next one continues the same word ("TENAAMSTELLING TEGENREKENIN" +
    "G EN ADRES"): join without a space. A shorter subfield ended where the writer wanted, so a space
    goes between. Only exactly `width` counts: a longer subfield comes from a bank with wider subfields
    that did not cut by length. With `keywords`, a subfield that opens with a SEPA keyword always starts
    a new item (a keyword never continues a word). Trailing spaces inside a full subfield are kept until
    the end, then all whitespace is collapsed.
    """
    if len(parts) == 1:
        return clean_text(parts[0])
    out: list[str] = []
    previous: str | None = None
    for part in parts:
        if previous is not None and (len(previous) != width or (keywords and _starts_with_keyword(part))):
            out.append(" ")
        out.append(part)
        previous = part
    return clean_text("".join(out))


def _starts_with_keyword(part: str) -> bool:
    part = part.lstrip()
    keywords = _SEPA_KEYWORD_SET
    return (part[4:5] == "+" and part[:4] in keywords) or (part[3:4] == "+" and part[:3] in keywords)


@lru_cache(maxsize=65536)
def iban_or_none(text: str | None) -> str | None:
    """The text as an IBAN (upper case, no spaces) when it is a valid one, else None.

    Valid as schwifty's `IBAN(x, validate_bban=False)` has it: the country's length and BBAN format from
    schwifty's registry, and the ISO 7064 mod 97-10 check digits (02 to 98). Building an IBAN object costs
    four times as much, which shows when every line names a different payer.
    """
    if not text:
        return None
    compact = "".join(text.split()).upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return None
    try:
        spec = registry.get_iban_spec(compact[:2])
    except SchwiftyException:
        return None
    if len(compact) != spec.iban_length or not spec.regex.match(compact[4:]):
        return None
    if not "02" <= compact[2:4] <= "98" or int((compact[4:] + compact[:4]).translate(_LETTER_DIGITS)) % 97 != 1:
        return None
    return compact


def creditor_reference(text: str) -> str | None:
    """An ISO 11649 creditor reference (RF..) at the start of a remittance text, when valid."""
    if not text or text[:2].upper() != "RF":
        return None
    candidate = text.split(" ", 1)[0].upper()
    return candidate if iso11649.is_valid(candidate) else None


# -- subfield layout ---------------------------------------------------------------------------------


# The common case in one C call: "?" + two digits opens a subfield, which runs to the next "?".
_QUESTION_SUBFIELD_RE = re.compile(r"\?(\d\d)([^?]*)")


def _split_subfields(text: str, separator: str) -> list[tuple[str, str]]:
    """(code, content) of each subfield. A separator not followed by two digits is text (it stays in the
    content), and with "+" as separator so is the "+" that ends a SEPA keyword ("EREF+12" is no subfield 12).
    """
    parts = text.split(separator)
    out: list[tuple[str, str]] = []
    for part in parts[1:]:
        code = part[:2]
        keyword_plus = separator == "+" and out and _ends_with_keyword(out[-1][1])
        if len(code) == 2 and code.isdigit() and not keyword_plus:
            out.append((code, part[2:]))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + separator + part)
    return out


def _ends_with_keyword(text: str) -> bool:
    for width in (4, 3):
        begin = len(text) - width
        if begin >= 0 and text[begin:] in _SEPA_KEYWORD_SET and (begin == 0 or text[begin - 1] == " "):
            return True
    return False


def _parse_subfields(text: str, separator: str, gvc: str | None) -> Details:
    codes: dict[str, str] = {}
    title: list[str] = []
    names: list[str] = []
    kinds = _SUBFIELD_KIND
    subfields: list[tuple[str, str]] = []
    if separator == "?":
        subfields = _QUESTION_SUBFIELD_RE.findall(text)
        if len(subfields) != text.count("?"):  # a "?" that opens no subfield: take the careful way
            subfields = _split_subfields(text, separator)
    else:
        subfields = _split_subfields(text, separator)
    for code, content in subfields:
        kind = kinds.get(code)
        if kind is _TITLE:
            title.append(content)
        elif kind is _NAME:
            names.append(content)
        elif code not in codes:
            codes[code] = content
    if title and title[-1].endswith(separator):  # a dangling separator closes some fields (never a code)
        title[-1] = title[-1][: -len(separator)]
    title_text = join_subfields(title, keywords=True) if title else ""
    items, free = _sepa_items(title_text)
    remittance = items.get("SVWZ", free or title_text)
    account = (codes.get("38") or codes.get("31") or "").strip() or None
    iban = iban_or_none(codes.get("38")) or iban_or_none(codes.get("31"))
    if iban is None and "IBAN" in items:
        iban = iban_or_none(items["IBAN"])
    posting = codes.get("00")
    eref = items.get("EREF")
    return Details(
        remittance,
        join_subfields(names) or None if names else None,
        account,
        iban,
        LineIds.clean_ref(eref) if eref else None,
        creditor_reference(remittance) if remittance[:2].upper() == "RF" else None,
        gvc,
        posting.strip() or None if posting else None,
    )


def _sepa_items(title: str) -> tuple[dict[str, str], str]:
    """The SEPA keyword items of a joined title ("EREF+x SVWZ+y") and the free text before the first.

    A keyword opens the title or follows a space, so the title is read word by word (it is already
    whitespace-collapsed); the first item of each keyword counts.
    """
    if "+" not in title:
        return {}, title
    keywords = _SEPA_KEYWORD_SET
    items: dict[str, str] = {}
    free: list[str] = []
    current: str | None = None
    words: list[str] = free
    for word in title.split(" "):
        keyword = word[:4] if word[4:5] == "+" else word[:3] if word[3:4] == "+" else None
        if keyword is not None and keyword in keywords:
            if current is not None and current not in items:
                items[current] = " ".join(words).strip()
            current, words = keyword, [word[len(keyword) + 1 :]]
        else:
            words.append(word)
    if current is None:
        return {}, title
    if current not in items:
        items[current] = " ".join(words).strip()
    return items, " ".join(free)


# -- slash-key layout --------------------------------------------------------------------------------


def _join_keyed_lines(lines: Sequence[str]) -> str:
    """Join slash-key lines: folded lines (near full width) or lines meeting at a "/" join directly."""
    out: list[str] = []
    previous = ""
    for index, line in enumerate(lines):
        if index and previous and line:
            direct = (
                len(previous) >= KEYED_FOLD_WIDTH
                or previous.endswith("/")
                or line.startswith("/")
                or previous[-1].isspace()
                or line[0].isspace()
            )
            if not direct:
                out.append(" ")
        out.append(line)
        previous = line
    return clean_text("".join(out))


def _parse_slash_keys(text: str) -> Details:
    matches = list(_SLASH_KEY_RE.finditer(text))
    items: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        items.setdefault(match.group(1), text[match.end() : end].strip().strip("/").strip())
    name = items.get("NAME") or None
    account = items.get("IBAN") or items.get("BBAN") or None
    if "CNTP" in items:  # ING: /CNTP/account/BIC/name/city/
        parts = items["CNTP"].split("/")
        account = account or (parts[0].strip() or None)
        if len(parts) > 2:
            name = name or (parts[2].strip() or None)
    remittance, structured = _remittance_item(items["REMI"]) if "REMI" in items else (text, None)
    return Details(
        remittance=remittance,
        counterparty_name=name,
        counterparty_account=account,
        counterparty_iban=iban_or_none(account),
        end_to_end_id=LineIds.clean_ref(items.get("EREF")),
        structured_ref=structured or creditor_reference(remittance),
        posting_text=items.get("TRTP") or None,
    )


def _remittance_item(value: str) -> tuple[str, str | None]:
    """ING writes /REMI/USTD//text/ (unstructured) or /REMI/STRD/CUR/reference/ (structured)."""
    if value.startswith("USTD/"):
        return value[5:].strip("/ "), None
    if value.startswith("STRD/"):
        parts = [p for p in value.split("/") if p]
        reference = parts[-1].strip() if len(parts) > 1 else ""
        return reference, reference or None
    return value, None


# -- colon-key layouts (mBank, Knab) ----------------------------------------------------------------


def _parse_colon_keys(text: str) -> Details | None:
    """mBank: "911 TRANSAKCJA IPH; Z RACH.: <26 digits>; OD: <name, address>; TYT.: <title>; TNR: ..."."""
    matches = list(_COLON_KEY_RE.finditer(text))
    items: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        items.setdefault(match.group(1), text[match.end() : end].strip(" ;"))
    if not items.keys() & {"TYT.", "OD", "DLA", "Z RACH.", "NA RACH.", "TNR"}:
        return None
    account = items.get("Z RACH.") or items.get("NA RACH.")
    iban = None
    if account and _POLISH_ACCOUNT_RE.fullmatch(account):
        iban = iban_or_none("PL" + account)  # a Polish NRB is an IBAN without its "PL"
    head = text[: matches[0].start()] if matches else text
    gvc = head[:3] if head[:3].isdigit() else None
    remittance = clean_text(items["TYT."]) if items.get("TYT.") else text
    return Details(
        remittance=remittance,
        counterparty_name=clean_text(items.get("OD") or items.get("DLA") or "") or None,
        counterparty_account=account,
        counterparty_iban=iban,
        structured_ref=creditor_reference(remittance),
        gvc=gvc,
    )


def _parse_knab(text: str) -> Details | None:
    match = _KNAB_RE.search(text)
    if not match:
        return None
    account = match["account"]
    return Details(
        remittance=text[: match.start()].strip() or text,
        counterparty_name=match["name"].strip() or None,
        counterparty_account=account,
        counterparty_iban=iban_or_none(account),
    )
