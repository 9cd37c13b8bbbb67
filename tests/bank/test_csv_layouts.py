"""A bank's CSV export (issue 18): the first one asks which column holds what (the screen guesses from the header),
saves the layout and imports; the bank's next export with the same columns is read without asking; a mapping that
cannot be right says where; the API reads CSVs of known layouts only. SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import BankCsvLayout, BankTransaction, Document, ImportJob

TODAY = date.today()


def csv(*rows: tuple[str, str, str, str]) -> bytes:
    """A German bank's export: a preamble, the header, one row per (text, payer, IBAN, amount), a footer."""
    day = TODAY.strftime("%d.%m.%Y")
    lines = ['"Umsätze Girokonto";"DE89370400440532013000"', '"Zeitraum:";"01.11.2026 - 30.11.2026"', "",
             '"Buchungstag";"Valutadatum";"Verwendungszweck";"Begünstigter/Zahlungspflichtiger";"IBAN";"Betrag";'
             '"Währung"']
    lines += [f'"{day}";"{day}";"{text}";"{payer}";"{iban}";"{amount}";"EUR"' for text, payer, iban, amount in rows]
    lines += ['"Kontostand";"";"";"";"";"1.234,56";"EUR"']
    return ("\n".join(lines) + "\n").encode()


def upload(client, data: bytes, name: str = "umsaetze.csv"):
    return client.post("/bank/statements", data={"file": (__import__("io").BytesIO(data), name)},
                       content_type="multipart/form-data")


def mapping(**overrides) -> dict:
    values = {"name": "Commerzbank", "date_column": "Buchungstag", "date_format": "dd.mm.yyyy",
              "value_date_column": "Valutadatum", "amount_column": "Betrag", "debit_column": "", "credit_column": "",
              "decimal": ",", "name_column": "Begünstigter/Zahlungspflichtiger", "iban_column": "IBAN",
              "text_columns": ["Verwendungszweck"], "reference_column": "", "currency_column": "Währung",
              "currency": "EUR"}
    values.update(overrides)
    return values


def test_the_first_export_asks_for_its_columns_and_the_next_is_read_without_asking(owner, f):
    invoice = f.issued(owner.org, contact_=f.contact(owner.org, company="Kunde GmbH"))
    number = db.session.get(Document, invoice.id).number
    first = upload(owner.client, csv((f"Rechnung {number}", "KUNDE GMBH", "DE02 1203 0000 0000 2020 51", "23,80"),
                                     ("Kontoführung", "Bank", "", "-4,90")))
    assert first.status_code == 303 and "/bank/csv/" in first.headers["Location"]
    job_id = int(re.search(r"/bank/csv/(\d+)", first.headers["Location"]).group(1))
    screen = owner.client.get(f"/bank/csv/{job_id}").get_data(as_text=True)
    assert 'id="csv-preview"' in screen and "Kontoführung" in screen and f"Rechnung {number}" in screen
    # the screen's first guesses, from the header's words
    assert re.search(r'<option selected value="Buchungstag">|<option value="Buchungstag" selected>', screen)
    assert re.search(r'<option selected value="Betrag">|<option value="Betrag" selected>', screen)
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 0
    saved = owner.client.post(f"/bank/csv/{job_id}", data=mapping())
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    rows = db.session.scalars(select(BankTransaction).order_by(BankTransaction.amount)).all()
    assert [(t.amount, t.counterparty_name, t.counterparty_iban, t.booked_on) for t in rows] == [
        (-490, "Bank", "", TODAY), (2380, "KUNDE GMBH", "DE02120300000000202051", TODAY)]
    assert (rows[1].proposed_document_id, rows[1].confidence) == (invoice.id, "exact")
    layout = db.session.scalar(select(BankCsvLayout))
    assert (layout.name, layout.settings["amount_column"], layout.settings["decimal"]) == ("Commerzbank", "Betrag", ",")
    assert db.session.get(ImportJob, job_id).finished_at is not None
    assert owner.client.post(f"/bank/csv/{job_id}", data=mapping()).status_code in (302, 303, 422)  # not twice
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 2
    # the next export of the same bank: read at once, only its new entries
    again = upload(owner.client, csv(("Kontoführung", "Bank", "", "-4,90"), ("Zinsen", "Bank", "", "0,12")))
    assert again.status_code == 303 and again.headers["Location"].endswith("/bank/")
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 3
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 1


