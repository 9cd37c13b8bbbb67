"""Settings > API > Webhooks: an owner adds an endpoint (its secret shown once), disables and enables it, reads its
delivery log, sends a delivery again and deletes it; full pages and htmx partials; bad URLs get a message and
save nothing; another organization's endpoint is a 404; staff may not."""
import re

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webapp.models.types import utcnow

SECRET_IN_BOX = re.compile(r'id="new-webhook-secret" value="(whsec_[A-Za-z0-9+/=]+)"')


def endpoints() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


def test_owner_adds_an_endpoint_and_sees_its_secret_once(login_as):
    owner = login_as("owner")
    page = owner.client.get("/settings/api").data.decode()
    assert '<section id="webhooks">' in page and "No webhook endpoints yet." in page
    assert 'hx-post="/settings/api/webhooks"' in page
    r = owner.client.post("/settings/api/webhooks", data={
        "url": " https://shop.example.com/hooks ", "description": "Shop", "events": ["invoice.paid", "invoice.created"]},
        headers={"HX-Request": "true"})
    assert r.status_code == 201
    html = r.data.decode()
    assert html.lstrip().startswith('<section id="webhooks">') and "<html" not in html  # the partial
    secret = SECRET_IN_BOX.search(html).group(1)
    assert "Copy the signing secret now: it is not shown again." in html
    row = db.session.scalar(select(WebhookEndpoint))
    assert (row.org_id, row.url, row.description, row.events, row.secret, row.created_by_id) == (
        owner.org.id, "https://shop.example.com/hooks", "Shop", ["invoice.created", "invoice.paid"], secret,
        owner.user.id)
    again = owner.client.get("/settings/api").data.decode()
    assert secret not in again and "https://shop.example.com/hooks" in again and "invoice.created, invoice.paid" in again


def test_a_bad_url_is_refused_beside_the_field_and_nothing_is_saved(login_as):
    owner = login_as("owner")
    for url, message in (("ftp://shop.example.com", "The URL must start with https://"),
                         ("https://me:pw@shop.example.com", "Leave the user name and password out of the URL"),
                         ("", "Enter the URL that receives the events.")):
        r = owner.client.post("/settings/api/webhooks", data={"url": url})
        assert r.status_code == 422 and message in r.data.decode(), url
    assert endpoints() == 0


def _delivery(org, endpoint, status="failed"):
    delivery = WebhookDelivery(org_id=org.id, endpoint_id=endpoint.id, event_id="msg_abc", event_type="invoice.paid",
                               payload='{"type":"invoice.paid","timestamp":"2026-01-01T00:00:00+00:00","data":{}}',
                               status=status, attempts=3, last_status_code=500, last_error="HTTP 500: boom")
    db.session.add(delivery)
    db.session.flush()
    db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=utcnow(), status_code=500,
                                  error="HTTP 500: boom", duration_ms=12))
    db.session.commit()
    return delivery


def _endpoint(org, url="https://shop.example.com/hooks"):
    row = WebhookEndpoint(org_id=org.id, url=url, description="Shop", events=[], secret="whsec_" + "A" * 32)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_delivery_log_and_send_again(login_as):
    owner = login_as("owner")
    hook = _endpoint(owner.org)
    delivery = _delivery(owner.org, hook)
    for headers in ({}, {"HX-Request": "true"}):
        page = owner.client.get(f"/settings/api/webhooks/{hook.id}", headers=headers)
        text = page.data.decode()
        assert page.status_code == 200 and "invoice.paid" in text and "msg_abc" in text
        assert "HTTP 500: boom" in text and "<code>500</code>" in text and "12 ms" in text
        assert ("<html" in text) == (not headers)
        assert hook.secret not in text
    r = owner.client.post(f"/settings/api/webhook-deliveries/{delivery.id}/resend")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/settings/api/webhooks/{hook.id}")
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert len(rows) == 2 and rows[1].resent_from_id == delivery.id and rows[1].status == "queued"
    assert rows[1].event_id == "msg_abc" and rows[1].payload == delivery.payload
    assert "queued to be sent again" in owner.client.get(f"/settings/api/webhooks/{hook.id}").data.decode()


def test_rotate_disable_enable_and_delete(login_as):
    owner = login_as("owner")
    hook = _endpoint(owner.org)
    _delivery(owner.org, hook)
    old = hook.secret
    r = owner.client.post(f"/settings/api/webhooks/{hook.id}/rotate")
    assert r.status_code == 200
    new = SECRET_IN_BOX.search(r.data.decode()).group(1)
    assert new != old and db.session.get(WebhookEndpoint, hook.id).secret == new
    assert owner.client.post(f"/settings/api/webhooks/{hook.id}/toggle").status_code == 303
    assert db.session.get(WebhookEndpoint, hook.id).enabled is False
    assert "disabled" in owner.client.get("/settings/api").data.decode()
    owner.client.post(f"/settings/api/webhooks/{hook.id}/toggle", headers={"HX-Request": "true"})
    assert db.session.get(WebhookEndpoint, hook.id).enabled is True
    r = owner.client.post(f"/settings/api/webhooks/{hook.id}/delete", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["HX-Redirect"].endswith("/settings/api")
    assert endpoints() == 0 and db.session.scalar(select(func.count(WebhookDelivery.id))) == 0
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 0


def test_another_organizations_endpoint_is_404_and_staff_may_not(login_as):
    other = factories.organization()
    hook = _endpoint(other, "https://other.example.com/hooks")
    delivery = _delivery(other, hook)
    owner = login_as("owner")
    for method, url in (("GET", f"/settings/api/webhooks/{hook.id}"), ("POST", f"/settings/api/webhooks/{hook.id}/toggle"),
                        ("POST", f"/settings/api/webhooks/{hook.id}/rotate"),
                        ("POST", f"/settings/api/webhooks/{hook.id}/delete"),
                        ("POST", f"/settings/api/webhook-deliveries/{delivery.id}/resend")):
        assert owner.client.open(url, method=method).status_code == 404, url
    assert "other.example.com" not in owner.client.get("/settings/api").data.decode()
    row = db.session.get(WebhookEndpoint, hook.id)
    assert row.enabled is True and row.secret == "whsec_" + "A" * 32
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1
    staff = login_as("staff", org=owner.org)
    assert staff.client.post("/settings/api/webhooks", data={"url": "https://x.example.com"}).status_code == 403
    assert endpoints() == 1
