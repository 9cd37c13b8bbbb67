"""Activity (the document timeline, the customer's history, the members' history, the audit log) in the
organization's time zone, with members by name; the time zone setting; the bookkeeper reads the audit log."""
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.views.test_settings import GOOD, snapshot
from webapp.extensions import db
from webapp.models import AuditEvent, Invitation, Organization
from webapp.services import audit

NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def at_noon_utc() -> None:
    db.session.execute(update(AuditEvent).values(created_at=NOON_UTC))
    db.session.commit()


def section(html: str, marker: str, length: int = 3000) -> str:
    start = html.index(marker)
    return html[start:start + length]


def test_a_new_organization_takes_its_countrys_time_zone(f):
    assert f.organization(country="DE").time_zone == "Europe/Berlin"
    assert f.organization(country="FR").time_zone == "Europe/Paris"
    assert f.organization(country="US").time_zone == "UTC"  # several zones: the owner chooses
    assert f.organization(country="ES").time_zone == "UTC"  # the Canaries keep another time


def test_the_timeline_shows_the_orgs_time_and_member_names(owner, f):
    doc = f.issued(owner.org)
    at_noon_utc()
    timeline = section(owner.client.get(f"/invoices/{doc.id}").data.decode(), 'id="timeline"')
    timeline = timeline[:timeline.index("</ul>")]
    # Europe/Berlin (the DE organization's default), written as its locale (de_DE) writes it
    assert '<time datetime="2026-01-15T12:00:00+00:00">15.01.2026, 13:00</time>' in timeline
    assert f"{owner.user.name} issued {doc.number}" in timeline
    assert owner.user.email not in timeline and "UTC" not in timeline

    assert owner.client.post("/settings/", data={**GOOD, "time_zone": "America/New_York"}).status_code == 303
    assert db.session.get(Organization, owner.org.id).time_zone == "America/New_York"
    timeline = section(owner.client.get(f"/invoices/{doc.id}").data.decode(), 'id="timeline"')
    assert ">15.01.2026, 07:00</time>" in timeline


def test_the_customers_and_members_history_too(owner, f):
    contact = f.contact(owner.org, "Kunde AG")
    assert owner.client.post("/settings/members/invite", data={"email": "new@example.com", "role": "staff"}
                             ).status_code == 303
    audit.record(owner.org, owner.user, "contact.updated", contact, summary=f"{owner.user.email} changed Kunde AG")
    db.session.commit()
    at_noon_utc()
    history = section(owner.client.get(f"/customers/{contact.id}").data.decode(), 'id="contact-activity"', 600)
    assert ">15.01.2026, 13:00</time>" in history and f"{owner.user.name} changed Kunde AG" in history
    members = section(owner.client.get("/settings/members").data.decode(), 'id="membership-history"', 600)
    assert ">15.01.2026, 13:00</time>" in members
    assert f"{owner.user.name} invited new@example.com as Staff" in members  # an invitee has no name yet
    expires = db.session.scalar(select(Invitation)).expires_at  # the day in Berlin, as de_DE writes it
    berlin = expires.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")
    assert f"new@example.com as Staff, until {berlin}" in owner.client.get("/settings/members").data.decode()


@pytest.mark.parametrize("role", ["owner", "bookkeeper"])
def test_owner_and_bookkeeper_read_the_audit_log_in_the_zone_with_names(login_as, f, role):
    owner = login_as("owner")
    reader = owner if role == "owner" else login_as("bookkeeper", org=owner.org)
    former = f.user(name="Fritz Former")  # did something, then left: still named
    audit.record(owner.org, former, "contact.created", None, summary=f"{former.email} added Kunde AG")
    audit.record(owner.org, owner.user, "member.role_changed", None,
                 summary=f"{owner.user.email} made {reader.user.email} {role}")
    audit.record(owner.org, None, "document.viewed", None, summary="Kunde AG opened INV-1")
    db.session.commit()
    at_noon_utc()
    r = reader.client.get("/settings/audit")
    assert r.status_code == 200
    html = r.data.decode()
    table = section(html, 'id="audit-events"')
    assert "Times in Europe/Berlin" in html
    rows = re.findall(r"<tr id=\"event-\d+\"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    assert ('<time datetime="2026-01-15T12:00:00+00:00">15.01.2026, 13:00</time>', "customer",
            "Kunde AG opened INV-1") in rows
    assert (rows[1][1], rows[1][2]) == (owner.user.name, f"{owner.user.name} made {reader.user.name} {role}")
    assert (rows[2][1], rows[2][2]) == ("Fritz Former", "Fritz Former added Kunde AG")
    assert owner.user.email not in table and former.email not in table
    nav = section(html, 'class="nav-main"', 2500)
    if role == "bookkeeper":  # a way to it, and no links to what answers 403
        assert 'href="/settings/audit"' in nav and 'href="/settings/"' not in html
        assert "<h1>Audit log</h1>" in html
    else:
        assert 'href="/settings/"' in nav


def test_staff_cannot_read_the_audit_log(login_as):
    staff = login_as("staff")
    assert staff.client.get("/settings/audit").status_code == 403
    assert 'href="/settings/audit"' not in staff.client.get("/").data.decode()


@pytest.mark.parametrize("value, error", [
    ("Mars/Olympus_Mons", "Mars/Olympus_Mons is not a time zone"),
    ("../../etc/passwd", "is not a time zone"),
    ("", "Choose a time zone from the list"),
])
def test_a_bad_time_zone_is_422_beside_the_field_and_changes_nothing(owner, value, error):
    owner.client.post("/settings/", data=GOOD)
    before = snapshot(owner.org.id)
    r = owner.client.post("/settings/", data={**GOOD, "time_zone": value, "legal_name": "Changed GmbH"})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find('id="time_zone-error"')
    assert at > 0 and error in html[at:at + 300]
    assert snapshot(owner.org.id) == before


def test_the_time_zone_select_shows_the_current_zone_and_a_missing_field_keeps_it(owner):
    html = owner.client.get("/settings/").data.decode()
    select_html = re.search(r'<select[^>]*name="time_zone"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.search(r'<option selected value="Europe/Berlin">Europe/Berlin</option>', select_html)
    assert 'value="America/New_York"' in select_html and 'value="UTC"' in select_html
    assert owner.client.post("/settings/", data={**GOOD, "time_zone": "europe/paris"}).status_code == 303
    assert db.session.get(Organization, owner.org.id).time_zone == "Europe/Paris"  # as zoneinfo spells it
    assert owner.client.post("/settings/", data=GOOD).status_code == 303  # GOOD has no time_zone
    db.session.expire_all()
    assert db.session.get(Organization, owner.org.id).time_zone == "Europe/Paris"