def test_a_mapping_that_cannot_be_right_says_where_and_keeps_the_file_waiting(owner):
    first = upload(owner.client, csv(("Miete", "Vermieter", "", "-800,00")))
    job_id = int(re.search(r"/bank/csv/(\d+)", first.headers["Location"]).group(1))
    for values, message in ((mapping(date_column=""), "Choose the column with the booking date."),
                            (mapping(amount_column="", debit_column="Betrag"), "Choose the column with the amount"),
                            (mapping(iban_column="Konto"), "Choose one of the file&#39;s columns."),
                            (mapping(name=""), "Name the bank"),
                            (mapping(currency="EURO"), "Enter a currency code")):
        answer = owner.client.post(f"/bank/csv/{job_id}", data=values)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), (values, message)
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 0
    assert db.session.scalar(select(func.count()).select_from(BankCsvLayout)) == 0
    assert db.session.get(ImportJob, job_id).finished_at is None


def test_a_waiting_bank_csv_is_no_customer_import_and_no_one_elses(owner, login_as):
    first = upload(owner.client, csv(("Miete", "Vermieter", "", "-800,00")))
    job_id = int(re.search(r"/bank/csv/(\d+)", first.headers["Location"]).group(1))
    assert owner.client.get(f"/customers/import/{job_id}").status_code == 404
    other = login_as("owner")
    assert other.client.get(f"/bank/csv/{job_id}").status_code == 404
    assert login_as("staff", org=owner.org).client.get(f"/bank/csv/{job_id}").status_code == 403


def test_the_api_reads_a_csv_of_a_known_layout_and_refuses_an_unknown_one(owner, api_as):
    api = api_as("owner", org=owner.org)
    data = csv(("Miete", "Vermieter", "", "-800,00"))
    refused = api.client.post("/api/v1/bank-statements?file_name=u.csv", data=data,
                              headers={"Authorization": f"Bearer {api.token}", "Content-Type": "text/csv"}, csrf=False)
    assert refused.status_code == 422 and refused.get_json()["code"] == "bank_csv_needs_layout"
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    first = upload(owner.client, data)
    job_id = int(re.search(r"/bank/csv/(\d+)", first.headers["Location"]).group(1))
    assert owner.client.post(f"/bank/csv/{job_id}", data=mapping()).status_code == 303
    read = api.client.post("/api/v1/bank-statements?file_name=u.csv",
                           data=csv(("Miete", "Vermieter", "", "-800,00"), ("Strom", "Stadtwerke", "", "-61,20")),
                           headers={"Authorization": f"Bearer {api.token}", "Content-Type": "text/csv"}, csrf=False)
    assert read.status_code == 201, read.get_data(as_text=True)
    body = read.get_json()
    assert (body["format"], body["entries"], body["new"]) == ("csv", 2, 1)
    assert [t["amount"] for t in body["transactions"]] == [-6120]


def test_a_layout_mapped_wrong_is_deleted_and_the_next_export_asks_again(owner):
    first = upload(owner.client, csv(("Miete", "Vermieter", "", "-800,00")))
    job_id = int(re.search(r"/bank/csv/(\d+)", first.headers["Location"]).group(1))
    assert owner.client.post(f"/bank/csv/{job_id}", data=mapping(name="Sparkasse")).status_code == 303
    layout = db.session.scalar(select(BankCsvLayout))
    page = owner.client.get("/bank/").get_data(as_text=True)
    assert 'id="csv-layouts"' in page and "Sparkasse" in page
    assert owner.client.post(f"/bank/csv-layouts/{layout.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(BankCsvLayout)) == 0
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 1  # what was imported stays
    again = upload(owner.client, csv(("Strom", "Stadtwerke", "", "-61,20")))
    assert again.status_code == 303 and "/bank/csv/" in again.headers["Location"]
