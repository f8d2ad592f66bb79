"""The camt.052/053/054 reader: what each element becomes, what is refused and with which words.

Small statements are written inline, element by element, so each test shows the XML it is about; broken
files live in tests/fixtures/camt/ with the exact message a person gets for each.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.errors import HostileStatement, MalformedStatement, StatementError, UnrecognisedStatement
from reconcile.model import BankLine, ParsedFile
from reconcile.money import minor_units
from reconcile.statements import xmlguard
from reconcile.statements.base import LineIds, balance_warnings
from reconcile.statements.camt import CamtReader
from reconcile.statements.writers.camt import write_benchmark_file, write_camt053
from reconcile.statements.xmlguard import MAX_XML_BYTES

FIXTURES = Path(__file__).parent / "fixtures" / "camt"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
OUR_IBAN = "DE89370400440532013000"


def camt(
    entries: str,
    *,
    ns: str | None = NS,
    balances: str = "",
    account: str = f"<IBAN>{OUR_IBAN}</IBAN>",
    message: str = "BkToCstmrStmt",
    container: str = "Stmt",
) -> str:
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document{xmlns}><{message}>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-03-01T06:00:00</CreDtTm></GrpHdr>\n"
        f"<{container}><Id>STMT-1</Id><Acct><Id>{account}</Id></Acct>{balances}\n{entries}\n"
        f"</{container}></{message}></Document>\n"
    )


def ntry(
    amount: str = "10.00",
    indicator: str = "CRDT",
    *,
    currency: str = "EUR",
    status: str = "<Sts>BOOK</Sts>",
    booked: str = "<BookgDt><Dt>2024-02-29</Dt></BookgDt>",
    before_details: str = "",
    details: str = "",
    after_details: str = "",
) -> str:
    dtls = f"<NtryDtls>{details}</NtryDtls>" if details else ""
    return (
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{status}{booked}'
        f"{before_details}{dtls}{after_details}</Ntry>\n"
    )


def tx(inner: str = "") -> str:
    return f"<TxDtls>{inner}</TxDtls>"


def read(tmp_path: Path, xml: str | bytes, name: str = "statement.xml") -> ParsedFile:
    path = tmp_path / name
    path.write_bytes(xml.encode("utf-8") if isinstance(xml, str) else xml)
    return CamtReader().parse(path)


def only_line(parsed: ParsedFile) -> BankLine:
    (line,) = parsed.lines
    return line


def refusal(tmp_path: Path, xml: str) -> str:
    with pytest.raises(StatementError) as caught:
        read(tmp_path, xml)
    return str(caught.value)


# -- identify ---------------------------------------------------------------------------------------------


def test_identify_claims_a_camt053_by_its_namespace() -> None:
    assert CamtReader().identify(Path("x"), camt(ntry()).encode())


def test_identify_claims_a_camt_file_without_namespace_by_its_message_element() -> None:
    head = camt(ntry(), ns=None, message="BkToCstmrDbtCdtNtfctn", container="Ntfctn").encode()
    assert CamtReader().identify(Path("x"), head)


def test_identify_claims_a_utf16_camt_file() -> None:
    assert CamtReader().identify(Path("x"), camt(ntry()).encode("utf-16"))


def test_identify_does_not_claim_ofx2_xml() -> None:
    ofx = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE"?>\n'
        b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR</CURDEF><BANKTRANLIST><STMTTRN>"
        b"<TRNTYPE>CREDIT</TRNTYPE><TRNAMT>10.00</TRNAMT><MEMO>camt.053 import test</MEMO>"
        b"</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    assert not CamtReader().identify(Path("x"), ofx)


def test_identify_does_not_claim_a_pain001_payment_order() -> None:
    pain = b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
    assert not CamtReader().identify(Path("x"), pain)


def test_identify_does_not_claim_text_mentioning_camt() -> None:
    assert not CamtReader().identify(Path("x"), b"Date;Amount;Text\n2024-01-01;10;BkToCstmrStmt camt.053\n")


# -- amounts, signs, status -------------------------------------------------------------------------------


def test_a_credit_is_positive_and_a_debit_negative(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry("10.00", "CRDT") + ntry("2.50", "DBIT")))
    assert [line.amount for line in parsed.lines] == [Decimal("10.00"), Decimal("-2.50")]


def test_amounts_are_kept_exactly_as_written(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry("8.850"))))
    assert str(line.amount) == "8.850"


def test_a_reversal_keeps_the_sign_the_bank_booked(tmp_path: Path) -> None:
    # A returned credit: RvslInd true, booked as a debit, so money left the account.
    reversal = ntry("10.00", "DBIT", status="<RvslInd>true</RvslInd><Sts>BOOK</Sts>")
    assert only_line(read(tmp_path, camt(reversal))).amount == Decimal("-10.00")


def test_pending_and_information_entries_are_counted_not_read(tmp_path: Path) -> None:
    entries = (
        ntry("1.00", status="<Sts>PDNG</Sts>")
        + ntry("2.00", status="<Sts><Cd>INFO</Cd></Sts>")
        + ntry("3.00", status="<Sts><Cd>BOOK</Cd></Sts>")
    )
    (statement,) = read(tmp_path, camt(entries)).statements
    assert [line.amount for line in statement.lines] == [Decimal("3.00")]
    assert statement.pending_count == 2


def test_an_entry_without_status_is_read_as_booked(tmp_path: Path) -> None:
    assert only_line(read(tmp_path, camt(ntry(status="")))).amount == Decimal("10.00")


def test_a_negative_amount_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, camt(ntry("-5.00"))) == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]/Amt: the amount '-5.00' is not a camt amount "
        "(digits and a decimal point; the sign is in CdtDbtInd)"
    )


def test_an_amount_without_currency_is_refused(tmp_path: Path) -> None:
    xml = camt(ntry()).replace('<Amt Ccy="EUR">', "<Amt>")
    assert refusal(tmp_path, xml) == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]/Amt: the amount 10.00 has no valid currency (Ccy='')"
    )


def test_an_entry_without_credit_debit_indicator_is_refused(tmp_path: Path) -> None:
    xml = camt(ntry()).replace("<CdtDbtInd>CRDT</CdtDbtInd>", "")
    assert refusal(tmp_path, xml) == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]/CdtDbtInd: does not say whether it is a credit or a "
        "debit (CdtDbtInd is missing)"
    )


# -- dates ------------------------------------------------------------------------------------------------


def test_a_datetime_with_offset_keeps_the_date_written_not_utc(tmp_path: Path) -> None:
    booked = "<BookgDt><DtTm>2024-01-15T00:30:00+01:00</DtTm></BookgDt>"
    value = "<ValDt><DtTm>2024-01-14T23:30:00-05:00</DtTm></ValDt>"
    line = only_line(read(tmp_path, camt(ntry(booked=booked + value))))
    assert (line.booking_date, line.value_date) == (date(2024, 1, 15), date(2024, 1, 14))


def test_an_entry_without_booking_date_is_booked_on_its_value_date(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry(booked="<ValDt><Dt>2024-02-27</Dt></ValDt>"))))
    assert line.booking_date == date(2024, 2, 27)


def test_undated_entries_take_the_statement_date_with_a_warning(tmp_path: Path) -> None:
    closing = (
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-07</Dt></Dt></Bal>"
    )
    parsed = read(tmp_path, camt(ntry(booked=""), balances=closing))
    assert only_line(parsed).booking_date == date(2024, 3, 7)
    assert parsed.warnings == (
        "statement.xml, Stmt[1]: 1 entry gives no booking or value date; the statement's date 2024-03-07 "
        "(its closing balance date) was used",
    )


def test_an_impossible_date_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, camt(ntry(booked="<BookgDt><Dt>2024-02-30</Dt></BookgDt>"))) == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]/BookgDt/Dt: '2024-02-30' is not a valid date"
    )


# -- statements, accounts, balances ------------------------------------------------------------------------


def balance(code: str, amount: str, indicator: str = "CRDT", on: str = "2024-02-29") -> str:
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{on}</Dt></Dt></Bal>"
    )


def test_opening_and_closing_balances_are_read_signed(tmp_path: Path) -> None:
    balances = balance("OPBD", "5.00", "DBIT", "2024-02-01") + balance("CLBD", "5.00", on="2024-02-29")
    (statement,) = read(tmp_path, camt(ntry("10.00"), balances=balances)).statements
    assert statement.opening is not None and statement.closing is not None
    assert (statement.opening.amount, statement.opening.on) == (Decimal("-5.00"), date(2024, 2, 1))
    assert (statement.closing.amount, statement.closing.currency) == (Decimal("5.00"), "EUR")
    assert balance_warnings("statement.xml", [statement]) == []


def test_previous_closing_balance_opens_when_there_is_no_opbd(tmp_path: Path) -> None:
    balances = balance("PRCD", "7.00") + balance("CLAV", "99.00") + balance("CLBD", "17.00")
    (statement,) = read(tmp_path, camt(ntry("10.00"), balances=balances)).statements
    assert statement.opening is not None and statement.opening.amount == Decimal("7.00")


def test_the_account_is_the_iban_compacted(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry(), account="<IBAN>de89 3704 0044 0532 0130 00</IBAN>"))
    assert parsed.statements[0].account == OUR_IBAN == only_line(parsed).account


def test_the_account_is_the_bank_account_number_without_iban(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry(), account="<Othr><Id>0532013000</Id></Othr>"))
    assert only_line(parsed).account == "0532013000"


def test_a_statement_without_account_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, camt(ntry(), account="")) == (
        "statement.xml, line 3, element Stmt[1]: the statement does not say which account it is for "
        "(no Acct/Id/IBAN or Acct/Id/Othr/Id)"
    )


def test_line_carries_statement_id_source_and_format(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry(), container="Rpt", message="BkToCstmrAcctRpt"))
    line = only_line(parsed)
    assert (parsed.source_format, line.source_format) == ("camt.052", "camt.052")
    assert (line.statement_id, line.source_file) == ("STMT-1", str(tmp_path / "statement.xml"))


def test_a_notification_is_camt054(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry(), container="Ntfctn", message="BkToCstmrDbtCdtNtfctn"))
    assert only_line(parsed).source_format == "camt.054"


def test_a_file_without_namespace_is_read(tmp_path: Path) -> None:
    assert only_line(read(tmp_path, camt(ntry("1.23"), ns=None))).amount == Decimal("1.23")


def test_a_file_with_a_namespace_prefix_is_read(tmp_path: Path) -> None:
    xml = (
        f'<c:Document xmlns:c="{NS}"><c:BkToCstmrStmt><c:Stmt><c:Id>S</c:Id>'
        f"<c:Acct><c:Id><c:IBAN>{OUR_IBAN}</c:IBAN></c:Id></c:Acct>"
        '<c:Ntry><c:Amt Ccy="EUR">4.56</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd><c:Sts>BOOK</c:Sts>'
        "<c:BookgDt><c:Dt>2024-02-29</c:Dt></c:BookgDt></c:Ntry></c:Stmt></c:BkToCstmrStmt></c:Document>"
    )
    assert CamtReader().identify(Path("x"), xml.encode())
    assert only_line(read(tmp_path, xml)).amount == Decimal("-4.56")

def test_each_statement_of_a_file_keeps_its_own_lines(tmp_path: Path) -> None:
    second = f"<Stmt><Id>STMT-2</Id><Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id></Acct>{ntry('2.00')}</Stmt>"
    xml = camt(ntry("1.00")).replace("</Stmt>", "</Stmt>" + second)
    statements = read(tmp_path, xml).statements
    assert [(s.statement_id, [line.amount for line in s.lines]) for s in statements] == [
        ("STMT-1", [Decimal("1.00")]),
        ("STMT-2", [Decimal("2.00")]),
    ]


def test_long_statements_are_read_whole_while_read_entries_are_freed(tmp_path: Path) -> None:
    # Read entries are deleted from the tree in batches of a few hundred: every entry of either statement,
    # on both sides of a batch, must still become its line, in order.
    first = "".join(ntry(f"{n}.00") for n in range(1, 601))
    second = "".join(ntry(f"{n}.01") for n in range(1, 301))
    extra = f"<Stmt><Id>STMT-2</Id><Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id></Acct>{second}</Stmt>"
    statements = read(tmp_path, camt(first).replace("</Stmt>", "</Stmt>" + extra)).statements
    assert [[line.amount for line in s.lines] for s in statements] == [
        [Decimal(f"{n}.00") for n in range(1, 601)],
        [Decimal(f"{n}.01") for n in range(1, 301)],
    ]


# -- batches ----------------------------------------------------------------------------------------------


def tx_amount(amount: str, currency: str = "EUR") -> str:
    return f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{amount}</Amt></TxAmt></AmtDtls>'


def test_a_batch_booking_becomes_one_line_per_transaction(tmp_path: Path) -> None:
    details = "".join(
        tx(f"{tx_amount(amount)}<RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{text}</Ustrd></RmtInf>")
        for amount, name, text in (("60.00", "Anna Nowak", "FV 1"), ("40.00", "Jan Kowalski", "FV 2"))
    )
    entry = ntry("100.00", before_details="<AcctSvcrRef>REF123</AcctSvcrRef>", details=details)
    lines = read(tmp_path, camt(entry)).lines
    assert [(x.amount, x.bank_ref, x.counterparty_name, x.remittance) for x in lines] == [
        (Decimal("60.00"), "REF123/1", "Anna Nowak", "FV 1"),
        (Decimal("40.00"), "REF123/2", "Jan Kowalski", "FV 2"),
    ]


def test_a_batch_transaction_may_carry_its_own_sign(tmp_path: Path) -> None:
    # A netted batch (v4+ layout: Amt and CdtDbtInd directly in TxDtls): 100 in, 20 out, 80 booked.
    details = (
        tx('<Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>')
        + tx('<Amt Ccy="EUR">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>')
    )
    lines = read(tmp_path, camt(ntry("80.00", details=details))).lines
    assert [line.amount for line in lines] == [Decimal("100.00"), Decimal("-20.00")]


def test_the_instructed_amount_serves_when_there_is_no_transaction_amount(tmp_path: Path) -> None:
    details = (
        tx('<AmtDtls><InstdAmt><Amt Ccy="EUR">7.00</Amt></InstdAmt></AmtDtls>')
        + tx('<AmtDtls><InstdAmt><Amt Ccy="EUR">3.00</Amt></InstdAmt></AmtDtls>')
    )
    assert [x.amount for x in read(tmp_path, camt(ntry("10.00", details=details))).lines] == [
        Decimal("7.00"),
        Decimal("3.00"),
    ]


def test_a_batch_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(MalformedStatement) as caught:
        CamtReader().parse(FIXTURES / "batch_not_adding_up.xml")
    assert str(caught.value) == (
        "batch_not_adding_up.xml, line 8, element Stmt[1]/Ntry[1]: the batch entry books 100.00 PLN but "
        "its 2 transactions (TxDtls) add up to 90.00 PLN; the file is inconsistent and was not imported — "
        "ask the bank for a corrected statement"
    )


def test_a_batch_with_only_some_transaction_amounts_is_refused(tmp_path: Path) -> None:
    details = tx(tx_amount("6.00")) + tx("<RmtInf><Ustrd>no amount</Ustrd></RmtInf>")
    assert refusal(tmp_path, camt(ntry(details=details))) == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]: the batch entry has 2 transactions (TxDtls) but "
        "only 1 give an amount in EUR, so it cannot be split into lines"
    )


def test_a_batch_without_transaction_amounts_stays_one_line_with_a_warning(tmp_path: Path) -> None:
    details = tx("<RmtInf><Ustrd>first</Ustrd></RmtInf>") + tx("<RmtInf><Ustrd>second</Ustrd></RmtInf>")
    parsed = read(tmp_path, camt(ntry("10.00", details=details)))
    line = only_line(parsed)
    assert (line.amount, line.remittance) == (Decimal("10.00"), "first second")
    assert parsed.warnings == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]: the entry holds 2 transactions (TxDtls) without "
        "amounts of their own, so it is kept as one line of 10.00 EUR",
    )


def test_a_single_transaction_without_amount_takes_the_entry_amount(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry("12.34", "DBIT", details=tx()))))
    assert line.amount == Decimal("-12.34")


def test_a_single_transaction_disagreeing_with_the_entry_keeps_the_booked_amount(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry("8.85", details=tx(tx_amount("105.75")))))
    assert only_line(parsed).amount == Decimal("8.85")
    assert parsed.warnings == (
        "statement.xml, line 4, element Stmt[1]/Ntry[1]: the bank booked 8.85 EUR but the entry's one "
        "transaction (TxDtls) says 105.75 EUR; the booked amount is used",
    )


def test_a_transaction_amount_in_another_currency_is_not_used(tmp_path: Path) -> None:
    details = tx(tx_amount("11.00", "USD")) + tx(tx_amount("9.00", "USD"))
    parsed = read(tmp_path, camt(ntry("18.40", details=details)))
    assert only_line(parsed).amount == Decimal("18.40")


def test_an_entry_without_details_is_one_line(tmp_path: Path) -> None:
    entry = ntry(
        "5.00",
        before_details="<AcctSvcrRef>R-9</AcctSvcrRef>",
        after_details="<AddtlNtryInf>Fee</AddtlNtryInf>",
    )
    line = only_line(read(tmp_path, camt(entry)))
    assert (line.amount, line.bank_ref, line.remittance) == (Decimal("5.00"), "R-9", "Fee")


# -- charges the statement reports ------------------------------------------------------------------------
# Versions 02 and 03 give "the charges included in the entry amount"; from 04 on, Chrgs holds charges
# "pre-advised or included", and each record says which in ChrgInclInd (see camt._reported_charges).

V3 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.03"
V8 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def charges_v2(*amounts: str, extra: str = "") -> str:
    """Version 02's Chrgs (ChargesInformation6): one element per charge."""
    return "".join(f'<Chrgs><Amt Ccy="EUR">{amount}</Amt>{extra}</Chrgs>' for amount in amounts)


