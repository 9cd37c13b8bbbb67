"""Reading bank statement files (``services/bank_files.read``): CAMT.053 (.02 and .08) and MT940 into the same
``Statement``, exactly; recognising the format; and refusing, with a stable code and a message, every file that
is not one -- hostile XML included. The fixtures are described in ``tests/fixtures/bank/README.md``."""
from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from stdnum import iban as stdnum_iban

from webapp.services import bank_files
from tests.unit.test_bank_csv import refused as refused_call
from webapp.services.bank_files import BankLine, read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BANK = FIXTURES / "bank"
CAMT_200 = (BANK / "camt053_200.xml").read_bytes()
CAMT_08 = (BANK / "camt053_v08.xml").read_bytes()
MT940_GERMAN = (BANK / "mt940_german.sta").read_bytes()
MT940_PLAIN = (BANK / "mt940_plain.sta").read_bytes()
NS_02 = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def refused(data: bytes, code: str, file_name: str = "", format: str | None = None) -> str:
    """Reads ``data``, expecting a refusal with ``code``; returns its English message."""
    return refused_call(read, data, file_name, format, code=code)


# --- the fixtures themselves ---------------------------------------------------------------------------------

def test_the_200_entry_camt_is_what_its_generator_writes():
    spec = importlib.util.spec_from_file_location("make_camt", BANK / "make_camt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.document() == CAMT_200


@pytest.mark.parametrize("fixture, schema", [("camt053_200.xml", "camt.053.001.02.xsd"),
                                             ("camt053_v08.xml", "camt.053.001.08.xsd")])
def test_the_camt_fixtures_are_valid_against_the_official_schema(fixture, schema):
    xsd = etree.XMLSchema(etree.parse(str(BANK / schema)))
    document = etree.parse(str(BANK / fixture))
    assert xsd.validate(document), xsd.error_log


# --- CAMT.053.001.02 -----------------------------------------------------------------------------------------

def test_camt_02_statement_account_balances_and_count():
    statement = read(CAMT_200, "statement.xml")
    assert statement.format == "camt053"
    assert statement.account_iban == "DE89370400440532013000"
    assert statement.account_id == "DE89370400440532013000"
    assert statement.currency == "EUR"
    assert statement.statement_id == "STMT-2026-03-001"
    assert statement.opening_balance == Decimal("10000.00")
    assert statement.closing_balance == Decimal("45940.92")
    # 200 entries, less the pending one, plus one for the batch of two
    assert len(statement.lines) == 200
    assert statement.opening_balance + sum(line.amount for line in statement.lines) == statement.closing_balance
    assert sum(1 for line in statement.lines if line.amount > 0) == 135
    assert sum(1 for line in statement.lines if line.amount < 0) == 65
    assert {line.currency for line in statement.lines} == {"EUR"}
    assert all(stdnum_iban.is_valid(line.counterparty_iban) for line in statement.lines)
    assert statement.lines[0].booked_on == date(2026, 3, 2) and statement.lines[-1].booked_on == date(2026, 3, 30)


def lines_by_reference() -> dict[str, BankLine]:
    return {line.reference: line for line in read(CAMT_200).lines}


def test_camt_02_a_credit_and_a_debit_exactly():
    lines = lines_by_reference()
    assert lines["BANKREF-000001"] == BankLine(
        booked_on=date(2026, 3, 2), amount=Decimal("137.13"), currency="EUR", value_date=date(2026, 3, 2),
        counterparty_name="Kunde 001 GmbH", counterparty_iban="DE41370400440000000001",
        remittance="Rechnung INV-2026-0001", reference="BANKREF-000001", end_to_end_id="")  # NOTPROVIDED
    # a debit: the counterparty is the creditor (the account owner is the debtor)
    assert lines["BANKREF-000003"] == BankLine(
        booked_on=date(2026, 3, 2), amount=Decimal("-211.39"), currency="EUR", value_date=date(2026, 3, 2),
        counterparty_name="Lieferant 003 AG", counterparty_iban="DE24200411110000000003",
        remittance="Bestellung PO-0003", reference="BANKREF-000003", end_to_end_id="PAY-0003")


def test_camt_02_dates_remittance_lines_and_creditor_references():
    lines = lines_by_reference()
    assert lines["BANKREF-000007"].booked_on == date(2026, 3, 2)  # BookgDt/DtTm 2026-03-02T10:15:00+01:00
    assert lines["BANKREF-000007"].end_to_end_id == "E2E-0007"
    ten = lines["BANKREF-000010"]
    assert (ten.booked_on, ten.value_date) == (date(2026, 3, 3), date(2026, 3, 2))
    assert ten.remittance == "Rechnung INV-2026-0010 Kundennummer K-010"  # two Ustrd, joined by a space
    assert ten.amount == Decimal("470.30")
    assert lines["BANKREF-000043"].remittance == "Rechnung INV-2026-0043 RF18539007547034"
    assert lines["BANKREF-000044"].remittance == "RF18539007547034"  # Strd/CdtrRefInf/Ref alone
    assert lines["BANKREF-000044"].amount == Decimal("828.72")


def test_camt_02_a_pending_entry_is_no_line():
    lines = lines_by_reference()
    assert "BANKREF-000100" not in lines
    assert not any("INV-2026-0100" in line.remittance for line in lines.values())
    assert "BANKREF-000101" in lines


def test_camt_02_a_batch_is_a_line_per_transaction():
    lines = lines_by_reference()
    assert "BANKREF-000150" not in lines
    first, second = lines["BANKREF-000150-1"], lines["BANKREF-000150-2"]
    assert first == BankLine(
        booked_on=date(2026, 3, 23), amount=Decimal("120.00"), currency="EUR", value_date=date(2026, 3, 22),
        counterparty_name="Sammelkunde 1 KG", counterparty_iban="DE82500105170000009001",
        remittance="Rechnung INV-2026-0901", reference="BANKREF-000150-1", end_to_end_id="E2E-0150-1")
    assert (second.amount, second.counterparty_name, second.remittance, second.end_to_end_id) == (
        Decimal("180.00"), "Sammelkunde 2 KG", "Rechnung INV-2026-0902", "E2E-0150-2")


def test_camt_02_a_returned_direct_debit_is_money_out_from_the_payer():
    # ISO 20022: CdtDbtInd is the direction of the entry itself; RvslInd says it reverses an earlier one (here a
    # collected direct debit, a credit) -- so DBIT + RvslInd is money out, and the payer is the original debtor
    returned = lines_by_reference()["BANKREF-000180"]
    assert returned == BankLine(
        booked_on=date(2026, 3, 27), amount=Decimal("-460.40"), currency="EUR", value_date=date(2026, 3, 26),
        counterparty_name="Kunde 180 GmbH", counterparty_iban="DE58370400440000000180",
        remittance="Ruecklastschrift INV-2026-0180 MD06", reference="BANKREF-000180", end_to_end_id="E2E-0180")


# --- CAMT.053.001.08 -----------------------------------------------------------------------------------------

def test_camt_08_two_statements_pty_and_sts_cd():
    statement = read(CAMT_08)
    assert (statement.format, statement.account_iban, statement.currency, statement.statement_id) == (
        "camt053", "DE02120300000000202051", "EUR", "2026-04-01-001")
    assert statement.opening_balance == Decimal("500.00")  # PRCD of the first statement
    assert statement.closing_balance == Decimal("-107.50")  # CLBD DBIT of the last
    assert statement.lines == [
        BankLine(booked_on=date(2026, 4, 1), amount=Decimal("1000.00"), currency="EUR", value_date=date(2026, 4, 1),
                 counterparty_name="Grosskunde AG", counterparty_iban="AT611904300234573201",
                 remittance="Invoice INV-2026-0042 RF73INV20260042", reference="2026040100001",
                 end_to_end_id="INV-2026-0042"),
        BankLine(booked_on=date(2026, 4, 1), amount=Decimal("-7.50"), currency="EUR", value_date=date(2026, 3, 31),
                 reference="2026040100002"),
        BankLine(booked_on=date(2026, 4, 2), amount=Decimal("-1000.00"), currency="EUR",
                 value_date=date(2026, 4, 2), counterparty_name="Lieferant Eins GmbH",
                 counterparty_iban="DE75512108001245126199", remittance="Bill B-77 March",
                 reference="2026040200001-1", end_to_end_id="PAY-0001"),
        BankLine(booked_on=date(2026, 4, 2), amount=Decimal("-600.00"), currency="EUR", value_date=date(2026, 4, 2),
                 counterparty_name="Lieferant Zwei AG", counterparty_iban="FR1420041010050500013M02606",
                 remittance="Bill 2026/118", reference="2026040200001-2", end_to_end_id=""),
    ]  # the PDNG entry and the proprietary VORGEMERKT one are not booked: no lines


def test_camt_a_batch_that_does_not_add_up_stays_one_line():
    statement = read(CAMT_08.replace(b'<Amt Ccy="EUR">600.00</Amt>', b'<Amt Ccy="EUR">500.00</Amt>'))
    assert statement.lines[2:] == [BankLine(
        booked_on=date(2026, 4, 2), amount=Decimal("-1600.00"), currency="EUR", value_date=date(2026, 4, 2),
        remittance="Bill B-77 March Bill 2026/118", reference="2026040200001")]


def test_camt_versions_03_to_07_are_read_too():
    for version in (b"03", b"04", b"07"):
        statement = read(CAMT_08.replace(b"camt.053.001.08", b"camt.053.001." + version))
        assert len(statement.lines) == 4


# --- MT940 ---------------------------------------------------------------------------------------------------

GERMAN_LINES = [
    BankLine(booked_on=date(2026, 3, 3), amount=Decimal("1190.00"), currency="EUR", value_date=date(2026, 3, 2),
             counterparty_name="Muster Handels GmbH", counterparty_iban="DE02120300000000202051",
             remittance="Rechnung INV-2026-0001 vielen Dank", reference="2026030300123",
             end_to_end_id="E2E-2026-0001"),
    BankLine(booked_on=date(2026, 3, 3), amount=Decimal("-250.50"), currency="EUR", value_date=date(2026, 3, 3),
             counterparty_name="Hausverwaltung Sonnenschein KG", counterparty_iban="DE89370400440532013000",
             remittance="Miete Maerz 2026", reference="2026030300456", end_to_end_id=""),  # EREF+NOTPROVIDED
    BankLine(booked_on=date(2026, 3, 4), amount=Decimal("-12.90"), currency="EUR", value_date=date(2026, 3, 4),
             remittance="Kontofuehrung 02/2026"),
    BankLine(booked_on=date(2026, 3, 5), amount=Decimal("-99.00"), currency="EUR", value_date=date(2026, 3, 5),
             counterparty_name="Kunde Beispiel OHG", counterparty_iban="DE02500105170137075030",
             remittance="Storno Rechnung INV-2026-0009 Doppelbuchung", reference="2026030500789",
             end_to_end_id="E2E-2026-0009"),  # RC: the reversal of a credit is money out
    BankLine(booked_on=date(2026, 3, 5), amount=Decimal("45.80"), currency="EUR", value_date=date(2026, 3, 5),
             counterparty_name="B\u00e4ckerei M\u00fcller", counterparty_iban="",  # ?31 a plain account number
             remittance="INV-2026-0031 Brot", reference="2026030500999", end_to_end_id="INV-2026-0031"),
]


def test_mt940_german_structured_details():
    statement = read(MT940_GERMAN, "umsaetze.sta")
    assert statement.format == "mt940"
    assert statement.account_iban == ""  # :25: is bank code/account number, not an IBAN
    assert statement.account_id == "10020030/0123456789"
    assert (statement.currency, statement.statement_id) == ("EUR", "00042/001")
    assert statement.opening_balance == Decimal("12345.67")  # :60F: of the first statement of the file
    assert statement.closing_balance == Decimal("13219.07")  # :62F: of the last
    assert statement.lines == GERMAN_LINES
    assert statement.opening_balance + sum(line.amount for line in statement.lines) == statement.closing_balance


def test_mt940_utf8_with_a_byte_order_mark():
    utf8 = MT940_GERMAN.decode("cp1252").encode("utf-8-sig")
    assert read(utf8).lines == GERMAN_LINES


def test_mt940_plain_unstructured_details():
    statement = read(MT940_PLAIN)
    assert (statement.format, statement.account_iban, statement.account_id, statement.statement_id) == (
        "mt940", "NL91ABNA0417164300", "NL91ABNA0417164300", "7/1")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("1000.00"), Decimal("1424.75"))
    assert statement.lines == [
        BankLine(booked_on=date(2026, 3, 2), amount=Decimal("500.00"), currency="EUR", value_date=date(2026, 3, 2),
                 remittance="Payment of invoice INV-2026-0007 thank you, Acme BV", reference="BR-0001"),
        BankLine(booked_on=date(2026, 3, 3), amount=Decimal("-75.25"), currency="EUR", value_date=date(2026, 3, 3),
                 remittance="Direct debit electricity March", reference="BR-0002"),
    ]


