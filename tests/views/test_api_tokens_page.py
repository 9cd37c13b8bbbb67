"""Settings > API: an owner makes API tokens (shown once, stored as their SHA-256), sees them and revokes them."""
import hashlib
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.i18n import format_day
from webapp.models import ApiToken, AuditEvent
from webapp.services import api_tokens

TOKEN_IN_BOX = re.compile(r'id="new-token-value" value="(tb_[A-Za-z0-9_\-]+)"')


def tokens() -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def shown_token(html: str) -> str:
    match = TOKEN_IN_BOX.search(html)
    assert match, html
    return match.group(1)


def test_owner_makes_a_token_shown_once_and_stored_only_as_its_sha256(login_as):
    owner = login_as("owner")
    last_day = date.today() + timedelta(days=30)
    r = owner.client.post("/settings/api", data={"name": "  Shop  ", "role": "bookkeeper",
                                                 "expires_on": last_day.isoformat()})
    assert r.status_code == 201
    html = r.data.decode()
    token = shown_token(html)
    assert "Copy it now: it is not shown again." in html
    assert f'curl -H "Authorization: Bearer {token}" http://localhost/api/v1/customers' in html
    assert "no-store" in r.headers["Cache-Control"]

    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.org_id, row.name, row.role, row.created_by_id) == (owner.org.id, "Shop", "bookkeeper", owner.user.id)
    assert row.prefix == token[:7] and row.revoked_at is None and row.last_used_at is None
    assert row.expires_at.date() == last_day
    assert api_tokens.find(token).id == row.id
    # the token itself is in no column of any table (the audit log included), nor in the session
    assert token not in repr(table_contents())
    with owner.client.session_transaction() as session:
        assert token not in repr(dict(session))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created"))
    assert event.org_id == owner.org.id and "Shop" in event.summary

    # a reload (a GET) lists the token by its prefix and never shows it again
    for headers in ({}, {"HX-Request": "true"}):
        page = owner.client.get("/settings/api", headers=headers)
        text = page.data.decode()
        assert page.status_code == 200 and token not in text and "Copy it now" not in text
        assert f"<code>{row.prefix}…</code>" in text and "Shop" in text and "Bookkeeper" in text
        assert "never" in text and "active" in text


def test_the_htmx_form_answers_with_the_partial_and_the_token(login_as):
    owner = login_as("owner")
    r = owner.client.post("/settings/api", data={"name": "Script", "role": "staff"}, headers={"HX-Request": "true"})
    assert r.status_code == 201
    html = r.data.decode()
    assert html.lstrip().startswith('<section id="api-tokens">') and "<html" not in html
    token = shown_token(html)
    assert db.session.scalar(select(ApiToken.token_hash)) == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.scalar(select(ApiToken))
    assert row.expires_at is None and row.role == "staff"
    # the new form under the box is empty again
    assert 'id="name" name="name" type="text" value=""' in html and 'value="Script"' not in html


def test_full_page_has_the_nav_the_docs_links_and_the_role_descriptions(login_as):
    owner = login_as("owner")
    r = owner.client.get("/settings/api")
    html = r.data.decode()
    assert r.status_code == 200 and "<html" in html
    assert '<a href="/settings/api" aria-current="page">API</a>' in html
    assert '<a href="/api/docs"><code>/api/docs</code></a>' in html and '<a href="/api/v1/openapi.json">' in html
    for text in ("Everything, including settings and members.", "Customers, products, drafts; issue and send documents.",
                 "Reads everything; payments, credit notes and exports."):
        assert text in html
    assert "No API tokens yet." in html
    assert 'href="/settings/api"' in owner.client.get("/settings/members").data.decode()


def test_the_page_and_the_role_descriptions_read_in_german_and_french(login_as):
    owner = login_as("owner")
    for language, description, warning in (
            ("de", "Alles, einschließlich Einstellungen und Mitglieder.", "Kopieren Sie ihn jetzt"),
            ("fr", "Tout, y compris les paramètres et les membres.", "Copiez-le maintenant")):
        html = owner.client.get("/settings/api", headers={"Accept-Language": language}).data.decode()
        assert description in html and "Everything, including settings" not in html
        r = owner.client.post("/settings/api", data={"name": "Shop", "role": "owner"},
                              headers={"Accept-Language": language})
        assert r.status_code == 201 and warning in r.data.decode() and "Copy it now" not in r.data.decode()