def record(amount: str, inner: str = "", currency: str = "EUR") -> str:
    return f'<Rcrd><Amt Ccy="{currency}">{amount}</Amt>{inner}</Rcrd>'


def charges(*records: str, total: str | None = None) -> str:
    """Chrgs from version 03 on: an optional total and the charge records."""
    ttl = f'<TtlChrgsAndTaxAmt Ccy="EUR">{total}</TtlChrgsAndTaxAmt>' if total else ""
    return f"<Chrgs>{ttl}{''.join(records)}</Chrgs>"


def charged(tmp_path: Path, inner: str, *, indicator: str = "CRDT", ns: str = NS) -> BankLine:
    """The one line of a 3,585.00 EUR entry whose one transaction holds `inner`."""
    return only_line(read(tmp_path, camt(ntry("3585.00", indicator, details=tx(inner)), ns=ns)))


def instructed(amount: str, currency: str = "EUR") -> str:
    return f'<AmtDtls><InstdAmt><Amt Ccy="{currency}">{amount}</Amt></InstdAmt></AmtDtls>'


def test_a_v2_charge_of_the_transaction_is_reported_on_its_credit(tmp_path: Path) -> None:
    line = charged(tmp_path, tx_amount("3585.00") + charges_v2("15.00"))
    assert (line.amount, line.reported_charges) == (Decimal("3585.00"), Decimal("15.00"))


