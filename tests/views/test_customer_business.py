"""A customer is a business (B2B) or a consumer (B2C), as automatic VAT reads it (``Contact.is_business``): the
customer form's choice, the customer's page, the CSV import and export."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Contact

GOOD = {"company_name": "", "person_name": "Eva Neu", "email": "eva@neu.example", "country": "DE",
        "is_customer": "y", "locale": "", "currency": ""}


def contact_named(name: str) -> Contact:
    db.session.expire_all()
    return next((c for c in db.session.scalars(select(Contact)) if c.display_name == name), None)


def checked_choice(html: str) -> str:
    """The value of the checked "Customer type" radio button."""
    checked = re.findall(r'<input checked id="is_business-\d" name="is_business" type="radio" value="(\d)">', html)
    assert len(checked) == 1, checked
    return checked[0]


def test_the_new_form_offers_business_or_consumer_with_business_checked(login_as):
    owner = login_as("owner")
    html = owner.client.get("/customers/new").data.decode()
    fieldset = html[html.index('id="customer-type"'):]
    fieldset = fieldset[:fieldset.index("</fieldset>")]
    assert "<legend>Customer type</legend>" in fieldset
    assert "> Business</label>" in fieldset and "> Consumer</label>" in fieldset
    assert "Automatic VAT needs it" in fieldset
    assert checked_choice(html) == "1"


def test_create_a_consumer_then_make_it_a_business(login_as):
    owner = login_as("owner")
    r = owner.client.post("/customers/new", data={**GOOD, "is_business": "0"})
    assert r.status_code == 303, r.data[:500]
    eva = contact_named("Eva Neu")
    assert eva.is_business is False and eva.org_id == owner.org.id
    page = owner.client.get(f"/customers/{eva.id}").data.decode()
    assert '<dd id="customer-type">Consumer</dd>' in page
    form = owner.client.get(f"/customers/{eva.id}/edit").data.decode()
    assert checked_choice(form) == "0"  # the edit form shows the stored choice

    r = owner.client.post(f"/customers/{eva.id}/edit", data={**GOOD, "company_name": "Neu GmbH", "is_business": "1"})
    assert r.status_code == 303
    eva = contact_named("Neu GmbH")
    assert eva.is_business is True
    assert '<dd id="customer-type">Business</dd>' in owner.client.get(f"/customers/{eva.id}").data.decode()
    # and back: a consumer again, the other fields as they were
    assert owner.client.post(f"/customers/{eva.id}/edit",
                             data={**GOOD, "company_name": "Neu GmbH", "is_business": "0"}).status_code == 303
    eva = contact_named("Neu GmbH")
    assert (eva.is_business, eva.email, eva.person_name) == (False, "eva@neu.example", "Eva Neu")


def test_business_is_the_default_and_a_refused_form_keeps_the_choice(login_as):
    owner = login_as("owner")
    assert owner.client.post("/customers/new", data={**GOOD, "is_business": "1"}).status_code == 303
    assert contact_named("Eva Neu").is_business is True
    refused = owner.client.post("/customers/new", data={**GOOD, "person_name": "Max", "email": "nope",
                                                        "is_business": "0"})
    assert refused.status_code == 422
    assert checked_choice(refused.data.decode()) == "0"
    assert contact_named("Max") is None


@pytest.mark.parametrize("language,legend,business,consumer", [
    ("de", "Kundenart", "Unternehmen", "Verbraucher"),
    ("fr", "Type de client", "Entreprise", "Particulier"),
])
def test_the_choice_in_german_and_french(login_as, f, language, legend, business, consumer):
    owner = login_as("owner")
    html = owner.client.get("/customers/new", headers={"Accept-Language": language}).data.decode()
    for text in (f"<legend>{legend}</legend>", f"> {business}</label>", f"> {consumer}</label>"):
        assert text in html, text
    person = f.contact(owner.org, "", "Jeanne Martin", is_business=False)
    page = owner.client.get(f"/customers/{person.id}", headers={"Accept-Language": language}).data.decode()
    assert f"<dt>{legend}</dt><dd id=\"customer-type\">{consumer}</dd>" in page


# --- CSV ----------------------------------------------------------------------------------------

def upload(client, text: str):
    r = client.post("/customers/import", data={"file": (io.BytesIO(text.encode()), "customers.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 303, r.data[:500]
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_csv_import_reads_is_business_and_defaults_to_business(login_as):
    owner = login_as("owner")
    text = ("Company,Person,Country,is_business\n"
            "ACME GmbH,,DE,yes\nShop AG,,DE,TRUE\nOne KG,,DE,1\nEmpty Ltd,,DE,\n"
            ",Jeanne Martin,FR,no\n,Max Muster,DE,false\n,Erika Muster,DE,0\n")
    job_id = upload(owner.client, text)
    assert owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"}).status_code == 303
    rows = {c.display_name: c.is_business for c in db.session.scalars(select(Contact))}
    assert rows == {"ACME GmbH": True, "Shop AG": True, "One KG": True, "Empty Ltd": True,
                    "Jeanne Martin": False, "Max Muster": False, "Erika Muster": False}
    # a file without the column: every customer a business
    job_id = upload(owner.client, "Company,Country\nNo Column GmbH,DE\n")
    assert owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"}).status_code == 303
    assert contact_named("No Column GmbH").is_business is True


def test_a_bad_is_business_cell_is_an_error_of_its_row(login_as):
    owner = login_as("owner")
    job_id = upload(owner.client, "Company,Country,is_business\nGood GmbH,DE,no\nBad GmbH,DE,maybe\n")
    preview = owner.client.get(f"/customers/import/{job_id}").data.decode()
    assert "<strong>1</strong> ready" in preview and "<strong>1</strong> with errors" in preview
    row = re.search(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", preview)
    assert row.groups() == ("3", "Business customer (yes/no; no: a consumer)", "Use yes or no.")
    r = owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"})
    assert r.status_code == 422 and db.session.scalar(select(Contact.id)) is None
    assert owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "valid_only"}).status_code == 303
    assert [(c.display_name, c.is_business) for c in db.session.scalars(select(Contact))] == [("Good GmbH", False)]


def test_csv_export_has_the_column_and_imports_back(login_as, f):
    owner = login_as("owner")
    f.contact(owner.org, "Firma GmbH", "", is_business=True)
    f.contact(owner.org, "", "Privat Person", is_business=False)
    exported = owner.client.get("/customers/export.csv").data.decode()
    table = list(csv.DictReader(io.StringIO(exported)))
    assert {r["company_name"] or r["person_name"]: r["is_business"] for r in table} == {
        "Firma GmbH": "yes", "Privat Person": "no"}
    db.session.execute(Contact.__table__.delete())
    db.session.commit()
    job_id = upload(owner.client, exported)
    assert owner.client.post(f"/customers/import/{job_id}/run", data={"mode": "all"}).status_code == 303
    assert {c.display_name: c.is_business for c in db.session.scalars(select(Contact))} == {
        "Firma GmbH": True, "Privat Person": False}
