"""CSV import (preview, all-or-nothing, valid rows only, 10,000 rows) and export (round trip, formula cells)."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Contact, ImportJob
from webapp.services.customer_csv import neutralize, unneutralize

HEADER = "Company,Person,E-mail,Phone,Country,VAT number,City\n"


def upload(client, text: str, name="customers.csv"):
    return client.post("/customers/import", data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def job_url(response) -> str:
    assert response.status_code == 303, response.data[:500]
    return response.headers["Location"]


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_good_file_imports_every_row(login_as):
    owner = login_as("owner")
    text = HEADER + "ACME GmbH,Max,max@acme.example,+49 1,DE,DE136695976,Berlin\n" \
                    ",Jeanne Martin,jeanne@example.fr,,FR,,Lyon\n" \
                    "Tiny Ltd,,hello@tiny.example,,GB,,London\n"
    url = job_url(upload(owner.client, text))
    preview = owner.client.get(url).data.decode()
    assert "<strong>3</strong> rows: <strong>3</strong> ready" in preview
    assert count() == 0  # nothing before confirming
    job_id = int(url.rsplit("/", 1)[1])
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    assert r.status_code == 303
    rows = {c.display_name: c for c in db.session.scalars(select(Contact))}
    assert set(rows) == {"ACME GmbH", "Jeanne Martin", "Tiny Ltd"}
    assert rows["ACME GmbH"].vat_id == "DE136695976" and rows["Jeanne Martin"].country == "FR"
    # a second run of the same file is refused
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    assert r.status_code == 422 and count() == 3


def test_one_bad_row_imports_nothing_and_says_where_and_why(login_as):
    owner = login_as("owner")
    text = HEADER + "Good One,,one@example.com,,DE,,Berlin\n" \
                    "Bad VAT,,two@example.com,,DE,DE136695977,Berlin\n" \
                    "Good Three,,three@example.com,,DE,,Berlin\n"
    url = job_url(upload(owner.client, text))
    preview = owner.client.get(url).data.decode()
    assert "<strong>2</strong> ready" in preview and "<strong>1</strong> with errors" in preview
    row = re.search(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", preview)
    assert row.groups()[:2] == ("3", "VAT number") and "is not a valid VAT ID for DE" in row.group(3)
    job_id = int(url.rsplit("/", 1)[1])
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    assert r.status_code == 422 and "nothing was imported" in r.data.decode()
    assert count() == 0
    # the user may choose to import only the valid rows
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "valid_only"})
    assert r.status_code == 303
    assert sorted(c.display_name for c in db.session.scalars(select(Contact))) == ["Good One", "Good Three"]


def test_mapping_can_be_changed_and_is_checked(login_as):
    owner = login_as("owner")
    text = "Firma;Land;Notiz\nMüller KG;AT;Stammkunde\n"
    url = job_url(upload(owner.client, text))
    preview = owner.client.get(url).data.decode()
    assert "Map a column to Person or Company" in preview
    r = owner.client.post(url, data={"col_0": "company_name", "col_1": "country", "col_2": "notes"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.data.decode().lstrip().startswith('<section id="import-preview"')
    assert "<strong>1</strong> ready" in r.data.decode()
    r = owner.client.post(url, data={"col_0": "company_name", "col_1": "country", "col_2": "password_hash"})
    assert r.status_code == 422 and "choose a field from the list" in r.data.decode()
    job_id = int(url.rsplit("/", 1)[1])
    owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    contact = db.session.scalar(select(Contact))
    assert (contact.company_name, contact.country, contact.notes) == ("Müller KG", "AT", "Stammkunde")


def test_bad_files_are_refused_with_a_message(login_as):
    owner = login_as("owner")
    for data, name, message in [(b"", "empty.csv", "The file is empty."),
                                (b"Company\n" + b"A\n" * 3000 + b"B\0\n", "nul.csv", "binary data"),
                                (b"\x89PNG\r\n\x1a\n\0\0\0", "logo.csv", "not a CSV text file"),
                                (b"x" * (10 * 1024 * 1024 + 10), "big.csv", "larger than 10 MB")]:
        r = owner.client.post("/customers/import", data={"file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
        assert r.status_code == 422 and message in r.data.decode(), name
    r = owner.client.post("/customers/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Choose a CSV file." in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_ten_thousand_rows_import_in_one_go(login_as):
    owner = login_as("owner")
    lines = [HEADER] + [f"Company {i:05d},,c{i}@example.com,,DE,,Berlin\n" for i in range(10_000)]
    url = job_url(upload(owner.client, "".join(lines)))
    job_id = int(url.rsplit("/", 1)[1])
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    assert r.status_code == 303
    assert count() == 10_000
    listing = owner.client.get("/customers/?q=company 09999").data.decode()
    assert "Company 09999" in listing and "1–1 of 1 customer" in listing


def test_export_round_trips_through_import_and_neutralizes_formulas(login_as, f):
    owner = login_as("owner")
    f.custom_field(owner.org, "tier", "choice", ["gold", "silver"])
    f.custom_field(owner.org, "tags", "multichoice", ["a", "b"])
    f.contact(owner.org, "=HYPERLINK(\"http://evil.example\")", "+Plus Person", "x@example.com", phone="+49 30 1",
              notes="@SUM(A1)\nsecond line", city="-Minus", custom={"tier": "gold", "tags": ["a", "b"]},
              street="\tTabbed")
    f.contact(owner.org, "Plain GmbH", "", "plain@example.com", vat_id="DE136695976", has_shipping_address=True,
              shipping_street="Lager 1", shipping_postal_code="1", shipping_city="Hamburg", shipping_country="DE")
    f.contact(owner.org, "ACME;=1+1", "'=literal", "acme@example.com", archived=True, notes="'quoted")
    exported = owner.client.get("/customers/export.csv?status=all")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.data.decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK(\"http://evil.example\")" in cells and "'+49 30 1" in cells and "'@SUM(A1)\nsecond line" in cells
    assert '"ACME;=1+1"' in text  # quoted: a spreadsheet splitting on ";" cannot open a formula inside it

    def snapshot(org_id):
        rows = db.session.scalars(select(Contact).where(Contact.org_id == org_id).order_by(Contact.sort_name)).all()
        skip = {"id", "org_id", "created_at", "updated_at"}
        return [{k: getattr(c, k) for k in Contact.__table__.columns.keys() if k not in skip} for c in rows]

    other = login_as("owner")
    f.custom_field(other.org, "tier", "choice", ["gold", "silver"])
    f.custom_field(other.org, "tags", "multichoice", ["a", "b"])
    job_id = int(job_url(upload(other.client, text)).rsplit("/", 1)[1])
    assert other.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"}).status_code == 303
    assert snapshot(other.org.id) == snapshot(owner.org.id)
    assert [c["archived"] for c in snapshot(other.org.id)].count(True) == 1
    assert other.client.get("/customers/export.csv?status=all").data.decode() == text
    assert "ACME" not in other.client.get("/customers/export.csv").data.decode()  # the list's filter applies


def test_neutralize():
    assert neutralize("=1+1") == "'=1+1" and neutralize("-5") == "'-5" and neutralize("\rX") == "'\rX"
    assert neutralize("plain") == "plain" and neutralize("'=quoted") == "''=quoted" and neutralize("'x") == "''x"
    for value in ("=1", "'=1", "''=1", "'x", "x'", "+49"):
        assert unneutralize(neutralize(value)) == value


@pytest.mark.slow
def test_two_clicks_on_import_import_once(app, login_as):
    import threading

    owner = login_as("owner")
    text = HEADER + "".join(f"Company {i},,c{i}@example.com,,DE,,Berlin\n" for i in range(300))
    job_id = int(job_url(upload(owner.client, text)).rsplit("/", 1)[1])
    codes = []

    def click():
        codes.append(owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"}).status_code)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [303, 422]
    assert count() == 300