def test_several_v2_charges_add_up(tmp_path: Path) -> None:
    assert charged(tmp_path, charges_v2("10.00", "5.00")).reported_charges == Decimal("15.00")


def test_an_instructed_amount_above_the_amount_booked_reports_the_difference(tmp_path: Path) -> None:
    booked = '<TxAmt><Amt Ccy="EUR">3585.00</Amt></TxAmt></AmtDtls>'
    amounts = instructed("3600.00").replace("</AmtDtls>", booked)
    assert charged(tmp_path, amounts).reported_charges == Decimal("15.00")


def test_an_instructed_amount_alone_is_the_payment_before_charges_not_a_contradiction(tmp_path: Path) -> None:
    parsed = read(tmp_path, camt(ntry("3585.00", details=tx(instructed("3600.00")))))
    line = only_line(parsed)
    assert (line.amount, line.reported_charges, parsed.warnings) == (Decimal("3585.00"), Decimal("15.00"), ())


def test_an_instructed_amount_in_another_currency_reports_nothing(tmp_path: Path) -> None:
    fx = instructed("3900.00", "USD")
    assert charged(tmp_path, tx_amount("3585.00") + fx).reported_charges is None


def test_a_charge_in_another_currency_reports_nothing(tmp_path: Path) -> None:
    inner = '<Chrgs><Amt Ccy="USD">16.00</Amt></Chrgs>'
    assert charged(tmp_path, inner).reported_charges is None


