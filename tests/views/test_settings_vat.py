"""Settings > VAT: an owner sets automatic VAT, the default tax code, the small-business exemption, the One-Stop-Shop
enrolment and the destination option, and keeps the VAT registrations in other countries (docs/vat-rules.md)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.i18n import format_day
from webapp.models import AuditEvent, Organization, VatRegistration

GOOD = {"automatic_tax": "y", "default_tax_code": "D10000000", "small_business": "y", "oss_since": "2024-07-01",
        "destination_opt_in": "y"}
VAT_COLUMNS = ("automatic_tax", "default_tax_code", "small_business", "oss_since", "destination_opt_in")


def vat_settings(org_id) -> dict:
    db.session.expire_all()
    org = db.session.get(Organization, org_id)
    return {name: getattr(org, name) for name in VAT_COLUMNS}


def snapshot(org_id) -> dict:
    db.session.expire_all()
    org = db.session.get(Organization, org_id)
    return {c.name: getattr(org, c.name) for c in Organization.__table__.columns}


def registrations(org_id) -> list[tuple]:
    db.session.expire_all()
    return [(r.country, r.vat_id, r.valid_from) for r in db.session.scalars(
        select(VatRegistration).where(VatRegistration.org_id == org_id).order_by(VatRegistration.country))]


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def error_beside(html: str, field: str) -> str:
    at = html.find(f'id="{field}-error"')
    assert at > 0, (field, html)
    return html[at:at + 400]


def test_the_page_shows_the_defaults_and_the_home_registration_from_the_company_details(owner):
    html = owner.client.get("/settings/vat").data.decode()
    assert 'href="/settings/vat" aria-current="page"' in html
    assert "Calculate VAT automatically on new invoices" in html
    assert "Small business, no VAT charged (e.g. Kleinunternehmer, § 19 UStG)" in html
    assert "the legal notice of the exemption is printed on them" in html
    assert "Enrolled in the One-Stop-Shop since" in html and 'type="date"' in html
    assert "opt-in below EUR 10,000" in html
    assert '<option selected value="S10000000">Services · S10000000</option>' in html
    assert "Electronically supplied services (SaaS, digital goods) · D10000000" in html
    home = html.split('id="home-registration"')[1].split("</fieldset>")[0]
    assert 'id="home-country">Germany<' in home and 'id="home-vat-id">DE136695976<' in home
    assert 'href="/settings/"' in home
    assert 'id="no-registrations"' in html
    # the home country is not offered for another registration
    country_select = html.split('id="country"')[1].split("</select>")[0]
    assert 'value="AT"' in country_select and 'value="DE"' not in country_select
    # the settings pages link to it
    assert 'href="/settings/vat"' in owner.client.get("/settings/").data.decode()


def test_saving_the_form_stores_the_settings_and_audits_the_change(owner):
    r = owner.client.post("/settings/vat", data={**GOOD, "default_tax_code": " d10000000 "})
    assert r.status_code == 303 and r.headers["Location"].endswith("/settings/vat")
    assert vat_settings(owner.org.id) == {"automatic_tax": True, "default_tax_code": "D10000000",
                                          "small_business": True, "oss_since": date(2024, 7, 1),
                                          "destination_opt_in": True}
    (event,) = events("settings.updated")
    assert event.org_id == owner.org.id and event.actor_id == owner.user.id
    assert event.data["fields"] == list(VAT_COLUMNS) and "VAT settings" in event.summary
    page = owner.client.get("/settings/vat").data.decode()
    assert "VAT settings saved." in page and 'value="2024-07-01"' in page
    assert '<option selected value="D10000000">' in page

    # unticked boxes and an empty date: off and not enrolled
    r = owner.client.post("/settings/vat", data={"default_tax_code": "P00000000", "oss_since": ""})
    assert r.status_code == 303
    assert vat_settings(owner.org.id) == {"automatic_tax": False, "default_tax_code": "P00000000",
                                          "small_business": False, "oss_since": None, "destination_opt_in": False}
    # saving the same again records nothing
    assert owner.client.post("/settings/vat", data={"default_tax_code": "P00000000"}).status_code == 303
    assert len(events("settings.updated")) == 2


def test_new_drafts_follow_the_automatic_switch(owner, f):
    assert owner.client.post("/settings/vat", data=GOOD).status_code == 303
    db.session.expire_all()
    assert f.draft(owner.org).automatic_tax is True
    assert owner.client.post("/settings/vat", data={**GOOD, "automatic_tax": "", "small_business": ""}).status_code == 303
    db.session.expire_all()
    assert f.draft(owner.org).automatic_tax is False
    # a small business's drafts are automatic all the same: the rules print its notice (services/drafts.py)
    assert owner.client.post("/settings/vat", data={**GOOD, "automatic_tax": ""}).status_code == 303
    db.session.expire_all()
    assert f.draft(owner.org).automatic_tax is True


@pytest.mark.parametrize("change, field, message", [
    ({"default_tax_code": "X99"}, "default_tax_code", "X99 is not a tax code from the list"),
    ({"default_tax_code": ""}, "default_tax_code", "Choose the tax code of products without one."),
    ({"oss_since": "01.07.2024"}, "oss_since", "Not a valid date value."),
    ({"oss_since": "2024-02-30"}, "oss_since", "Not a valid date value."),
])
def test_bad_input_is_422_beside_the_field_and_changes_nothing(owner, change, field, message):
    owner.client.post("/settings/vat", data=GOOD)
    before = snapshot(owner.org.id)
    audited = len(events("settings.updated"))
    r = owner.client.post("/settings/vat", data={**GOOD, "automatic_tax": "", "small_business": "", **change})
    assert r.status_code == 422
    html = r.data.decode()
    assert message in error_beside(html, field)
    assert "Nothing was saved: please correct the marked fields." in html
    assert snapshot(owner.org.id) == before
    assert len(events("settings.updated")) == audited


def test_owner_adds_and_removes_registrations(owner):
    r = owner.client.post("/settings/vat/registrations",
                          data={"country": "at", "vat_id": "atu 1358 5627", "valid_from": "2025-01-01"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/settings/vat")
    r = owner.client.post("/settings/vat/registrations", data={"country": "FR", "vat_id": "40303265045"})
    assert r.status_code == 303
    r = owner.client.post("/settings/vat/registrations", data={"country": "GR", "vat_id": "094259216"})
    assert r.status_code == 303  # Greece's VAT IDs read EL
    assert registrations(owner.org.id) == [("AT", "ATU13585627", date(2025, 1, 1)), ("FR", "FR40303265045", None),
                                           ("GR", "EL094259216", None)]
    (added, _, _) = events("settings.vat_registration_added")
    assert added.data == {"country": "AT", "vat_id": "ATU13585627", "valid_from": "2025-01-01"}
    assert added.object_type == "vatregistration" and "AT (ATU13585627) from 2025-01-01" in added.summary

    page = owner.client.get("/settings/vat").data.decode()
    assert "The VAT registration in Greece is added." in page
    austria_id = db.session.scalar(select(VatRegistration.id).where(VatRegistration.country == "AT"))
    row = page.split(f'id="registration-{austria_id}"')[1].split("</tr>")[0]
    assert "Austria" in row and "ATU13585627" in row and format_day(date(2025, 1, 1), owner.org.locale) in row
    assert f'action="/settings/vat/registrations/{austria_id}/remove"' in row
    assert 'id="no-registrations"' not in page

    r = owner.client.post(f"/settings/vat/registrations/{austria_id}/remove")
    assert r.status_code == 303
    assert registrations(owner.org.id) == [("FR", "FR40303265045", None), ("GR", "EL094259216", None)]
    (removed,) = events("settings.vat_registration_removed")
    assert removed.data == {"country": "AT", "vat_id": "ATU13585627"} and removed.object_id == austria_id
    assert "The VAT registration in Austria is removed." in owner.client.get("/settings/vat").data.decode()
    # gone: a second remove is a 404
    assert owner.client.post(f"/settings/vat/registrations/{austria_id}/remove").status_code == 404


@pytest.mark.parametrize("data, field, message", [
    ({"country": "DE", "vat_id": "DE136695976"}, "country", "Germany is your home country"),
    ({"country": "AT", "vat_id": "ATU99999999"}, "country", "There is a registration in Austria already"),
    ({"country": "FR", "vat_id": "FR40303265046"}, "vat_id", "is not a valid VAT ID for FR"),
    ({"country": "FR", "vat_id": "ATU13585627"}, "vat_id", "ATU13585627 is a VAT ID of Austria, not of France."),
    ({"country": "CY", "vat_id": "EL094259216"}, "vat_id", "EL094259216 is a VAT ID of Greece, not of Cyprus."),
    ({"country": "FR", "vat_id": "FR-40?3"}, "vat_id", "is not a VAT ID: use letters and digits only."),
    ({"country": "FR", "vat_id": ""}, "vat_id", "Enter the VAT ID of the registration."),
    ({"country": "ZZ", "vat_id": "FR40303265045"}, "country", "Choose a country from the list"),
    ({"country": "", "vat_id": "FR40303265045"}, "country", "Choose a country from the list"),
    ({"country": "FR", "vat_id": "FR40303265045", "valid_from": "soon"}, "valid_from", "Not a valid date value."),
])
def test_a_bad_registration_is_422_beside_the_field_and_stores_nothing(owner, data, field, message):
    assert owner.client.post("/settings/vat/registrations",
                             data={"country": "AT", "vat_id": "ATU13585627"}).status_code == 303
    before, org_before = registrations(owner.org.id), snapshot(owner.org.id)
    audited = len(events("settings.vat_registration_added"))
    r = owner.client.post("/settings/vat/registrations", data=data)
    assert r.status_code == 422
    html = r.data.decode()
    assert message in error_beside(html, field)
    assert "ATU13585627" in html  # the list is still there, and the VAT form shows the stored settings
    assert '<option selected value="S10000000">' in html
    assert registrations(owner.org.id) == before and snapshot(owner.org.id) == org_before
    assert len(events("settings.vat_registration_added")) == audited


def test_another_organizations_registration_cannot_be_removed(owner, login_as):
    stranger = login_as("owner")
    stranger.client.post("/settings/vat/registrations", data={"country": "AT", "vat_id": "ATU13585627"})
    theirs = db.session.scalar(select(VatRegistration))
    assert owner.client.post(f"/settings/vat/registrations/{theirs.id}/remove").status_code == 404
    assert registrations(stranger.org.id) == [("AT", "ATU13585627", None)]
    assert events("settings.vat_registration_removed") == []


@pytest.mark.parametrize("role", ["staff", "bookkeeper"])
def test_roles_without_the_settings_permission_are_refused_and_change_nothing(owner, login_as, role):
    owner.client.post("/settings/vat/registrations", data={"country": "AT", "vat_id": "ATU13585627"})
    registration = db.session.scalar(select(VatRegistration))
    member = login_as(role, org=owner.org)
    before, org_before = registrations(owner.org.id), snapshot(owner.org.id)
    assert member.client.get("/settings/").status_code == 403  # as the company settings
    assert member.client.get("/settings/vat").status_code == 403
    assert member.client.get("/settings/vat", headers={"HX-Request": "true"}).status_code == 403
    assert member.client.post("/settings/vat", data=GOOD).status_code == 403
    assert member.client.post("/settings/vat/registrations",
                              data={"country": "FR", "vat_id": "FR40303265045"}).status_code == 403
    assert member.client.post(f"/settings/vat/registrations/{registration.id}/remove").status_code == 403
    assert registrations(owner.org.id) == before and snapshot(owner.org.id) == org_before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == member.user.id)) == 0
    assert 'href="/settings/vat"' not in member.client.get("/").data.decode()


def test_the_page_reads_in_german_and_french(owner):
    for language, texts in (
            ("de", ("Umsatzsteuer automatisch auf neuen Rechnungen berechnen", "Kleinunternehmer (§ 19 UStG)",
                    "Im One-Stop-Shop (OSS) registriert seit", "Umsatzsteuer-Registrierungen in anderen Ländern",
                    "Deutschland")),
            ("fr", ("Calculer la TVA automatiquement sur les nouvelles factures", "Kleinunternehmer, § 19 UStG",
                    "Inscrit au guichet unique (OSS) depuis", "Immatriculations à la TVA dans d’autres pays",
                    "Allemagne"))):
        headers = {"Accept-Language": language}
        html = owner.client.get("/settings/vat", headers=headers).data.decode()
        for text in texts:
            assert text in html, (language, text)
        assert "Calculate VAT automatically" not in html and "Enrolled in the One-Stop-Shop" not in html
        r = owner.client.post("/settings/vat/registrations", data={"country": "DE", "vat_id": "DE136695976"},
                              headers=headers)
        assert r.status_code == 422 and "is your home country" not in r.data.decode()
        assert texts[-1] in error_beside(r.data.decode(), "country")  # the country named in the language
        r = owner.client.post("/settings/vat", data={**GOOD, "default_tax_code": "X99"}, headers=headers)
        assert r.status_code == 422 and "is not a tax code from the list" not in r.data.decode()


def test_a_registration_in_the_same_country_at_the_same_moment_is_a_refusal_not_a_500(owner):
    """The unique constraint (org, country), broken by a request past the check at the same moment, is the use
    cases' ``vat_registration_exists`` on the country field (usecases.usecase)."""
    from webapp.domain.errors import ActionError
    from webapp.usecases import usecase

    db.session.add(VatRegistration(org_id=owner.org.id, country="AT", vat_id="ATU13585627"))
    db.session.commit()

    @usecase
    def the_other_request():
        db.session.add(VatRegistration(org_id=owner.org.id, country="AT", vat_id="ATU13585627"))

    with pytest.raises(ActionError) as refused:
        the_other_request()
    db.session.rollback()
    assert (refused.value.code, refused.value.field) == ("vat_registration_exists", "country")
    assert registrations(owner.org.id) == [("AT", "ATU13585627", None)]