def test_mt940_an_iban_with_the_currency_after_it_is_the_account_iban():
    statement = read(MT940_PLAIN.replace(b":25:NL91ABNA0417164300", b":25:NL91ABNA0417164300EUR"))
    assert statement.account_iban == "NL91ABNA0417164300"
    assert statement.account_id == "NL91ABNA0417164300EUR"


# --- the format --------------------------------------------------------------------------------------------

def test_the_format_is_recognised_from_the_bytes():
    assert read(CAMT_200).format == "camt053"
    assert read(CAMT_08, "no-extension").format == "camt053"
    assert read(MT940_GERMAN, "statement.txt").format == "mt940"
    assert read(MT940_PLAIN, "x.xml").format == "mt940"  # the bytes decide, the name is only a hint
    assert read(CAMT_200, format="camt053").format == "camt053"
    assert read(MT940_PLAIN, format="mt940").format == "mt940"


def test_a_format_named_that_the_bytes_are_not():
    assert "CAMT.053" in refused(MT940_GERMAN, "not_a_statement", format="camt053")
    assert "MT940" in refused(CAMT_200, "not_a_statement", format="mt940")
    with pytest.raises(ValueError):
        read(CAMT_200, format="bai2")


def test_csv_is_left_to_the_layout_reader():
    csv = "Buchungstag;Wertstellung;Betrag;Verwendungszweck\n02.03.2026;02.03.2026;1190,00;INV-2026-0001\n"
    assert "CSV" in refused(csv.encode(), "csv_needs_layout")
    refused(b"anything at all", "csv_needs_layout", file_name="export.CSV")
    refused(CAMT_200, "csv_needs_layout", format="csv")