def test_a_charge_the_debtor_bore_took_nothing_from_the_credit(tmp_path: Path) -> None:
    assert charged(tmp_path, charges_v2("15.00", extra="<Br>DEBT</Br>")).reported_charges is None


def test_a_charge_given_back_counts_against_the_charges_taken(tmp_path: Path) -> None:
    inner = charges_v2("20.00") + charges_v2("5.00", extra="<CdtDbtInd>CRDT</CdtDbtInd>")
    assert charged(tmp_path, inner).reported_charges == Decimal("15.00")


def test_a_debit_never_carries_reported_charges(tmp_path: Path) -> None:
    line = charged(tmp_path, charges_v2("15.00"), indicator="DBIT")
    assert (line.amount, line.reported_charges) == (Decimal("-3585.00"), None)


def test_a_line_without_charges_reports_none(tmp_path: Path) -> None:
    assert charged(tmp_path, tx_amount("3585.00")).reported_charges is None


def test_a_v3_charge_record_is_included_by_definition(tmp_path: Path) -> None:
    line = charged(tmp_path, charges(record("15.00"), total="15.00"), ns=V3)
    assert line.reported_charges == Decimal("15.00")


def test_a_v3_total_without_records_is_included_by_definition(tmp_path: Path) -> None:
    assert charged(tmp_path, charges(total="15.00"), ns=V3).reported_charges == Decimal("15.00")


def test_a_v8_charge_record_counts_when_it_says_it_is_included(tmp_path: Path) -> None:
    taken = record("15.00", "<CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd><Br>CRED</Br>")
    line = charged(tmp_path, tx_amount("3585.00") + charges(taken), ns=V8)
    assert line.reported_charges == Decimal("15.00")


