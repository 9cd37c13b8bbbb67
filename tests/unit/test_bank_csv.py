"""Reading a bank's CSV export (``services/bank_files``): ``csv_table`` finds its encoding, delimiter and header
for the column screen, ``read_csv`` reads it with the ``CsvLayout`` mapped, exactly, and refuses, with a stable
code and a message naming the row, what it cannot read. Two fixtures (made up; the IBANs have valid check digits):

- ``tests/fixtures/bank/sparkasse.csv``: a German savings bank's (and DKB's) export: Windows-1252, ";", every cell
  quoted, CRLF, five lines of preamble (account, period, balance, an empty line), signed amounts "1.234,56",
  dates dd.mm.yyyy, a cell with a line break, an empty line and a "Kontostand" footer after the rows.
- ``tests/fixtures/bank/debit_credit.csv``: an English bank's: UTF-8 with a byte order mark, ",", quoted only where
  a cell holds a comma, money out and money in in two columns ("1,234.56"), dates yyyy-mm-dd.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from webapp.services import bank_files
from webapp.services.bank_files import BankFileError, BankLine, CsvLayout, CsvTable, csv_table, header_key, read, \
    read_csv

BANK = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
SPARKASSE = (BANK / "sparkasse.csv").read_bytes()
DEBIT_CREDIT = (BANK / "debit_credit.csv").read_bytes()

SPARKASSE_HEADER = ["Buchungstag", "Valutadatum", "Buchungstext", "Verwendungszweck",
                    "Begünstigter/Zahlungspflichtiger", "Kontonummer/IBAN", "Betrag (EUR)", "Währung"]
SPARKASSE_LAYOUT = CsvLayout(
    date_column="Buchungstag", date_format="dd.mm.yyyy", decimal=",", delimiter=";", encoding="cp1252",
    amount_column="Betrag (EUR)", name_column="Begünstigter/Zahlungspflichtiger", iban_column="Kontonummer/IBAN",
    text_columns=("Buchungstext", "Verwendungszweck"), value_date_column="Valutadatum", currency_column="Währung")
DEBIT_CREDIT_HEADER = ["Date", "Description", "Payee", "Reference", "Debit", "Credit", "Balance"]
DEBIT_CREDIT_LAYOUT = CsvLayout(
    date_column="Date", date_format="yyyy-mm-dd", decimal=".", delimiter=",", encoding="utf-8",
    debit_column="Debit", credit_column="Credit", name_column="Payee", text_columns=("Description", "Reference"),
    reference_column="Reference", currency="GBP")


def refused(call, *args, code: str) -> str:
    """Calls ``call(*args)``, expecting a refusal with ``code``; returns its English message."""
    with pytest.raises(BankFileError) as caught:
        call(*args)
    error = caught.value
    assert error.code == code, error.text.english()
    assert error.code in bank_files.CODES
    message = error.text.english()
    assert message and "{" not in message
    assert error.text.template in {m.template for m in bank_files.MESSAGES.values()}  # a literal, translatable
    return message


def sparkasse(text: str) -> bytes:
    """A small file as the savings bank writes it: the fixture's preamble and header, then ``text``'s rows."""
    lines = SPARKASSE.decode("cp1252").split("\r\n")
    return ("\r\n".join(lines[:6]) + "\r\n" + text).encode("cp1252")


# --- the Sparkasse / DKB export --------------------------------------------------------------------------------

SPARKASSE_LINES = [
    BankLine(booked_on=date(2026, 3, 2), amount=Decimal("1190.00"), currency="EUR", value_date=date(2026, 3, 2),
             counterparty_name="Müller & Söhne GmbH", counterparty_iban="DE89370400440532013000",
             remittance="GUTSCHR. UEBERWEISUNG Rechnung INV-2026-0001 vielen Dank"),
    BankLine(booked_on=date(2026, 3, 3), amount=Decimal("-89.90"), currency="EUR", value_date=date(2026, 3, 3),
             counterparty_name="Telekom Deutschland GmbH", counterparty_iban="DE12500105170648489890",
             remittance="FOLGELASTSCHRIFT Kundennr. 4711 Rechnung 03/2026"),
    BankLine(booked_on=date(2026, 3, 5), amount=Decimal("2380.00"), currency="EUR", value_date=date(2026, 3, 4),
             counterparty_name="Bäckerei Kühn", counterparty_iban="DE75200411110000004711",  # written with spaces
             remittance="GUTSCHR. UEBERWEISUNG INV-2026-0002 INV-2026-0003"),
    BankLine(booked_on=date(2026, 3, 6), amount=Decimal("-1234.56"), currency="EUR", value_date=date(2026, 3, 6),
             counterparty_name="Papier & Druck Weiß KG", counterparty_iban="DE29100100100987654321",
             remittance="ONLINE-UEBERWEISUNG Bestellung PO-2026-017"),
    BankLine(booked_on=date(2026, 3, 10), amount=Decimal("-12.90"), currency="EUR", value_date=date(2026, 3, 10),
             remittance="ENTGELTABSCHLUSS"),  # the empty Verwendungszweck left out, no name, no IBAN
    BankLine(booked_on=date(2026, 3, 16), amount=Decimal("595.00"), currency="EUR", value_date=date(2026, 3, 16),
             counterparty_name="Architekturbüro Groß", counterparty_iban="DE84760100850012345678",
             remittance="GUTSCHR. UEBERWEISUNG INV-2026-0004; Projekt Nord"),  # the ";" of a quoted cell
    BankLine(booked_on=date(2026, 3, 20), amount=Decimal("-312.40"), currency="EUR", value_date=date(2026, 3, 20),
             counterparty_name="Nordsee Versicherung AG", counterparty_iban="DE02120300000000202051",
             remittance="LASTSCHRIFT Police 88-1234 Beitrag 1. Quartal"),  # the cell's line break a space
    BankLine(booked_on=date(2026, 3, 27), amount=Decimal("10000.00"), currency="EUR", value_date=date(2026, 3, 27),
             counterparty_name="Stadtwerke Nord GmbH", counterparty_iban="DE89370400440532013000",
             remittance="GUTSCHR. UEBERWEISUNG INV-2026-0005 Abschlag"),
]


def test_sparkasse_table_is_detected():
    assert csv_table(SPARKASSE) == CsvTable(
        encoding="cp1252", delimiter=";", header_row=5, header=SPARKASSE_HEADER, rows=[
            ["02.03.2026", "02.03.2026", "GUTSCHR. UEBERWEISUNG", "Rechnung INV-2026-0001 vielen Dank",
             "Müller & Söhne GmbH", "DE89370400440532013000", "1.190,00", "EUR"],
            ["03.03.2026", "03.03.2026", "FOLGELASTSCHRIFT", "Kundennr. 4711 Rechnung 03/2026",
             "Telekom Deutschland GmbH", "DE12500105170648489890", "-89,90", "EUR"],
            ["05.03.2026", "04.03.2026", "GUTSCHR. UEBERWEISUNG", "INV-2026-0002 INV-2026-0003", "Bäckerei Kühn",
             "DE75 2004 1111 0000 0047 11", "2.380,00", "EUR"],
            ["06.03.2026", "06.03.2026", "ONLINE-UEBERWEISUNG", "Bestellung PO-2026-017", "Papier & Druck Weiß KG",
             "DE29100100100987654321", "-1.234,56", "EUR"],
            ["10.03.2026", "10.03.2026", "ENTGELTABSCHLUSS", "", "", "", "-12,90", "EUR"],
        ])


def test_sparkasse_every_line_exactly():
    statement = read_csv(SPARKASSE, SPARKASSE_LAYOUT)
    assert (statement.format, statement.currency) == ("csv", "EUR")
    # the account from the preamble ("Kontonummer:";"DE75 1203 ... / Girokonto"): keeps two accounts' entries apart
    assert (statement.account_iban, statement.account_id) == ("DE75120300001020304050", "DE75120300001020304050")
    assert (statement.statement_id, statement.opening_balance, statement.closing_balance) == ("", None, None)
    assert statement.lines == SPARKASSE_LINES  # the empty line and the "Kontostand am" footer are no entries


def test_sparkasse_through_read():
    assert read(SPARKASSE, "Umsaetze.CSV", "csv", SPARKASSE_LAYOUT).lines == SPARKASSE_LINES
    assert read(SPARKASSE, "", None, SPARKASSE_LAYOUT).lines == SPARKASSE_LINES  # recognised as a CSV by its bytes
    assert read(SPARKASSE, "x.csv", layout=SPARKASSE_LAYOUT).format == "csv"
    assert "CSV" in refused(read, SPARKASSE, "x.csv", code="csv_needs_layout")
    refused(read, SPARKASSE, "", "csv", code="csv_needs_layout")
    refused(read, SPARKASSE, code="csv_needs_layout")  # recognised without the name
    # a layout does not make a CAMT.053 or an MT940 a CSV
    assert read((BANK / "mt940_plain.sta").read_bytes(), "", None, SPARKASSE_LAYOUT).format == "mt940"


def test_sparkasse_without_currency_column_takes_the_layouts():
    layout = replace(SPARKASSE_LAYOUT, currency_column="", currency="eur")
    statement = read_csv(SPARKASSE, layout)
    assert statement.currency == "EUR" and {line.currency for line in statement.lines} == {"EUR"}
    # a row's empty currency cell takes the layout's too
    data = sparkasse('"02.03.2026";"";"";"x";"";"";"5,00";""\r\n')
    assert read_csv(data, replace(SPARKASSE_LAYOUT, currency="CHF")).lines == [
        BankLine(booked_on=date(2026, 3, 2), amount=Decimal("5.00"), currency="CHF", remittance="x")]


def test_sparkasse_utf8_and_a_saved_layout_of_other_case_and_spaces():
    # the bank's next export, saved again as UTF-8 by a spreadsheet: the layout (cp1252) still reads it
    assert read_csv(SPARKASSE.decode("cp1252").encode("utf-8"), SPARKASSE_LAYOUT).lines == SPARKASSE_LINES
    # and a header written in capitals with other spaces: the columns are the same (header_key finds the layout)
    upper = SPARKASSE.decode("cp1252").replace('"Betrag (EUR)"', '" BETRAG  (EUR) "').replace(
        '"Buchungstag"', '"BUCHUNGSTAG"').encode("cp1252")
    assert header_key(csv_table(upper).header) == header_key(SPARKASSE_HEADER)
    assert read_csv(upper, SPARKASSE_LAYOUT).lines == SPARKASSE_LINES


def test_dates_written_with_two_digits_of_the_year():
    data = sparkasse('"02.03.26";"01.03.26";"";"x";"";"";"5,00";"EUR"\r\n')
    layout = replace(SPARKASSE_LAYOUT, date_format="dd.mm.yy")
    assert read_csv(data, layout).lines[0].booked_on == date(2026, 3, 2)
    assert read_csv(data, layout).lines[0].value_date == date(2026, 3, 1)


# --- the English debit/credit export ---------------------------------------------------------------------------

DEBIT_CREDIT_LINES = [
    BankLine(booked_on=date(2026, 3, 2), amount=Decimal("1234.56"), currency="GBP",
             counterparty_name="Acme Trading Ltd", remittance="Faster Payment received INV-2026-0101",
             reference="INV-2026-0101"),
    BankLine(booked_on=date(2026, 3, 3), amount=Decimal("-45.99"), currency="GBP",  # written "-45.99": money out
             counterparty_name="Office Supplies Co", remittance="Card payment CARD 8841", reference="CARD 8841"),
    BankLine(booked_on=date(2026, 3, 5), amount=Decimal("-1020.00"), currency="GBP",  # written "1,020.00"
             counterparty_name="Power & Light, plc", remittance="Direct debit DD-2026-03", reference="DD-2026-03"),
    BankLine(booked_on=date(2026, 3, 9), amount=Decimal("500.00"), currency="GBP", counterparty_name="Café Zoë Ltd",
             remittance="Bank transfer in INV-2026-0102", reference="INV-2026-0102"),
    BankLine(booked_on=date(2026, 3, 12), amount=Decimal("-2000.00"), currency="GBP",
             counterparty_name="Landlord Properties", remittance="Standing order RENT-MAR", reference="RENT-MAR"),
    BankLine(booked_on=date(2026, 3, 20), amount=Decimal("12500.00"), currency="GBP",
             counterparty_name="Acme Trading Ltd", remittance="Faster Payment received INV-2026-0103 INV-2026-0104",
             reference="INV-2026-0103 INV-2026-0104"),
    BankLine(booked_on=date(2026, 3, 31), amount=Decimal("0.42"), currency="GBP", remittance="Interest"),
]


def test_debit_credit_table_is_detected():
    assert csv_table(DEBIT_CREDIT) == CsvTable(
        encoding="utf-8", delimiter=",", header_row=0, header=DEBIT_CREDIT_HEADER, rows=[
            ["2026-03-02", "Faster Payment received", "Acme Trading Ltd", "INV-2026-0101", "", "1,234.56",
             "11,234.56"],
            ["2026-03-03", "Card payment", "Office Supplies Co", "CARD 8841", "-45.99", "", "11,188.57"],
            ["2026-03-05", "Direct debit", "Power & Light, plc", "DD-2026-03", "1,020.00", "", "10,168.57"],
            ["2026-03-09", "Bank transfer in", "Café Zoë Ltd", "INV-2026-0102", "", "500.00", "10,668.57"],
            ["2026-03-12", "Standing order", "Landlord Properties", "RENT-MAR", "2,000.00", "", "8,668.57"],
        ])  # the byte order mark is not part of "Date"


def test_debit_credit_every_line_exactly():
    statement = read_csv(DEBIT_CREDIT, DEBIT_CREDIT_LAYOUT)
    assert (statement.format, statement.currency, statement.account_iban) == ("csv", "GBP", "")
    assert statement.lines == DEBIT_CREDIT_LINES
    assert sum(line.amount for line in statement.lines) == Decimal("21168.99") - Decimal("10000.00")  # the balances
    assert read(DEBIT_CREDIT, "statement.csv", "csv", DEBIT_CREDIT_LAYOUT).lines == DEBIT_CREDIT_LINES
    refused(read, DEBIT_CREDIT, "statement.csv", code="csv_needs_layout")


def test_debit_and_credit_in_one_row_and_zero():
    data = ("Date,Description,Payee,Reference,Debit,Credit,Balance\r\n"
            "2026-03-02,Both,,,10.00,25.00,\r\n"  # net: 15.00 in
            "2026-03-03,Nothing moved,,,0.00,0.00,\r\n"  # amount 0: no entry
            "2026-03-04,Zero out,,,0.00,,\r\n").encode()
    assert read_csv(data, DEBIT_CREDIT_LAYOUT).lines == [
        BankLine(booked_on=date(2026, 3, 2), amount=Decimal("15.00"), currency="GBP", remittance="Both")]


# --- the header --------------------------------------------------------------------------------------------------

def test_header_key_is_stable_across_case_and_spaces():
    key = header_key(SPARKASSE_HEADER)
    assert key == ("buchungstag|valutadatum|buchungstext|verwendungszweck|begünstigter/zahlungspflichtiger|"
                   "kontonummer/iban|betrag (eur)|währung")
    assert header_key([" BUCHUNGSTAG ", "Valutadatum", "buchungsTEXT", "Verwendungszweck",
                       "Begünstigter/Zahlungspflichtiger", "Kontonummer/IBAN", "Betrag  (EUR)", "WÄHRUNG", ""]) == key
    assert header_key(DEBIT_CREDIT_HEADER) == "date|description|payee|reference|debit|credit|balance"
    assert header_key(DEBIT_CREDIT_HEADER) != header_key(DEBIT_CREDIT_HEADER[:-1])
    assert header_key(DEBIT_CREDIT_HEADER) != header_key(DEBIT_CREDIT_HEADER[1:] + DEBIT_CREDIT_HEADER[:1])
    assert header_key(csv_table(DEBIT_CREDIT).header) == header_key(DEBIT_CREDIT_HEADER)


def test_tab_and_pipe_delimited_and_a_trailing_delimiter():
    for delimiter in ("\t", "|"):
        data = delimiter.join(["Datum", "Betrag", "Text", ""]) + "\n" + delimiter.join(
            ["02.03.2026", "1.190,00", "INV-2026-0001", ""]) + "\n"
        table = csv_table(data.encode())
        assert (table.delimiter, table.header_row, table.header) == (delimiter, 0, ["Datum", "Betrag", "Text"])
        assert table.rows == [["02.03.2026", "1.190,00", "INV-2026-0001"]]
        layout = CsvLayout(date_column="Datum", date_format="dd.mm.yyyy", delimiter=delimiter, amount_column="Betrag",
                           text_columns=("Text",))
        assert read_csv(data.encode(), layout).lines == [
            BankLine(booked_on=date(2026, 3, 2), amount=Decimal("1190.00"), currency="EUR", remittance="INV-2026-0001")]


def test_the_header_is_the_line_with_the_most_columns_followed_by_a_row():
    data = ("Konto;DE75 1203 0000 1020 3040 50;Girokonto\n"  # three cells, but fewer than the header
            "Zeitraum;01.03.2026;31.03.2026;\n"  # dates: no header
            "Buchungstag;Betrag;Text;Name\n"
            "02.03.2026;-5,00;x;y\n").encode()
    table = csv_table(data)
    assert (table.header_row, table.header, table.rows) == (2, ["Buchungstag", "Betrag", "Text", "Name"],
                                                            [["02.03.2026", "-5,00", "x", "y"]])


# --- amounts -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, decimal, amount", [
    ("1.234,56", ",", "1234.56"), ("-89,90", ",", "-89.90"), ("89,90-", ",", "-89.90"), ("+1.190,00", ",", "1190.00"),
    ("-12,50 €", ",", "-12.50"), ("12,50 EUR", ",", "12.50"), ("€ -12,50", ",", "-12.50"), ("1 234,56", ",", "1234.56"),
    ("1\u00a0234\u00a0567,8", ",", "1234567.8"), ("1234,56", ",", "1234.56"), ("7", ",", "7"), ("1.000", ",", "1000"),
    ("1,234.56", ".", "1234.56"), ("EUR 12.50", ".", "12.50"), ("-$1,000,000.01", ".", "-1000000.01"),
    ("12.50-", ".", "-12.50"), ("(45.00)", ".", "-45.00"), ("1'234.50", ".", "1234.50"), ("GBP -0.42", ".", "-0.42"),
])
def test_amounts_as_banks_write_them(written, decimal, amount):
    layout = CsvLayout(date_column="Datum", date_format="dd.mm.yyyy", decimal=decimal, amount_column="Betrag")
    data = f'Datum;Betrag;Text\n02.03.2026;"{written}";x\n'.encode()
    [line] = read_csv(data, layout).lines
    assert line.amount == Decimal(amount) and str(line.amount) == amount  # as written, not rounded


@pytest.mark.parametrize("written, decimal", [
    ("12,3x", ","), ("12.5", ","), ("1.23,45", ","), ("1,234.56", ","), ("--5,00", ","), ("-5,00-", ","),
    ("1,2,3", ","), ("12,", ","), (",50", ","), ("(-5,00)", ","), ("1.2345,00", ","), ("zwölf", ","),
    ("12,50", "."), ("1.234,56", "."), ("1,23.45", "."), ("12.50 EURO", "."), ("1,234.56.7", "."),
])
def test_malformed_amounts_are_refused(written, decimal):
    layout = CsvLayout(date_column="Datum", date_format="dd.mm.yyyy", decimal=decimal, amount_column="Betrag")
    data = f'Datum;Betrag;Text\n02.03.2026;"{written}";x\n'.encode()
    message = refused(read_csv, data, layout, code="invalid_amount")
    assert message == (f'Row 2: the amount "{written}" is not a valid amount (with "{decimal}" as the decimal '
                       'separator).')


# --- refusals ----------------------------------------------------------------------------------------------------

def test_a_bad_amount_names_its_row_by_the_files_line():
    # the row of 27.03.: line 15 of the file (the cell of 20.03. holds a line break)
    data = SPARKASSE.replace(b'"10.000,00"', b'"12,3x"')
    message = refused(read_csv, data, SPARKASSE_LAYOUT, code="invalid_amount")
    assert message == 'Row 15: the amount "12,3x" is not a valid amount (with "," as the decimal separator).'
    data = DEBIT_CREDIT.replace(b'"2,000.00"', b'"2.000,00"')
    message = refused(read_csv, data, DEBIT_CREDIT_LAYOUT, code="invalid_amount")
    assert message.startswith('Row 6: the amount "2.000,00"')
    # a row with a date and no amount at all
    data = SPARKASSE.replace(b'"-12,90"', b'""')
    assert refused(read_csv, data, SPARKASSE_LAYOUT, code="invalid_amount") == "Row 11: it has a date but no amount."
    data = DEBIT_CREDIT.replace(b',,0.42,', b',,,')
    assert refused(read_csv, data, DEBIT_CREDIT_LAYOUT, code="invalid_amount") == "Row 8: it has a date but no amount."


def test_a_bad_date_names_its_row():
    data = SPARKASSE.replace(b'"03.03.2026";"03.03.2026"', b'"30.02.2026";"03.03.2026"')
    assert refused(read_csv, data, SPARKASSE_LAYOUT, code="invalid_date") == (
        'Row 8: the date "30.02.2026" is not a valid date written dd.mm.yyyy.')
    data = SPARKASSE.replace(b'"06.03.2026";"06.03.2026"', b'"06.03.2026";"2026-03-06"')  # the value date
    assert "Row 10:" in refused(read_csv, data, SPARKASSE_LAYOUT, code="invalid_date")
    # the layout's date format is not the file's
    message = refused(read_csv, DEBIT_CREDIT, replace(DEBIT_CREDIT_LAYOUT, date_format="dd/mm/yyyy"),
                      code="invalid_date")
    assert message == 'Row 2: the date "2026-03-02" is not a valid date written dd/mm/yyyy.'
    # a date not in the month's days, month first
    data = "Date,Amount\n02/30/2026,5.00\n".encode()
    layout = CsvLayout(date_column="Date", date_format="mm/dd/yyyy", decimal=".", delimiter=",", amount_column="Amount")
    assert "02/30/2026" in refused(read_csv, data, layout, code="invalid_date")
    assert read_csv(b"Date,Amount,X\n03/02/2026,5.00,\n", layout).lines[0].booked_on == date(2026, 3, 2)


def test_rows_that_are_no_entries_are_skipped():
    data = sparkasse('"02.03.2026";"";"";"x";"";"";"5,00";"EUR"\r\n'
                     '\r\n'
                     '"";"";"";"";"";"";"";""\r\n'
                     '"offen";"";"";"pending";"";"";"-7,00";"EUR"\r\n'  # comdirect: a pending entry
                     '"Kontostand am 31.03.2026";"";"";"";"";"";"1.234,56";"EUR"\r\n'
                     '"Buchungstag";"Valutadatum";"Buchungstext";"";"";"";"Betrag (EUR)";""\r\n'
                     '"Summe";"";"";"";"";"";"xyz";""\r\n')
    assert read_csv(data, SPARKASSE_LAYOUT).lines == [
        BankLine(booked_on=date(2026, 3, 2), amount=Decimal("5.00"), currency="EUR", remittance="x")]


def test_a_column_of_the_layout_the_file_lacks():
    message = refused(read_csv, SPARKASSE, replace(SPARKASSE_LAYOUT, amount_column="Betrag"), code="csv_column_missing")
    assert message == "The column Betrag of the layout is not in this file."
    layout = replace(SPARKASSE_LAYOUT, text_columns=("Verwendungszweck", "Info"))
    assert "column Info " in refused(read_csv, SPARKASSE, layout, code="csv_column_missing")
    # another bank's file: the first column of the layout is named
    assert "column Buchungstag " in refused(read_csv, DEBIT_CREDIT, SPARKASSE_LAYOUT, code="csv_column_missing")
    # a header below line 30 is not looked for
    on_line = sparkasse('"02.03.2026";;;;;;"1,00";\r\n').decode("cp1252").split("\r\n")
    assert read_csv(("\r\n".join(on_line[:5] + [""] * 24 + on_line[5:])).encode(), SPARKASSE_LAYOUT).lines  # 30
    late = ("\r\n".join(on_line[:5] + [""] * 25 + on_line[5:])).encode()  # the header on line 31
    refused(read_csv, late, SPARKASSE_LAYOUT, code="csv_column_missing")


@pytest.mark.parametrize("data", [b"\x00\x01\x02\xff\xfe binary", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40,
                                  b"%PDF-1.7\n\x81\x8d\x8f\x90\x9d", "Datum;Betrag\n".encode("utf-16"),
                                  bytes(range(1, 32)) * 20 + b";;\n;;\n"])
def test_binary_data_is_not_csv(data):
    refused(csv_table, data, code="not_csv")
    refused(read_csv, data, SPARKASSE_LAYOUT, code="not_csv")


def test_text_without_columns_is_not_csv():
    refused(csv_table, b"Dear customer,\nyour statement is attached.\n", code="csv_no_header")
    refused(csv_table, b"Just one line of words\nand another\n", code="not_csv")


@pytest.mark.parametrize("data", [b"", b" \r\n\t ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty(data):
    refused(csv_table, data, code="empty")
    refused(read_csv, data, SPARKASSE_LAYOUT, code="empty")


def test_no_header():
    assert "30 lines" in refused(csv_table, b"Konto;4711\nSaldo;12,00\n", code="csv_no_header")  # two columns
    refused(csv_table, b"Datum;Betrag;Text\n", code="csv_no_header")  # a header no row follows
    refused(csv_table, b"Datum;Betrag;Text\n02.03.2026;5,00\n", code="csv_no_header")  # a row of fewer cells
    refused(csv_table, b"02.03.2026;5,00;x\n03.03.2026;6,00;y\n", code="csv_no_header")  # rows without a header
    late = b"Bank;Export\n" * 30 + b"Datum;Betrag;Text\n02.03.2026;5,00;x\n"  # the header on line 31
    refused(csv_table, late, code="csv_no_header")
    assert csv_table(late[len(b"Bank;Export\n"):]).header_row == 29


def test_too_large(monkeypatch):
    assert "20 MB" in refused(csv_table, b"a;b;c\n" * (bank_files.MAX_BYTES // 6 + 1), code="too_large")
    monkeypatch.setattr(bank_files, "MAX_BYTES", len(SPARKASSE) - 1)
    refused(csv_table, SPARKASSE, code="too_large")
    refused(read_csv, SPARKASSE, SPARKASSE_LAYOUT, code="too_large")


def test_too_many_lines(monkeypatch):
    monkeypatch.setattr(bank_files, "MAX_LINES", 7)
    assert "7" in refused(read_csv, SPARKASSE, SPARKASSE_LAYOUT, code="too_many_lines")
    monkeypatch.setattr(bank_files, "MAX_LINES", 8)
    assert len(read_csv(SPARKASSE, SPARKASSE_LAYOUT).lines) == 8


def test_a_layout_that_is_not_one_is_a_programming_error():
    for wrong in (dict(date_format="yyyy/mm/dd"), dict(decimal=" "), dict(delimiter=":"), dict(encoding="utf-16"),
                  dict(date_column=""), dict(debit_column="Betrag (EUR)"), dict(amount_column=""),
                  dict(amount_column="", debit_column="Betrag (EUR)")):
        with pytest.raises(ValueError):
            read_csv(SPARKASSE, replace(SPARKASSE_LAYOUT, **wrong))
    assert read_csv(SPARKASSE, replace(SPARKASSE_LAYOUT, encoding="windows-1252")).lines == SPARKASSE_LINES


def test_every_date_format_is_shown_and_read():
    assert list(bank_files.DATE_FORMATS) == ["dd.mm.yyyy", "dd.mm.yy", "yyyy-mm-dd", "dd/mm/yyyy", "mm/dd/yyyy"]
    for key, written in (("dd.mm.yyyy", "02.03.2026"), ("dd.mm.yy", "02.03.26"), ("yyyy-mm-dd", "2026-03-02"),
                         ("dd/mm/yyyy", "02/03/2026"), ("mm/dd/yyyy", "03/02/2026")):
        layout = CsvLayout(date_column="D", date_format=key, amount_column="A")
        assert read_csv(f"D;A;T\n{written};1,00;x\n".encode(), layout).lines[0].booked_on == date(2026, 3, 2)