# --- refusals ----------------------------------------------------------------------------------------------

XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<Document xmlns="' + NS_02 + b'"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>')
BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + b"".join(b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b']>\n<Document xmlns="' + NS_02 + b'"><BkToCstmrStmt><Stmt><Id>&lol9;</Id></Stmt>'
                  b'</BkToCstmrStmt></Document>')


@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, XXE.decode().encode("utf-16"),
                                  b"<!doctype Document>" + CAMT_08[CAMT_08.index(b"<Document"):]])
def test_a_doctype_is_refused_unread(data):
    assert "DOCTYPE" in refused(data, "doctype_forbidden")


def test_too_large():
    assert "20 MB" in refused(b"<" + b"x" * (21 * 1024 * 1024), "too_large")
    refused(b" " * (bank_files.MAX_BYTES + 1), "too_large", format="mt940")


@pytest.mark.parametrize("data", [b"", b" \r\n\t "])
def test_empty(data):
    refused(data, "empty")


def test_malformed_xml():
    assert "line 18" in refused(CAMT_200[:CAMT_200.index(b"<IBAN>")], "not_xml")
    refused(b"Konto 4711, kein XML", "not_xml", file_name="statement.xml")


def test_xml_that_is_no_account_statement():
    assert "not a CAMT.053" in refused((FIXTURES / "einvoice" / "CII_example4.xml").read_bytes(), "not_a_statement")
    assert "camt.052" in refused(CAMT_08.replace(b"camt.053.001.08", b"camt.052.001.08"), "not_a_statement")
    assert "version 10" in refused(CAMT_08.replace(b"camt.053.001.08", b"camt.053.001.10"), "not_a_statement")
    assert "no statement" in refused(b'<Document xmlns="' + NS_02 + b'"><BkToCstmrStmt/></Document>',
                                     "not_a_statement")