def test_a_v8_charge_only_pre_advised_was_not_taken_from_the_credit(tmp_path: Path) -> None:
    inner = charges(record("15.00", "<ChrgInclInd>false</ChrgInclInd>"), total="15.00")
    assert charged(tmp_path, inner, ns=V8).reported_charges is None


def test_a_v8_charge_record_that_does_not_say_whether_it_is_included_is_not_counted(tmp_path: Path) -> None:
    assert charged(tmp_path, charges(record("15.00"), total="15.00"), ns=V8).reported_charges is None


def test_only_the_v8_records_included_are_counted(tmp_path: Path) -> None:
    included, advised = "<ChrgInclInd>true</ChrgInclInd>", "<ChrgInclInd>false</ChrgInclInd>"
    records = record("10.00", included), record("7.00", advised), record("5.00", included)
    assert charged(tmp_path, charges(*records, total="22.00"), ns=V8).reported_charges == Decimal("15.00")


def test_charges_of_an_entry_without_details_are_its_lines(tmp_path: Path) -> None:
    entry = ntry("3585.00", after_details=charges(record("15.00", "<ChrgInclInd>true</ChrgInclInd>")))
    assert only_line(read(tmp_path, camt(entry, ns=V8))).reported_charges == Decimal("15.00")


def test_a_batchs_charges_are_not_given_to_one_of_its_transactions(tmp_path: Path) -> None:
    details = tx(tx_amount("985.00") + charges_v2("15.00")) + tx(tx_amount("500.00"))
    entry = ntry("1485.00", details=details, after_details=charges_v2("15.00"))
    lines = read(tmp_path, camt(entry)).lines
    assert [(x.amount, x.reported_charges) for x in lines] == [
        (Decimal("985.00"), Decimal("15.00")),
        (Decimal("500.00"), None),
    ]


def test_reported_charges_are_no_part_of_the_line_id(tmp_path: Path) -> None:
    ref = "<Refs><AcctSvcrRef>R-1</AcctSvcrRef></Refs>"
    with_charges = charged(tmp_path, ref + charges_v2("15.00"))
    assert with_charges.line_id == charged(tmp_path, ref).line_id


# -- references ---------------------------------------------------------------------------------------------


def test_the_transaction_reference_wins_over_the_entry_reference(tmp_path: Path) -> None:
    entry = ntry(
        before_details="<AcctSvcrRef>NTRY-REF</AcctSvcrRef>",
        details=tx("<Refs><AcctSvcrRef>TX-REF</AcctSvcrRef></Refs>"),
    )
    assert only_line(read(tmp_path, camt(entry))).bank_ref == "TX-REF"


def test_a_single_transaction_takes_the_entry_reference_without_index(tmp_path: Path) -> None:
    entry = ntry(before_details="<AcctSvcrRef>NTRY-REF</AcctSvcrRef>", details=tx())
    assert only_line(read(tmp_path, camt(entry))).bank_ref == "NTRY-REF"


def test_the_entry_reference_falls_back_to_ntryref(tmp_path: Path) -> None:
    entry = ntry(details=tx()).replace("<Ntry>", "<Ntry><NtryRef>XXX-REF-1</NtryRef>")
    assert only_line(read(tmp_path, camt(entry))).bank_ref == "XXX-REF-1"


def test_end_to_end_id_is_read_and_notprovided_is_none(tmp_path: Path) -> None:
    entries = ntry(details=tx("<Refs><EndToEndId>E2E-42</EndToEndId></Refs>")) + ntry(
        details=tx("<Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>")
    )
    assert [line.end_to_end_id for line in read(tmp_path, camt(entries)).lines] == ["E2E-42", None]


def test_bank_transaction_code_joins_the_iso_domain(tmp_path: Path) -> None:
    code = (
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>"
        "<Prtry><Cd>166</Cd></Prtry></BkTxCd>"
    )
    assert only_line(read(tmp_path, camt(ntry(before_details=code)))).bank_tx_code == "PMNT/RCDT/ESCT"


def test_bank_transaction_code_falls_back_to_the_proprietary_code(tmp_path: Path) -> None:
    code = "<BkTxCd><Prtry><Cd>NTRF+166</Cd><Issr>DK</Issr></Prtry></BkTxCd>"
    assert only_line(read(tmp_path, camt(ntry(before_details=code)))).bank_tx_code == "NTRF+166"


def test_the_same_bank_reference_twice_gives_two_line_ids(tmp_path: Path) -> None:
    same = ntry(before_details="<AcctSvcrRef>DUP</AcctSvcrRef>")
    first, second = read(tmp_path, camt(same + same)).lines
    assert first.line_id != second.line_id


def test_line_ids_are_the_same_on_every_read(tmp_path: Path) -> None:
    xml = camt(ntry("1.00") + ntry("1.00") + ntry("2.00", before_details="<AcctSvcrRef>A</AcctSvcrRef>"))
    first = [line.line_id for line in read(tmp_path, xml, "a.xml").lines]
    assert first == [line.line_id for line in read(tmp_path, xml, "b.xml").lines]
    assert len(set(first)) == 3


# -- counterparty and remittance -------------------------------------------------------------------------

PARTIES = (
    "<RltdPties><Dbtr><Nm>Payer GmbH</Nm></Dbtr><DbtrAcct><Id><IBAN>de44 5001 0517 5407 3249 31</IBAN></Id>"
    "</DbtrAcct><Cdtr><Nm>Payee Sp. z o.o.</Nm></Cdtr><CdtrAcct><Id><IBAN>PL61109010140000071219812874</IBAN>"
    "</Id></CdtrAcct></RltdPties>"
)


