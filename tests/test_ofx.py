"""OfxReader: what it makes of OFX/QFX files, each test one behaviour, mostly on small hand-written files.

The files under fixtures/ofx/ keep exact bytes (encodings, BOM, a cut-off end); the others are built here so
that each test shows its input. The real-world samples are in test_ofx_samples.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ofxparse import OfxParser

from reconcile.errors import MalformedStatement
from reconcile.model import BankLine, ParsedFile
from reconcile.money import minor_units
from reconcile.statements.base import LineIds
from reconcile.statements.ofx import OfxReader, parse_timed
from reconcile.statements.writers.ofx import write_benchmark_file, write_ofx

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ofx"

SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def statement(transactions: str, *, curdef: str = "EUR", account: str = "<BANKID>10020030<ACCTID>1234567890",
              status: str = "<CODE>0<SEVERITY>INFO") -> str:  # fmt: skip
    """An OFX 1.x bank statement response (SGML, leaf tags open) around `transactions`."""
    return (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131<LANGUAGE>ENG"
        "</SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS>" + status + "</STATUS>\n"
        f"<STMTRS><CURDEF>{curdef}<BANKACCTFROM>{account}<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        "<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n" + transactions + "</BANKTRANLIST>\n"
        "<LEDGERBAL><BALAMT>500.00<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )


def txn(inner: str = "", *, posted: str = "20240115", amount: str = "100.00", fitid: str | None = "T1"
        ) -> str:  # fmt: skip
    fit = f"<FITID>{fitid}\n" if fitid is not None else ""
    return f"<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>{posted}\n<TRNAMT>{amount}\n{fit}{inner}</STMTTRN>\n"


def read(tmp_path: Path, text: str, name: str = "statement.ofx") -> ParsedFile:
    path = tmp_path / name
    path.write_text(SGML_HEADER + text, encoding="utf-8")
    return OfxReader().parse(path)


def only_line(parsed: ParsedFile) -> BankLine:
    (line,) = parsed.lines
    return line


# --- identify ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"OFXHEADER:100\r\nDATA:OFXSGML\r\n",
        b"\xef\xbb\xbf\r\n\r\nOFXHEADER:100\nDATA:OFXSGML\n",
        b'<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n<OFX>',
        b'<?xml version="1.0"?>\n<!-- exported -->\n<OFX>\n<SIGNONMSGSRSV1>',
        b"\r\n\r\n<OFX>\r\n    <SIGNONMSGSRSV1>",
    ],
    ids=["sgml-header", "bom-blank-lines", "ofx-pi", "xml-root-ofx", "bare-root"],
)
def test_identify_claims_ofx_headers_and_roots(head: bytes) -> None:
    assert OfxReader().identify(Path("x"), head)


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
        b":20:STARTUMSE\r\n:25:10020030/1234567890\r\n",
        b"Date;Amount;Payee\n2024-01-15;100.00;ACME\n",
        b"01,BANK,CUST,240115,1200,1,,,2/\n",
    ],
    ids=["camt", "mt940", "csv", "bai2"],
)
def test_identify_refuses_other_formats(head: bytes) -> None:
    assert not OfxReader().identify(Path("x"), head)


# --- headers and encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "name", "remittance"),
    [
        ("charset_none_utf8.ofx", "Zakład Usług Łódź", "Zapłata za FV/2024/001 – dziękujemy"),
        ("charset_iso_8859_1.ofx", "Müller Größe GmbH", "Rechnung RE-2024-17 Überweisung"),
        ("charset_1252.ofx", "Café Noël", "Facture F-88 – 150 €"),
        ("encoding_utf8_no_dash.ofx", "Jörg Weiß", "Zahlung für Auftrag 4711"),
        ("bom_blank_line.ofx", "Spółka Żuraw", "FV 12/2024"),
        ("ofx2_xml_non_ascii.ofx", "Bäckerei Groß & Söhne", "RE 2024-0042 Brötchen"),
    ],
    ids=["charset-none", "iso-8859-1", "cp1252-euro", "encoding-utf8", "bom-blank-line", "ofx2-xml"],
)
def test_headers_that_crash_ofxparse_are_read_with_their_letters(
    fixture: str, name: str, remittance: str
) -> None:
    line = only_line(OfxReader().parse(FIXTURES / fixture))
    assert (line.counterparty_name, line.remittance) == (name, remittance)


def test_utf8_text_under_a_1252_header_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "chase-like.qfx"
    path.write_bytes((SGML_HEADER + statement(txn("<NAME>Żabka Polska\n"))).encode("utf-8"))
    assert only_line(OfxReader().parse(path)).counterparty_name == "Żabka Polska"


def test_utf8_under_a_1252_header_is_said(tmp_path: Path) -> None:
    path = tmp_path / "chase-like.qfx"
    path.write_bytes((SGML_HEADER + statement(txn("<NAME>Żabka Polska\n"))).encode("utf-8"))
    assert OfxReader().parse(path).warnings == (
        "chase-like.qfx: the file says it is Windows-1252, but its letters are UTF-8; read as UTF-8",
    )


def test_a_declared_charset_is_kept_when_its_bytes_are_also_valid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "declared.ofx"
    header = SGML_HEADER.replace("CHARSET:1252", "CHARSET:1250")
    path.write_bytes((header + statement(txn("<NAME>NOWAK I SYNOWIE SPÓŁKA JAWNA\n"))).encode("cp1250"))
    parsed = OfxReader().parse(path)
    assert (only_line(parsed).counterparty_name, parsed.warnings) == ("NOWAK I SYNOWIE SPÓŁKA JAWNA", ())


def test_cp1250_without_a_charset_that_is_valid_utf8_is_read_as_cp1250_and_said(tmp_path: Path) -> None:
    path = tmp_path / "nocharset.ofx"
    header = SGML_HEADER.replace("CHARSET:1252", "CHARSET:NONE")
    path.write_bytes((header + statement(txn("<NAME>NOWAK I SYNOWIE SPÓŁKA JAWNA\n"))).encode("cp1250"))
    parsed = OfxReader().parse(path)
    assert only_line(parsed).counterparty_name == "NOWAK I SYNOWIE SPÓŁKA JAWNA"
    assert parsed.warnings == (
        "nocharset.ofx: no text encoding declared; read as Windows-1250, the one its letters fit (as UTF-8, "
        "'SPÓŁKA' would read 'SPӣKA'); check accented letters in names",
    )


def test_single_byte_text_under_a_utf8_header_is_read_as_cp1252_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.ofx"
    header = SGML_HEADER.replace("ENCODING:USASCII", "ENCODING:UTF-8")
    path.write_bytes((header + statement(txn("<NAME>Müller\n"))).encode("cp1252"))
    parsed = OfxReader().parse(path)
    assert only_line(parsed).counterparty_name == "Müller"
    assert any("was read as Windows-1252" in w for w in parsed.warnings)


def test_byte_undefined_in_cp1252_is_replaced_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "odd-byte.ofx"
    path.write_bytes((SGML_HEADER + statement(txn("<NAME>Caf\x81 Noir\n"))).encode("latin-1"))
    parsed = OfxReader().parse(path)
    assert only_line(parsed).counterparty_name == "Caf\ufffd Noir"
    assert parsed.warnings == (
        "odd-byte.ofx: 1 character is not valid in cp1252; shown as \ufffd in names and memos",
    )


# --- the header: damaged bytes fail, oddities warn ---------------------------------------------------------

OFX2_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
)


def read_with_header(tmp_path: Path, header: bytes, name: str = "statement.ofx") -> ParsedFile:
    """A one-payment statement under `header`, written byte for byte (no encoding cleans it up)."""
    path = tmp_path / name
    path.write_bytes(header + statement(txn()).encode("ascii"))
    return OfxReader().parse(path)


def test_nul_and_ff_bytes_in_a_header_value_fail_naming_the_line(tmp_path: Path) -> None:
    header = SGML_HEADER.replace("VERSION:102", "VERSION:1\x00\xff2").encode("latin-1")
    with pytest.raises(MalformedStatement) as caught:
        read_with_header(tmp_path, header)
    assert str(caught.value) == (
        "statement.ofx, header line 3: bytes 0x00 (NUL) and 0xFF in the header value of VERSION: an OFX "
        "header is plain ASCII text, so the file is damaged; download it again from the bank"
    )
    assert caught.value.place == "header line 3"


@pytest.mark.parametrize(
    ("header", "place", "found"),
    [
        (SGML_HEADER.replace("VERSION:102", "VERSION:\x00\x00\x00"), "header line 3",
         "a NUL byte (0x00) in the header value of VERSION"),
        (SGML_HEADER.replace("CHARSET", "CHAR\xffSET"), "header line 6", "byte 0xFF in a header key"),
        (SGML_HEADER.replace("SECURITY:NONE", "SECURITY:NONE\x1b[2J"), "header line 4",
         "byte 0x1B in the header value of SECURITY"),
        (SGML_HEADER.replace("NEWFILEUID:NONE", "NEWFILEUID:N\xe9NE"), "header line 9",
         "byte 0xE9 in the header value of NEWFILEUID"),
        ("\x00\n" + SGML_HEADER, "header line 1", "a NUL byte (0x00) in a header line"),
        (OFX2_HEADER.replace('VERSION="220"', 'VERSION="2\x0020"'), "header line 2",
         "a NUL byte (0x00) in the header value of VERSION"),
        (OFX2_HEADER.replace("standalone", "stand\xffalone"), "header line 1",
         "byte 0xFF in the XML declaration"),
        (OFX2_HEADER + "<!-- \x7f -->\n", "header line 3", "byte 0x7F in the text before <OFX>"),
    ],
    ids=["nul-value", "ff-key", "escape-value", "non-ascii-value", "nul-line", "ofx2-nul-value",
         "ofx2-ff-declaration", "ofx2-del-comment"],
)  # fmt: skip
def test_damaged_header_bytes_mean_no_money_is_read(
    tmp_path: Path, header: str, place: str, found: str
) -> None:
    # The whole file fails: not one of its payments reaches matching, and the message shows no raw byte.
    with pytest.raises(MalformedStatement) as caught:
        read_with_header(tmp_path, header.encode("latin-1"))
    assert (caught.value.place, caught.value.reason) == (
        place, f"{found}: an OFX header is plain ASCII text, so the file is damaged; download it again from the bank"
    )  # fmt: skip
    assert str(caught.value).isprintable()


def test_unknown_ofx1_version_is_read_with_a_warning_naming_it(tmp_path: Path) -> None:
    parsed = read_with_header(tmp_path, SGML_HEADER.replace("VERSION:102", "VERSION:999").encode("ascii"))
    assert only_line(parsed).amount == Decimal("100.00")
    assert parsed.warnings == (
        "statement.ofx, header line 3: VERSION 999 is not an OFX 1.x version (known: 102, 103, 151, 160); "
        "read as OFX 1.x",
    )


def test_unknown_ofx2_version_is_read_with_a_warning_naming_it(tmp_path: Path) -> None:
    parsed = read_with_header(tmp_path, OFX2_HEADER.replace('VERSION="220"', 'VERSION="999"').encode("ascii"))
    assert only_line(parsed).amount == Decimal("100.00")
    assert parsed.warnings == (
        "statement.ofx, header line 2: VERSION 999 is not an OFX 2.x version "
        "(known: 200, 201, 202, 203, 210, 211, 220); read as OFX 2.x",
    )


@pytest.mark.parametrize(
    ("header", "warning"),
    [
        (SGML_HEADER.replace("DATA:OFXSGML\n", "DATA:OFXSGML\nBANK:ACME\n"),
         "header line 3: BANK is not an OFX 1.x header key; ignored"),
        (SGML_HEADER.replace("SECURITY:NONE\n", ""),
         "header lines 1-8: the header has no SECURITY; read as OFX 1.x without it"),
        (SGML_HEADER.replace("DATA:OFXSGML\n", "DATA:OFXSGML\nexported by ACME online\n"),
         "header line 3: 'exported by ACME online' is not a KEY:VALUE header line; ignored"),
        (SGML_HEADER.replace("OFXHEADER:100", "OFXHEADER:1O0"),
         "header line 1: OFXHEADER 1O0 is not an OFX 1.x header version (known: 100); read as OFX 1.x"),
        (OFX2_HEADER.replace(' SECURITY="NONE" OLDFILEUID="NONE"', ""),
         "header line 2: the header has no SECURITY and OLDFILEUID; read as OFX 2.x without them"),
        (OFX2_HEADER.replace('NEWFILEUID="NONE"', 'NEWFILEUID="NONE" BANK="ACME"'),
         "header line 2: BANK is not an OFX 2.x header attribute; ignored"),
        (OFX2_HEADER.replace('VERSION="220"', "VERSION=220"),
         "header line 2: 'VERSION=220' in the <?OFX ...?> header is not NAME=\"VALUE\"; ignored"),
    ],
    ids=["unknown-key", "missing-key", "not-key-value", "ofxheader-typo", "ofx2-missing", "ofx2-unknown",
         "ofx2-unquoted"],
)  # fmt: skip
def test_odd_header_is_read_with_a_warning_naming_the_line(tmp_path: Path, header: str, warning: str) -> None:
    parsed = read_with_header(tmp_path, header.encode("ascii"))
    assert only_line(parsed).amount == Decimal("100.00")
    assert parsed.warnings[0] == f"statement.ofx, {warning}"


@pytest.mark.parametrize(
    "header",
    [
        SGML_HEADER,
        "\r\n\r\n" + SGML_HEADER.lower().replace("\n", "\r\n"),  # blank lines first, lower-case keys
        SGML_HEADER.replace("ENCODING:USASCII", "ENCODING:UTF8").replace("CHARSET:1252", "CHARSET:NONE"),
        SGML_HEADER.replace(":", ": "),  # a space after the colon (ofxtools allows it)
        SGML_HEADER.replace("\n", "\r\r\n"),  # Vanguard's line ends
        SGML_HEADER.replace("\n", "\r"),  # old Mac line ends
        OFX2_HEADER,
        OFX2_HEADER.replace('VERSION="220"', "VERSION='211'").replace("\n", "\r\n") + "<!-- Gruß -->\n",
        "",  # no header at all, as in ofxparse's empty_balance.ofx
    ],
    ids=["plain", "blank-lines-lower-case", "charset-none-utf8", "padded", "cr-cr-lf", "cr-only", "ofx2",
         "ofx2-single-quotes-comment", "none"],
)  # fmt: skip
def test_well_formed_header_gives_no_header_warning(tmp_path: Path, header: str) -> None:
    parsed = read_with_header(tmp_path, header.encode("utf-8"))
    assert (only_line(parsed).amount, parsed.warnings) == (Decimal("100.00"), ())


@pytest.mark.parametrize(
    "fixture", sorted(p.name for p in FIXTURES.glob("*.ofx") if p.name != "truncated.ofx")
)
def test_header_fixtures_give_no_header_warning(fixture: str) -> None:
    assert not [w for w in OfxReader().parse(FIXTURES / fixture).warnings if "header" in w]


# --- dates ------------------------------------------------------------------------------------------------


def test_booking_date_keeps_the_banks_local_date_at_midnight_cet() -> None:
    # ofxparse alone turns 20240115000000[+1:CET] into 2024-01-14 23:00 UTC.
    line = only_line(OfxReader().parse(FIXTURES / "dtposted_cet_midnight.ofx"))
    assert line.booking_date == date(2024, 1, 15)


def test_booking_date_keeps_the_banks_local_date_late_in_the_evening_est(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn(posted="20240115230000.000[-5:EST]"))))
    assert line.booking_date == date(2024, 1, 15)


def test_value_date_is_dtavail(tmp_path: Path) -> None:
    text = statement(txn("<NAME>ACME\n").replace("<TRNAMT>", "<DTUSER>20240112\n<DTAVAIL>20240116\n<TRNAMT>"))
    assert only_line(read(tmp_path, text)).value_date == date(2024, 1, 16)


def test_value_date_falls_back_to_dtuser(tmp_path: Path) -> None:
    text = statement(txn("<NAME>ACME\n").replace("<TRNAMT>", "<DTUSER>20240112000000[+1:CET]\n<TRNAMT>"))
    assert only_line(read(tmp_path, text)).value_date == date(2024, 1, 12)


def test_all_zero_dtuser_means_no_value_date(tmp_path: Path) -> None:
    text = statement(txn("<NAME>ACME\n").replace("<TRNAMT>", "<DTUSER>00000000\n<TRNAMT>"))
    assert only_line(read(tmp_path, text)).value_date is None


# --- fields -----------------------------------------------------------------------------------------------


def test_lines_without_fitid_have_no_bank_ref_and_distinct_ids(tmp_path: Path) -> None:
    twice = txn("<NAME>CARD SHOP\n", fitid=None) * 2
    first, second = read(tmp_path, statement(twice)).lines
    assert (first.bank_ref, second.bank_ref) == (None, None)
    assert first.line_id != second.line_id


def test_line_ids_are_the_same_when_the_file_is_read_again(tmp_path: Path) -> None:
    text = statement(txn("<NAME>ACME\n", fitid="A1") + txn("<NAME>ACME\n", fitid=None))
    first_read, second_read = read(tmp_path, text), read(tmp_path, text)
    assert [ln.line_id for ln in first_read.lines] == [ln.line_id for ln in second_read.lines]


def test_counterparty_iban_comes_from_bankacctto(tmp_path: Path) -> None:
    to = (
        "<NAME>ACME\n<BANKACCTTO><BANKID>10901014<ACCTID>pl61 1090 1014 0000 0712 1981 2874"
        "<ACCTTYPE>CHECKING</BANKACCTTO>\n"
    )
    assert only_line(read(tmp_path, statement(txn(to)))).counterparty_iban == "PL61109010140000071219812874"


def test_counterparty_account_that_is_not_an_iban_is_not_given_as_one(tmp_path: Path) -> None:
    to = "<NAME>ACME\n<CCACCTTO><ACCTID>4111111111111111</CCACCTTO>\n"
    assert only_line(read(tmp_path, statement(txn(to)))).counterparty_iban is None


def test_payee_aggregate_name_is_the_counterparty(tmp_path: Path) -> None:
    payee = "<PAYEE><NAME>ACME Sp. z o.o.<ADDR1>ul. Długa 1<CITY>Gdańsk<POSTALCODE>80-001<PHONE>123</PAYEE>\n"
    assert only_line(read(tmp_path, statement(txn(payee)))).counterparty_name == "ACME Sp. z o.o."


def test_remittance_is_the_memo_with_whitespace_collapsed(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn("<NAME>ACME\n<MEMO>  FV/2024/17    order   88 \n"))))
    assert line.remittance == "FV/2024/17 order 88"


def test_remittance_is_the_name_when_there_is_no_memo(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn("<NAME>FV 2024/17 ACME\n"))))
    assert line.remittance == "FV 2024/17 ACME"


def test_bank_tx_code_is_the_trntype(tmp_path: Path) -> None:
    text = statement(txn("<NAME>ACME\n").replace("<TRNTYPE>CREDIT", "<TRNTYPE>directdep"))
    assert only_line(read(tmp_path, text)).bank_tx_code == "DIRECTDEP"


def test_currency_aggregate_gives_the_line_its_currency(tmp_path: Path) -> None:
    inner = "<NAME>ACME\n<CURRENCY><CURRATE>4.31<CURSYM>EUR</CURRENCY>\n"
    assert only_line(read(tmp_path, statement(txn(inner), curdef="PLN"))).currency == "EUR"


def test_origcurrency_aggregate_leaves_the_line_in_the_statement_currency(tmp_path: Path) -> None:
    # OFX 2.2 section 5.2: with ORIGCURRENCY the amount is already converted to CURDEF.
    inner = "<NAME>ACME\n<ORIGCURRENCY><CURRATE>4.31<CURSYM>EUR</ORIGCURRENCY>\n"
    assert only_line(read(tmp_path, statement(txn(inner), curdef="PLN"))).currency == "PLN"


def test_amount_is_exactly_as_written(tmp_path: Path) -> None:
    assert only_line(read(tmp_path, statement(txn(amount="+00000000000115.8331")))).amount.as_tuple() == (
        Decimal("115.8331").as_tuple()
    )


def test_amount_with_a_decimal_comma_is_read(tmp_path: Path) -> None:
    # OFX 2.2 section 3.2.9.1 allows a comma as the decimal separator.
    assert only_line(read(tmp_path, statement(txn(amount="-1250,50")))).amount == Decimal("-1250.50")


def test_ofx_entities_are_decoded_and_a_lone_ampersand_is_kept(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn("<NAME>M&amp;S &lt;UK&gt;\n<MEMO>AT&T &copy 2024\n"))))
    assert (line.counterparty_name, line.remittance) == ("M&S <UK>", "AT&T &copy 2024")


def test_empty_element_without_end_tag_does_not_swallow_the_next_ones(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn("<NAME>\n<MEMO>FV/9\n", fitid="K9"))))
    assert (line.counterparty_name, line.remittance, line.bank_ref) == (None, "FV/9", "K9")


def test_account_is_the_iban_when_acctid_is_one(tmp_path: Path) -> None:
    account = "<BANKID>10901014<ACCTID>PL61 1090 1014 0000 0712 1981 2874"
    (st_,) = read(tmp_path, statement(txn(), account=account)).statements
    assert st_.account == "PL61109010140000071219812874"


def test_account_is_bankid_slash_acctid_otherwise(tmp_path: Path) -> None:
    account = "<BANKID>160000100<BRANCHID>00<ACCTID>12300 000012345678"
    (st_,) = read(tmp_path, statement(txn(), account=account)).statements
    assert st_.account == "160000100/12300 000012345678"


def test_closing_balance_is_the_ledger_balance_and_opening_stays_unknown(tmp_path: Path) -> None:
    (st_,) = read(tmp_path, statement(txn())).statements
    assert (st_.opening, st_.closing and st_.closing.amount, st_.closing and st_.closing.on) == (
        None, Decimal("500.00"), date(2024, 1, 31),
    )  # fmt: skip


def test_pending_transactions_are_counted_not_read(tmp_path: Path) -> None:
    pending = (
        "<BANKTRANLISTP><DTASOF>20240131<STMTTRNP><TRNTYPE>DEBIT<DTTRAN>20240131<TRNAMT>-5.00<NAME>X"
        "</STMTTRNP></BANKTRANLISTP>\n"
    )
    text = statement(txn()).replace("<LEDGERBAL>", pending + "<LEDGERBAL>")
    (st_,) = read(tmp_path, text).statements
    assert (len(st_.lines), st_.pending_count) == (1, 1)


def test_bank_and_card_statements_in_one_file_stay_apart_in_file_order(tmp_path: Path) -> None:
    card = (
        "<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>2<STATUS><CODE>0<SEVERITY>INFO</STATUS><CCSTMTRS>"
        "<CURDEF>USD<CCACCTFROM><ACCTID>4111111111111111</CCACCTFROM><BANKTRANLIST>"
        + txn("<NAME>SHOP\n", amount="-9.99", fitid="C1")
        + "</BANKTRANLIST><LEDGERBAL><BALAMT>-9.99<DTASOF>20240131</LEDGERBAL></CCSTMTRS></CCSTMTTRNRS>"
        "</CREDITCARDMSGSRSV1>"
    )
    # The card statement comes first in the file; ofxparse would list the bank one first.
    text = statement(txn(fitid="B1")).replace("<BANKMSGSRSV1>", card + "<BANKMSGSRSV1>")
    parsed = read(tmp_path, text)
    assert [(s.account, s.currency, [ln.bank_ref for ln in s.lines]) for s in parsed.statements] == [
        ("4111111111111111", "USD", ["C1"]),
        ("10020030/1234567890", "EUR", ["B1"]),
    ]


def test_lines_carry_the_file_and_format(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, statement(txn()), name="jan.qfx"))
    assert (line.source_file, line.source_format) == (str(tmp_path / "jan.qfx"), "ofx")


def test_ofxparse_own_class_settings_are_left_alone(tmp_path: Path) -> None:
    read(tmp_path, statement(txn()))
    assert "fail_fast" not in vars(OfxParser)


# --- problems ---------------------------------------------------------------------------------------------


def test_truncated_file_fails_at_its_end() -> None:
    with pytest.raises(MalformedStatement) as caught:
        OfxReader().parse(FIXTURES / "truncated.ofx")
    assert (caught.value.place, "cut short" in caught.value.reason) == ("line 28, end of file", True)


def test_unreadable_amount_fails_naming_the_transaction_and_element(tmp_path: Path) -> None:
    text = statement(txn(fitid="OK1") + txn(amount="12.x0", fitid="BAD2"))
    with pytest.raises(MalformedStatement) as caught:
        read(tmp_path, text)
    assert str(caught.value) == (
        "statement.ofx, line 21, STMTTRN[2]/TRNAMT: a transaction cannot be read, so nothing was imported "
        "from this file: transaction 2 (FITID BAD2, line 21): TRNAMT '12.x0' is not a valid amount"
    )


def test_all_zero_booking_date_fails(tmp_path: Path) -> None:
    with pytest.raises(MalformedStatement, match=r"DTPOSTED '00000000' is not a valid booking date"):
        read(tmp_path, statement(txn(posted="00000000")))


def test_line_without_any_currency_fails(tmp_path: Path) -> None:
    text = statement(txn()).replace("<CURDEF>EUR", "")
    with pytest.raises(MalformedStatement, match="has no currency"):
        read(tmp_path, text)


def test_currency_that_is_not_iso_fails_with_its_place(tmp_path: Path) -> None:
    with pytest.raises(MalformedStatement) as caught:
        read(tmp_path, statement(txn(), curdef="US$"))
    assert caught.value.place == "line 13, STMTRS/CURDEF"


def test_error_status_of_a_statement_fails_with_the_banks_words(tmp_path: Path) -> None:
    text = statement("", status="<CODE>2003<SEVERITY>ERROR<MESSAGE>Account not found")
    with pytest.raises(MalformedStatement) as caught:
        read(tmp_path, text)
    assert caught.value.reason == "the bank answered with an error: Account not found (code 2003)"


def test_warning_status_is_passed_on_as_a_warning(tmp_path: Path) -> None:
    text = statement(txn(), status="<CODE>2019<SEVERITY>WARN<MESSAGE>Duplicate request")
    assert read(tmp_path, text).warnings == (
        "statement.ofx: the bank answered with a warning: Duplicate request (code 2019)",
    )


def test_transaction_outside_any_statement_fails_even_beside_a_good_statement(tmp_path: Path) -> None:
    text = statement(txn(fitid="IN1")).replace("</BANKMSGSRSV1>", txn(fitid="OUT1") + "</BANKMSGSRSV1>")
    with pytest.raises(MalformedStatement) as caught:
        read(tmp_path, text)
    assert (caught.value.place, caught.value.reason) == (
        "line 22, STMTTRN",
        "holds transactions outside any statement (STMTRS, CCSTMTRS or INVSTMTRS)",
    )


def test_file_without_ofx_element_fails(tmp_path: Path) -> None:
    with pytest.raises(MalformedStatement, match="there is no <OFX> element"):
        read(tmp_path, "<HTML><BODY>Session expired</BODY></HTML>\n")


def test_ofxparse_failure_on_the_envelope_becomes_a_malformed_statement(tmp_path: Path) -> None:
    # ofxparse reads INVBAL amounts without catching anything, even with fail_fast=False.
    text = (
        "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><INVSTMTRS>"
        "<DTASOF>20240131<CURDEF>USD<INVACCTFROM><BROKERID>broker.example<ACCTID>X1</INVACCTFROM>"
        "<INVBAL><AVAILCASH>n/a<MARGINBALANCE>0<SHORTBALANCE>0</INVBAL>"
        "</INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>\n"
    )
    with pytest.raises(MalformedStatement, match=r"the OFX structure cannot be read \(InvalidOperation"):
        read(tmp_path, text)


# --- timing, writer, round trip ---------------------------------------------------------------------------


def test_parse_timed_reports_the_seconds_inside_ofxparse(tmp_path: Path) -> None:
    path = tmp_path / "s.ofx"
    path.write_text(SGML_HEADER + statement(txn()), encoding="ascii")
    parsed, inside = parse_timed(path)
    assert len(parsed.lines) == 1 and inside > 0


def test_benchmark_file_is_sgml_with_open_leaf_tags_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "bench.ofx"
    write_benchmark_file(path, 300)
    data = path.read_bytes()
    assert b"<TRNAMT>" in data and b"</TRNAMT>" not in data
    assert len(OfxReader().parse(path).lines) == 300


POLISH_GERMAN = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜ"
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PUNCTUATION = " .,-/&<>'\"()#:;+%"
IBANS = ["PL61109010140000071219812874", "DE89370400440532013000", "GB82WEST12345698765432", None]
TRNTYPES = ["CREDIT", "DEBIT", "XFER", "DIRECTDEP", "POS", "CHECK", "FEE"]


def text_field(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=max_size).map(lambda s: " ".join(s.split()))


@st.composite
def statements(draw: st.DrawFn) -> tuple[list[BankLine], str, str, str]:
    flavour = draw(st.sampled_from(["sgml", "xml"]))
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    letters = ASCII + ("äöüßÄÖÜé" if encoding == "cp1252" else POLISH_GERMAN)
    currency = draw(st.sampled_from(["EUR", "PLN", "JPY", "KWD"]))
    refs = st.text(alphabet=ASCII + "-_/.:#&", min_size=1, max_size=30)
    refs = refs.filter(lambda r: LineIds.clean_ref(r) == r)  # NONE, N/A... read back as no reference
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        line_currency = draw(st.sampled_from([currency, currency, "USD"]))
        cents = draw(st.integers(-(10**9), 10**9))
        lines.append(
            BankLine(
                line_id="",
                bank_ref=draw(st.none() | refs),
                account="",
                currency=line_currency,
                amount=Decimal(cents).scaleb(-minor_units(line_currency)),
                booking_date=draw(st.dates(date(2000, 1, 1), date(2035, 12, 31))),
                value_date=draw(st.none() | st.dates(date(2000, 1, 1), date(2035, 12, 31))),
                counterparty_name=draw(st.none() | text_field(letters + PUNCTUATION, 40).filter(bool)),
                counterparty_iban=draw(st.sampled_from(IBANS)),
                remittance=draw(st.just("") | text_field(letters + PUNCTUATION, 140)),
                bank_tx_code=draw(st.sampled_from(TRNTYPES)),
            )
        )
    return lines, currency, flavour, encoding


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=statements(), account=st.sampled_from(["DE89370400440532013000", "160000100/12300 000012345678"]))
def test_written_statement_reads_back_unchanged(
    tmp_path: Path, case: tuple[list[BankLine], str, str, str], account: str
) -> None:
    lines, currency, flavour, encoding = case
    path = tmp_path / f"roundtrip-{flavour}-{encoding}.ofx"
    path.write_bytes(write_ofx(lines, account=account, currency=currency, opening=Decimal("10"),
                               flavour=flavour, encoding=encoding))  # type: ignore[arg-type]  # fmt: skip
    (st_,) = OfxReader().parse(path).statements
    expected = [
        (ln.amount, ln.currency, ln.booking_date, ln.value_date, ln.bank_ref, ln.counterparty_name,
         ln.counterparty_iban, ln.remittance or ln.counterparty_name or "", ln.bank_tx_code, account)
        for ln in lines
    ]  # fmt: skip
    got = [
        (ln.amount, ln.currency, ln.booking_date, ln.value_date, ln.bank_ref, ln.counterparty_name,
         ln.counterparty_iban, ln.remittance, ln.bank_tx_code, ln.account)
        for ln in st_.lines
    ]  # fmt: skip
    assert got == expected
    decimals = [ln.amount.as_tuple().exponent for ln in lines]
    assert [ln.amount.as_tuple().exponent for ln in st_.lines] == decimals
    in_currency = sum((ln.amount for ln in lines if ln.currency == currency), Decimal(0))
    assert st_.closing is not None and st_.closing.amount == Decimal("10") + in_currency