@pytest.mark.parametrize("role", ["staff", "bookkeeper"])
def test_staff_and_bookkeeper_get_403_and_change_nothing(login_as, f, role):
    member = login_as(role)
    row, token = f.api_token(member.org)
    assert member.client.get("/settings/api").status_code == 403
    assert member.client.get("/settings/api", headers={"HX-Request": "true"}).status_code == 403
    assert member.client.post("/settings/api", data={"name": "Mine", "role": "owner"}).status_code == 403
    assert member.client.post(f"/settings/api/tokens/{row.id}/revoke").status_code == 403
    assert tokens() == 1 and db.session.get(ApiToken, row.id).revoked_at is None
    assert api_tokens.find(token) is not None
    assert 'href="/settings/api"' not in member.client.get("/").data.decode()


def test_owner_revokes_a_token(login_as, f):
    owner = login_as("owner")
    row, token = f.api_token(owner.org, name="Old shop")
    other, _ = f.api_token(owner.org, name="New shop")
    page = owner.client.get("/settings/api").data.decode()
    assert f'action="/settings/api/tokens/{row.id}/revoke"' in page
    assert "Revoke the API token Old shop? Programs using it are refused at once." in page
    r = owner.client.post(f"/settings/api/tokens/{row.id}/revoke")
    assert r.status_code == 303 and r.headers["Location"].endswith("/settings/api")
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert db.session.get(ApiToken, other.id).revoked_at is None
    assert api_tokens.find(token) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoked")).object_id == row.id
    page = owner.client.get("/settings/api").data.decode()
    assert "The API token Old shop is revoked" in page
    listed = page.split(f'id="token-{row.id}"')[1].split("</tr>")[0]
    assert "revoked" in listed and "/revoke" not in listed
    # htmx: a redirect the client follows
    r = owner.client.post(f"/settings/api/tokens/{other.id}/revoke", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/settings/api"
    db.session.expire_all()
    assert db.session.get(ApiToken, other.id).revoked_at is not None


def test_another_organizations_token_is_404_and_stays(login_as, f):
    a = login_as("owner")
    b = login_as("owner")
    row, token = f.api_token(b.org)
    assert a.client.post(f"/settings/api/tokens/{row.id}/revoke").status_code == 404
    assert a.client.post("/settings/api/tokens/999999/revoke").status_code == 404
    assert api_tokens.find(token) is not None
    assert "Shop" not in a.client.get("/settings/api").data.decode()


def test_expired_and_used_tokens_are_shown_so(login_as, f):
    owner = login_as("owner")
    expired, _ = f.api_token(owner.org, name="Last year")
    expired.expires_at = datetime(2020, 1, 31, 23, 59, 59, tzinfo=timezone.utc)
    used, _ = f.api_token(owner.org, name="Busy")
    used.last_used_at = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
    db.session.commit()
    page = owner.client.get("/settings/api").data.decode()
    row = page.split(f'id="token-{expired.id}"')[1].split("</tr>")[0]
    # the last day it works, as the member's locale writes a day (the stored moment is its end, in UTC)
    assert "expired" in row and format_day(date(2020, 1, 31), owner.org.locale) in row and "/revoke" not in row
    row = page.split(f'id="token-{used.id}"')[1].split("</tr>")[0]
    assert '<time datetime="2026-03-04T12:00:00+00:00">' in row and "active" in row and "no expiry" in row
    assert f"by {owner.user.name or owner.user.email}" in row


@pytest.mark.parametrize("data, field, message", [
    ({"name": "   ", "role": "owner"}, "name", "Name the token"),
    ({"name": "x" * 101, "role": "owner"}, "name", "At most 100 characters."),
    ({"name": "Shop", "role": "emperor"}, "role", "Choose one of the roles."),
    ({"name": "Shop", "role": "owner", "expires_on": date.today().isoformat()}, "expires_on",
     "Choose a day after today."),
    ({"name": "Shop", "role": "owner", "expires_on": (date.today() - timedelta(days=3)).isoformat()}, "expires_on",
     "Choose a day after today."),
    ({"name": "Shop", "role": "owner", "expires_on": "31.12.2030"}, "expires_on", "Not a valid date value."),
])
def test_bad_input_is_422_beside_the_field_and_makes_no_token(login_as, data, field, message):
    owner = login_as("owner")
    for headers in ({}, {"HX-Request": "true"}):
        before = table_contents()
        r = owner.client.post("/settings/api", data=data, headers=headers)
        assert r.status_code == 422
        html = r.data.decode()
        assert f'id="{field}-error">{message}' in html, html
        assert "Copy it now" not in html and "tb_" not in html
        assert html.lstrip().startswith('<section id="api-tokens">') == bool(headers)
        assert tokens() == 0 and table_contents() == before