def test_the_counterparty_of_a_credit_is_the_debtor(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry("1.00", "CRDT", details=tx(PARTIES)))))
    assert (line.counterparty_name, line.counterparty_iban) == ("Payer GmbH", "DE44500105175407324931")


def test_the_counterparty_of_a_debit_is_the_creditor(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry("1.00", "DBIT", details=tx(PARTIES)))))
    assert line.counterparty_name == "Payee Sp. z o.o."
    assert line.counterparty_iban == "PL61109010140000071219812874"


def test_party_names_under_pty_are_read(tmp_path: Path) -> None:
    parties = "<RltdPties><Dbtr><Pty><Nm>Żółta   Łódź\n S.A.</Nm></Pty></Dbtr></RltdPties>"
    assert only_line(read(tmp_path, camt(ntry(details=tx(parties))))).counterparty_name == "Żółta Łódź S.A."


def test_the_ultimate_party_stands_in_for_a_nameless_one(tmp_path: Path) -> None:
    parties = (
        "<RltdPties><Dbtr><PstlAdr><Ctry>DE</Ctry></PstlAdr></Dbtr>"
        "<UltmtDbtr><Nm>Real Payer</Nm></UltmtDbtr></RltdPties>"
    )
    assert only_line(read(tmp_path, camt(ntry(details=tx(parties))))).counterparty_name == "Real Payer"


def test_several_unstructured_texts_join_with_single_spaces(tmp_path: Path) -> None:
    rmt = "<RmtInf><Ustrd>Rechnung  4711\n   vom</Ustrd><Ustrd> 01.02.2024 </Ustrd></RmtInf>"
    assert only_line(read(tmp_path, camt(ntry(details=tx(rmt))))).remittance == "Rechnung 4711 vom 01.02.2024"


def test_the_first_creditor_reference_is_structured_and_others_join_the_text(tmp_path: Path) -> None:
    strd = "".join(
        f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{ref}</Ref></CdtrRefInf></Strd>"
        for ref in ("RF18539007547034", "RF71INV2")
    )
    rmt = f"<RmtInf><Ustrd>two invoices</Ustrd>{strd}</RmtInf>"
    line = only_line(read(tmp_path, camt(ntry(details=tx(rmt)))))
    assert (line.structured_ref, line.remittance) == ("RF18539007547034", "two invoices RF71INV2")


def test_additional_information_stands_in_only_without_unstructured_text(tmp_path: Path) -> None:
    with_text = ntry(
        details=tx("<RmtInf><Ustrd>invoice 7</Ustrd></RmtInf><AddtlTxInf>ignored</AddtlTxInf>"),
        after_details="<AddtlNtryInf>also ignored</AddtlNtryInf>",
    )
    without_text = ntry(
        details=tx("<AddtlTxInf>RECIPIENT NAME</AddtlTxInf>"),
        after_details="<AddtlNtryInf>SEPA</AddtlNtryInf>",
    )
    lines = read(tmp_path, camt(with_text + without_text)).lines
    assert [line.remittance for line in lines] == ["invoice 7", "RECIPIENT NAME SEPA"]


def test_placeholder_texts_are_dropped(tmp_path: Path) -> None:
    line = only_line(read(tmp_path, camt(ntry(details=tx("<RmtInf><Ustrd>NOTPROVIDED</Ustrd></RmtInf>")))))
    assert line.remittance == ""


def test_a_comment_inside_an_entry_is_ignored(tmp_path: Path) -> None:
    rmt = "<RmtInf><!-- bank note --><Ustrd>text</Ustrd></RmtInf>"
    assert only_line(read(tmp_path, camt(ntry(details=tx(rmt))))).remittance == "text"


# -- broken and hostile files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "error", "message"),
    [
        ("empty.xml", MalformedStatement, "empty.xml: the file is empty"),
        (
            "truncated.xml",
            MalformedStatement,
            "truncated.xml, line 16: the XML is broken (Premature end of data in tag Ustrd line 15) — the "
            "file may be truncated or damaged; download it again from the bank",
        ),
        (
            "mismatched_tags.xml",
            MalformedStatement,
            "mismatched_tags.xml, line 11: the XML is broken (Opening and ending tag mismatch: BookgDt line "
            "11 and ValDt) — the file may be truncated or damaged; download it again from the bank",
        ),
        (
            "billion_laughs.xml",
            HostileStatement,
            "billion_laughs.xml, line 3: the XML declares 10 entities in a DOCTYPE, which can expand to "
            "gigabytes (a 'billion laughs' attack); refused — bank exports never contain this: do not open "
            "the file in other programs, and ask whoever sent it",
        ),
        (
            "external_entity.xml",
            HostileStatement,
            "external_entity.xml, line 3: the XML declares an external entity (xxe -> file:///etc/passwd), "
            "which would make the reader open another file or a web address; refused — bank exports never "
            "contain this: do not open the file in other programs, and ask whoever sent it",
        ),
        (
            "xinclude.xml",
            HostileStatement,
            "xinclude.xml, line 12: the XML uses XInclude, which would make the reader pull in another file "
            "or web address; refused — bank exports never contain this: do not open the file in other "
            "programs, and ask whoever sent it",
        ),
        (
            "entry_without_amount.xml",
            MalformedStatement,
            "entry_without_amount.xml, line 14, element Stmt[1]/Ntry[2]: the entry has no amount (Amt)",
        ),
    ],
)
def test_a_broken_or_hostile_file_is_refused_with_a_clear_message(
    fixture: str, error: type[StatementError], message: str
) -> None:
    with pytest.raises(error) as caught:
        CamtReader().parse(FIXTURES / fixture)
    assert str(caught.value) == message


