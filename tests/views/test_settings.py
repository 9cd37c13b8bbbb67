import io
from datetime import date

from PIL import Image
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, NumberCounter, NumberSeries, Organization

GOOD = {
    "name": "Müller Werkstatt", "legal_name": "Müller Werkstatt GmbH", "street": "Hauptstraße 1",
    "street2": "", "postal_code": "80331", "city": "München", "region": "Bayern", "country": "DE",
    "vat_id": "de 136 695 976", "tax_number": "143/123/45678", "email": "info@mueller.example",
    "phone": "+49 89 123456", "website": "https://mueller.example", "bank_name": "Commerzbank",
    "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "currency": "EUR", "locale": "de_DE",
    "payment_terms_days": "30", "prices_include_tax": "", "footer_text": "Geschäftsführer: Max Müller",
}


def png_bytes(size=(40, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def org_row(org_id):
    db.session.expire_all()
    return db.session.get(Organization, org_id)


def snapshot(org_id):
    org = org_row(org_id)
    return {c.name: getattr(org, c.name) for c in Organization.__table__.columns}


def test_save_company_details(login_as):
    owner = login_as("owner")
    r = owner.client.post("/settings/", data=GOOD)
    assert r.status_code == 303, r.data
    org = org_row(owner.org.id)
    assert org.vat_id == "DE136695976"
    assert org.iban == "DE89370400440532013000"
    assert (org.city, org.payment_terms_days, org.locale, org.prices_include_tax) == ("München", 30, "de_DE", False)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.updated"))
    assert "vat_id" in event.data["fields"]
    dashboard = owner.client.get("/").data.decode()
    assert "Müller Werkstatt GmbH" in dashboard and "DE136695976" in dashboard and "80331 München" in dashboard
    assert "DE89 3704 0044 0532 0130 00" in dashboard


def test_bad_settings_are_422_next_to_the_field_and_change_nothing(login_as):
    owner = login_as("owner")
    owner.client.post("/settings/", data=GOOD)
    before = snapshot(owner.org.id)
    cases = [
        ("vat_id", {"vat_id": "DE136695977"}, "is not a valid VAT ID for DE"),
        ("vat_id", {"vat_id": "123", "country": "US"}, "no VAT IDs to check for US"),
        ("iban", {"iban": "DE89 3704 0044 0532 0130 01"}, "is not a valid IBAN"),
        ("bic", {"bic": "NOTABIC"}, "is not a valid BIC"),
        ("country", {"country": "ZZ"}, "Choose a country from the list"),
        ("currency", {"currency": "EURO"}, "Choose a currency from the list"),
        ("locale", {"locale": "xx_XX"}, "Choose a language from the list"),
        ("payment_terms_days", {"payment_terms_days": "-3"}, "Between 0 and 365 days."),
        ("payment_terms_days", {"payment_terms_days": "abc"}, "Not a valid integer value."),
        ("website", {"website": "javascript:alert(1)"}, "Enter a web address such as https://example.com."),
        ("website", {"website": "ftp://files.example"}, "Enter a web address"),
        ("email", {"email": "nope@"}, "Enter a valid e-mail address."),
        ("name", {"name": ""}, "Enter a name for the business."),
    ]
    for field, change, message in cases:
        r = owner.client.post("/settings/", data={**GOOD, **change, "legal_name": "Changed GmbH"})
        assert r.status_code == 422, (field, r.status_code)
        html = r.data.decode()
        error_at = html.find(f'id="{field}-error"')
        assert error_at > 0, field
        assert message in html[error_at:error_at + 400], (field, html[error_at:error_at + 400])
        assert snapshot(owner.org.id) == before, field


def test_currency_accepts_any_iso_code_babel_knows(login_as):
    owner = login_as("owner")
    for code in ("JPY", "BHD", "CHF", "USD"):
        assert owner.client.post("/settings/", data={**GOOD, "currency": code}).status_code == 303
        assert org_row(owner.org.id).currency == code


def test_logo_upload_checks_bytes_and_size(login_as):
    owner = login_as("owner")
    owner.client.post("/settings/", data=GOOD)
    before = snapshot(owner.org.id)
    big = png_bytes() + b"\0" * (5 * 1024 * 1024)
    cases = [
        (big, "logo.png", "larger than 1 MB"),
        (b"just some text, honestly\n" * 10, "logo.png", "not a PNG or JPEG"),
        (b"GIF89a" + b"\0" * 100, "logo.gif", "not a PNG or JPEG"),
    ]
    for data, name, message in cases:
        r = owner.client.post("/settings/", data={**GOOD, "logo": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
        assert r.status_code == 422, name
        html = r.data.decode()
        assert 'id="logo-error"' in html and message in html
        assert snapshot(owner.org.id) == before
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    r = owner.client.post("/settings/", data={**GOOD, "logo": (io.BytesIO(gif.getvalue()), "logo.png")},
                          content_type="multipart/form-data")
    assert r.status_code == 422 and b"must be a PNG or JPEG" in r.data

    png = png_bytes()
    r = owner.client.post("/settings/", data={**GOOD, "logo": (io.BytesIO(png), "whatever.jpg")},
                          content_type="multipart/form-data")
    assert r.status_code == 303
    org = org_row(owner.org.id)
    assert org.logo == png and org.logo_mime == "image/png"
    served = owner.client.get("/settings/logo")
    assert served.status_code == 200 and served.data == png and served.mimetype == "image/png"
    r = owner.client.post("/settings/", data={**GOOD, "remove_logo": "y"})
    assert r.status_code == 303 and org_row(owner.org.id).logo is None
    assert owner.client.get("/settings/logo").status_code == 404


def test_numbering_formats_preview_and_validation(login_as):
    owner = login_as("owner")
    page = owner.client.get("/settings/numbering").data.decode()
    year = date.today().year
    assert f"INV-{year}-0001" in page and f"CN-{year}-0001" in page
    preview = owner.client.get("/settings/numbering/preview/invoice",
                               query_string={"invoice_format": "R{YY}{MM}-{SEQ:3}", "invoice_reset": "y"},
                               headers={"HX-Request": "true"})
    assert preview.status_code == 200
    html = preview.data.decode().strip()
    assert html.startswith('<output id="preview-invoice"')
    assert f"R{year % 100:02d}{date.today().month:02d}-001" in html
    bad = owner.client.get("/settings/numbering/preview/invoice", query_string={"invoice_format": "INV-{FOO}-{SEQ:4}"})
    assert "Unknown token {FOO}" in bad.data.decode()
    assert owner.client.get("/settings/numbering/preview/bogus").status_code == 404

    data = {"invoice_format": "INV-{FOO}-{SEQ:4}", "invoice_reset": "y", "credit_note_format": "CN-{YYYY}-{SEQ:4}",
            "credit_note_reset": "y", "quote_format": "Q-{SEQ:5}"}
    r = owner.client.post("/settings/numbering", data=data)
    assert r.status_code == 422 and "Unknown token {FOO}" in r.data.decode()
    r = owner.client.post("/settings/numbering", data={**data, "invoice_format": "INV-{SEQ:4}"})
    assert r.status_code == 422 and "must contain {YYYY} or {YY}" in r.data.decode()
    formats = {s.kind: s.format for s in db.session.scalars(select(NumberSeries))}
    assert formats["invoice"] == "INV-{YYYY}-{SEQ:4}"

    r = owner.client.post("/settings/numbering", data={**data, "invoice_format": "RE-{YYYY}/{SEQ:5}"})
    assert r.status_code == 303
    series = {s.kind: s for s in db.session.scalars(select(NumberSeries))}
    assert series["invoice"].format == "RE-{YYYY}/{SEQ:5}" and series["quote"].reset_yearly is False
    # the preview continues an existing counter
    db.session.add(NumberCounter(series_id=series["invoice"].id, period=year, last_value=41))
    db.session.commit()
    assert f"RE-{year}/00042" in owner.client.get("/settings/numbering").data.decode()


def test_a_website_without_its_scheme_is_completed_and_a_bad_one_gets_one_message(login_as):
    """Issue 13: "mueller.example" got the same message twice instead of being completed."""
    owner = login_as("owner")
    assert owner.client.post("/settings/", data={**GOOD, "website": "www.mueller.example"}).status_code == 303
    assert org_row(owner.org.id).website == "https://www.mueller.example"
    for typed in ("not a website", "ftp://nope"):
        r = owner.client.post("/settings/", data={**GOOD, "website": typed})
        assert r.status_code == 422
        html = r.data.decode()
        error = html[html.find('id="website-error"'):]
        error = error[:error.find("</")]
        assert error.count("Enter a web address") == 1, error


def test_a_bad_number_format_is_explained_in_german(login_as):
    owner = login_as("owner")
    bad = owner.client.get("/settings/numbering/preview/invoice", headers={"Accept-Language": "de"},
                           query_string={"invoice_format": "INV-{FOO}-{SEQ:4}"})
    assert ("Unbekannter Platzhalter {FOO}. Verwenden Sie {YYYY}, {YY}, {MM} und {SEQ:n} mit n von 1 bis 9."
            in bad.data.decode())
    r = owner.client.post("/settings/numbering", headers={"Accept-Language": "de"}, data={
        "invoice_format": "INV-{SEQ:4}", "invoice_reset": "y", "credit_note_format": "CN-{YYYY}-{SEQ:4}",
        "credit_note_reset": "y", "quote_format": "Q-{SEQ:5}"})
    assert r.status_code == 422 and "muss {YYYY} oder {YY} enthalten" in r.data.decode()


def test_the_settings_in_german_and_french(app, login_as):
    owner = login_as("owner")
    de, fr = {"Accept-Language": "de"}, {"Accept-Language": "fr"}
    r = owner.client.post("/settings/", data={**GOOD, "iban": "DE89 3704 0044 0532 0130 01", "payment_terms_days": "400",
                                              "logo": (io.BytesIO(b"not an image"), "logo.png")},
                          headers=de, content_type="multipart/form-data")
    html = r.data.decode()
    assert r.status_code == 422 and "Nichts wurde gespeichert" in html
    assert "Zwischen 0 und 365 Tagen." in html and "Diese Datei ist kein PNG- oder JPEG-Bild." in html
    assert "<legend><strong>Bankverbindung</strong></legend>" in html and "Zahlungsziel (Tage)" in html
    assert owner.client.post("/settings/", data=GOOD, headers=de).status_code == 303
    assert "Firmendaten gespeichert." in owner.client.get("/settings/", headers=de).data.decode()
    # numbering: the page, the live preview and the format's mistakes
    page = owner.client.get("/settings/numbering", headers=fr).data.decode()
    assert "Prochain numéro : <strong>INV-" in page and "Enregistrer les formats de numéros" in page
    assert "Jetons : <code>{YYYY}</code> année" in page
    preview = owner.client.get("/settings/numbering/preview/invoice", query_string={"invoice_format": "INV-{SEQ:4}",
                               "invoice_reset": "y"}, headers={**de, "HX-Request": "true"}).data.decode()
    assert "muss {YYYY} oder {YY} enthalten" in preview
    assert owner.client.post("/settings/numbering", data={
        "invoice_format": "RE-{YYYY}-{SEQ:4}", "invoice_reset": "y", "credit_note_format": "GS-{YYYY}-{SEQ:4}",
        "credit_note_reset": "y", "quote_format": "AN-{SEQ:5}"}, headers=de).status_code == 303
    assert "Nummernformate gespeichert." in owner.client.get("/settings/numbering", headers=de).data.decode()
    # the invoice e-mail: the default texts as placeholders in the member's language
    page = owner.client.get("/settings/invoice-email", headers=de).data.decode()
    assert "Platzhalter:" in page and "Rechnungs-E-Mail speichern" in page
    # the audit log and the outbox
    page = owner.client.get("/settings/audit", headers=fr).data.decode()
    assert "Heures en Europe/Berlin (<a" in page and "<th>Quand</th>" in page
    owner.client.post("/settings/members/invite", data={"email": "neu@example.com", "role": "staff"}, headers=de)
    page = owner.client.get("/settings/mail", headers=de).data.decode()
    assert "E-Mail-Postausgang" in page and "in der Warteschlange" in page and "Es ist kein Mailserver eingerichtet" in page