@pytest.mark.parametrize("data", [b"Lorem ipsum dolor sit amet.\nNothing: 20 apples, 25 pears.\n",
                                  b"\x00\x01\x02\xff\xfe binary", b":20:REF\n:86:only details\n"])
def test_text_that_is_no_statement(data):
    refused(data, "not_a_statement")


def test_camt_malformed_amount_and_date_name_the_entry():
    assert 'Entry 1: the amount "12,3x"' in refused(CAMT_200.replace(b">137.13<", b">12,3x<"), "invalid_amount")
    assert "Entry 4:" in refused(CAMT_08.replace(b">1600.00<", b">-1600.00<"), "invalid_amount")  # 2nd Stmt
    assert 'Entry 1: the date "2026-02-30"' in refused(
        CAMT_200.replace(b"<Dt>2026-03-02</Dt>", b"<Dt>2026-02-30</Dt>", 1), "invalid_date")
    assert "Entry 2: it has no booking date" in refused(
        CAMT_08.replace(b"<BookgDt>\n          <Dt>2026-04-01</Dt>\n        </BookgDt>\n        <ValDt>\n"
                        b"          <Dt>2026-03-31</Dt>\n        </ValDt>\n", b""), "invalid_date")
    assert '"CRED"' in refused(CAMT_200.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
                                                b"<CdtDbtInd>CRED</CdtDbtInd>\n        <Sts>", 1), "invalid_amount")
    assert '"1O000.00"' in refused(CAMT_200.replace(b">10000.00<", b">1O000.00<"), "invalid_amount")  # a balance


def test_mt940_malformed_amount_date_and_field():
    assert 'Entry 1: the amount "12,3x"' in refused(MT940_GERMAN.replace(b"1190,00", b"12,3x"), "invalid_amount")
    assert 'Entry 2: the amount "2,50,5"' in refused(MT940_GERMAN.replace(b"250,50", b"2,50,5"), "invalid_amount")
    assert 'Entry 3: the date "260332"' in refused(MT940_GERMAN.replace(b":61:260304D", b":61:260332D"),
                                                   "invalid_date")
    assert ":60F:" in refused(MT940_GERMAN.replace(b":60F:C260302", b":60F:X260302"), "unreadable")
    assert "Entry 2: the field :61:" in refused(MT940_GERMAN.replace(b":61:2603030303DR", b":61:XX"), "unreadable")


def test_too_many_lines(monkeypatch):
    monkeypatch.setattr(bank_files, "MAX_LINES", 199)
    assert "199" in refused(CAMT_200, "too_many_lines")
    monkeypatch.setattr(bank_files, "MAX_LINES", 4)
    refused(MT940_GERMAN, "too_many_lines")
    assert len(read(MT940_PLAIN).lines) == 2