def test_a_plain_doctype_is_refused(tmp_path: Path) -> None:
    xml = camt(ntry()).replace("\n<Document", "\n<!DOCTYPE Document>\n<Document")
    assert refusal(tmp_path, xml) == (
        "statement.xml, line 2: the XML carries a DOCTYPE declaration, the way entity attacks get in; "
        "refused — bank exports never contain this: do not open the file in other programs, and ask whoever "
        "sent it"
    )


def test_a_doctype_after_a_comment_is_refused(tmp_path: Path) -> None:
    prologue = '<!-- a <!DOCTYPE in a comment is harmless -->\n<!DOCTYPE Document SYSTEM "http://evil.example/x.dtd">'
    xml = camt(ntry()).replace("\n<Document", f"\n{prologue}\n<Document")
    assert refusal(tmp_path, xml) == (
        "statement.xml, line 3: the XML refers to an external DTD (http://evil.example/x.dtd), which would "
        "make the reader fetch it; refused — bank exports never contain this: do not open the file in other "
        "programs, and ask whoever sent it"
    )


def test_an_entry_outside_any_statement_is_refused(tmp_path: Path) -> None:
    xml = camt("").replace("<Stmt>", ntry() + "<Stmt>")
    assert refusal(tmp_path, xml) == "statement.xml, line 3: an entry (Ntry) stands outside any statement"


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    path.write_text(camt(ntry()), encoding="utf-8")
    with pytest.raises(HostileStatement) as caught:
        CamtReader(max_bytes=100).parse(path)
    assert str(caught.value) == (
        f"huge.xml: the file is {path.stat().st_size} bytes, over the 100 bytes limit for XML statements; "
        "refused (a real export this large should be split by period)"
    )


def test_the_default_size_limit_is_two_gibibytes() -> None:
    assert CamtReader().max_bytes == MAX_XML_BYTES == 2 * 1024**3


def test_xml_that_is_not_a_bank_to_customer_message_is_unrecognised(tmp_path: Path) -> None:
    with pytest.raises(UnrecognisedStatement) as caught:
        read(tmp_path, '<?xml version="1.0"?><Document xmlns="urn:x"><Other/></Document>')
    assert str(caught.value) == (
        "statement.xml: not a camt.052/053/054 bank-to-customer message (no BkToCstmrStmt, BkToCstmrAcctRpt "
        "or BkToCstmrDbtCdtNtfctn element)"
    )


def test_a_utf16_file_is_read(tmp_path: Path) -> None:
    xml = camt(ntry(details=tx("<RmtInf><Ustrd>Größe</Ustrd></RmtInf>"))).replace("UTF-8", "UTF-16")
    parsed = read(tmp_path, xml.encode("utf-16"))
    assert only_line(parsed).remittance == "Größe"


def undeclared(xml: str) -> str:
    """The document without its XML declaration, as a German savings bank's camt.052 export comes."""
    return xml.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "")


def test_latin1_without_a_declaration_is_read_and_the_encoding_named(tmp_path: Path) -> None:
    xml = undeclared(camt(ntry(details=tx("<RmtInf><Ustrd>Miete Müller Straße</Ustrd></RmtInf>"))))
    parsed = read(tmp_path, xml.encode("latin-1"))
    assert only_line(parsed).remittance == "Miete Müller Straße"
    assert parsed.warnings == (
        "statement.xml: no encoding declared and not UTF-8, as XML then must be; read as Windows-1252, the one "
        "its letters fit (as DOS code page 852, 'Müller' would read 'MŘller'); pin the encoding in "
        "[statements.encodings] if this is wrong",
    )


def test_cp1250_without_a_declaration_that_is_valid_utf8_is_read_as_cp1250(tmp_path: Path) -> None:
    xml = undeclared(camt(ntry(details=tx("<RmtInf><Ustrd>NOWAK I SYNOWIE SPÓŁKA JAWNA</Ustrd></RmtInf>")),
                          account="<IBAN>PL61109010140000071219812874</IBAN>"))  # fmt: skip
    parsed = read(tmp_path, xml.encode("cp1250"))
    assert only_line(parsed).remittance == "NOWAK I SYNOWIE SPÓŁKA JAWNA"
    assert "read as Windows-1250, the one its letters fit (as UTF-8, 'SPÓŁKA' would read 'SPӣKA')" in (
        parsed.warnings[0])


def test_utf8_without_a_declaration_is_read_without_a_word(tmp_path: Path) -> None:
    xml = undeclared(camt(ntry(details=tx("<RmtInf><Ustrd>Größe Łódź</Ustrd></RmtInf>"))))
    parsed = read(tmp_path, xml)
    assert (only_line(parsed).remittance, parsed.warnings) == ("Größe Łódź", ())


def test_a_declared_encoding_is_believed(tmp_path: Path) -> None:
    xml = camt(ntry(details=tx("<RmtInf><Ustrd>Größe</Ustrd></RmtInf>"))).replace("UTF-8", "ISO-8859-1")
    parsed = read(tmp_path, xml.encode("latin-1"))
    assert (only_line(parsed).remittance, parsed.warnings) == ("Größe", ())


def test_the_configuration_pins_an_accounts_encoding_over_the_declaration(tmp_path: Path) -> None:
    xml = camt(ntry(details=tx("<RmtInf><Ustrd>Łódź</Ustrd></RmtInf>")))  # declares UTF-8, is ISO-8859-2
    path = tmp_path / "pinned.xml"
    path.write_bytes(xml.encode("iso8859-2"))
    parsed = CamtReader(encodings={OUR_IBAN: "iso8859-2"}).parse(path)
    assert (only_line(parsed).remittance, parsed.warnings) == ("Łódź", ())


# -- writer: round trip and benchmark ---------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜéÉ"
WORD = st.text(st.sampled_from(LETTERS + "&<>'\".,-/()+:?"), min_size=1, max_size=24).filter(
    lambda word: word.upper() not in LineIds.PLACEHOLDERS and any(c.isalnum() for c in word)
)
# SWIFT's x character set, the one references are written in.
REFERENCE = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+"), min_size=1, max_size=35
).filter(lambda ref: ref[0].isalnum() and LineIds.clean_ref(ref) == ref)
IBAN = st.builds(
    lambda country, digits, rest: f"{country}{digits:02d}{rest}",
    st.sampled_from(["PL", "DE", "NL", "CZ", "AT"]),
    st.integers(0, 99),
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), min_size=12, max_size=26),
)
CODES = st.sampled_from(["PMNT/RCDT/ESCT", "PMNT/ICDT/DMCT", "NTRF+166", "544"])


def text_of(words: int) -> st.SearchStrategy[str]:
    return st.lists(WORD, min_size=1, max_size=words).map(" ".join)


@st.composite
def statement_lines(draw: st.DrawFn) -> tuple[str, list[BankLine]]:
    currency = draw(st.sampled_from(["EUR", "PLN", "CZK", "JPY", "KWD"]))
    count = draw(st.integers(1, 6))
    refs = draw(st.lists(REFERENCE, min_size=count, max_size=count, unique=True))
    lines = []
    for ref in refs:
        booked = draw(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
        lines.append(
            BankLine(
                line_id="",
                bank_ref=draw(st.one_of(st.none(), st.just(ref))),
                account="PL61109010140000071219812874",
                currency=currency,
                amount=Decimal(draw(st.integers(-10**12, 10**12))).scaleb(-minor_units(currency)),
                booking_date=booked,
                value_date=draw(st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2099, 12, 31)))),
                counterparty_name=draw(st.one_of(st.none(), text_of(5))),
                counterparty_iban=draw(st.one_of(st.none(), IBAN)),
                remittance=draw(st.one_of(st.just(""), text_of(40))),
                structured_ref=draw(st.one_of(st.none(), REFERENCE)),
                end_to_end_id=draw(st.one_of(st.none(), REFERENCE)),
                bank_tx_code=draw(CODES),
            )
        )
    return currency, lines


def essentials(line: BankLine) -> tuple[object, ...]:
    return (
        str(line.amount), line.currency, line.booking_date, line.value_date, line.counterparty_name,
        line.counterparty_iban, line.remittance, line.structured_ref, line.end_to_end_id, line.bank_ref,
        line.bank_tx_code,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(statement_lines(), st.sampled_from(["001.02", "001.04", "001.08", "001.13"]))
def test_written_lines_read_back_unchanged(drawn: tuple[str, list[BankLine]], version: str) -> None:
    currency, lines = drawn
    data = write_camt053(lines, account="PL61109010140000071219812874", currency=currency, version=version)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "written.xml"
        path.write_bytes(data)
        parsed = CamtReader().parse(path)
    assert [essentials(line) for line in parsed.lines] == [essentials(line) for line in lines]
    assert balance_warnings(path, parsed.statements) == []


# What a child process's resident memory grows by while it reads one file (MiB): peak (VmHWM) after the
# read less resident (VmRSS) before it. Resident memory, not tracemalloc: the tree is libxml2's, allocated
# outside Python's allocator, and tracemalloc would not see it kept whole.
_MEMORY_PROBE = """
import sys
from pathlib import Path
from reconcile.statements.camt import CamtReader

def status(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024

before = status("VmRSS")
parsed = CamtReader().parse(Path(sys.argv[1]))
print(len(parsed.lines), round(status("VmHWM") - before))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc to read memory use")
def test_memory_stays_flat_on_a_large_file(tmp_path: Path) -> None:
    # 50,000 entries (36 MiB of XML): read as a stream, memory grows by the lines kept (about 50 MiB);
    # the whole tree kept in memory takes about 400 MiB more.
    path = tmp_path / "large.xml"
    write_benchmark_file(path, 50_000)
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    lines, growth_mib = map(int, probe.stdout.split())
    assert lines == 50_000
    assert growth_mib < 150


def test_the_benchmark_file_is_a_balanced_statement_of_the_asked_size(tmp_path: Path) -> None:
    path = tmp_path / "bench.xml"
    write_benchmark_file(path, 250)
    parsed = CamtReader().parse(path)
    assert len(parsed.lines) == 250
    assert CamtReader().identify(path, path.read_bytes()[:8192])
    assert balance_warnings(path, parsed.statements) == []
    assert any("ł" in (line.counterparty_name or "") for line in parsed.lines)



def test_latin1_found_only_past_the_first_sample_is_chosen_from_where_utf8_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large export whose first megabytes are ASCII: the evidence is read around the first byte that is
    # not UTF-8, and the sample's cut edges (which may split a character) are dropped.
    monkeypatch.setattr(xmlguard, "_ENCODING_SAMPLE", 512)
    plain = "".join(ntry(details=tx(f"<RmtInf><Ustrd>Miete {n}</Ustrd></RmtInf>")) for n in range(20))
    xml = undeclared(camt(plain + ntry(details=tx("<RmtInf><Ustrd>Miete Müller Straße</Ustrd></RmtInf>"))))
    parsed = read(tmp_path, xml.encode("latin-1"))
    assert parsed.lines[-1].remittance == "Miete Müller Straße"
    assert parsed.warnings[0].startswith(
        "statement.xml: no encoding declared and not UTF-8, as XML then must be; read as Windows-1252"
    )
