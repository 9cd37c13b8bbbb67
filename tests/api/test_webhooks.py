"""/api/v1/webhook-endpoints and /webhook-deliveries: an owner's token manages the endpoints (the secret shown on
create and rotate only), lists an endpoint's deliveries and sends one again; bad input is a 422 with a pointer
and changes nothing; another organization's endpoint or delivery is a 404; other roles get 403."""
from __future__ import annotations

from sqlalchemy import func, select
from standardwebhooks import Webhook

from tests import factories
from tests import webhook_receiver
from webapp.extensions import db
from webapp.models import WebhookDelivery, WebhookEndpoint
from webapp.services import webhooks


receiver, loopback_allowed = webhook_receiver.receiver, webhook_receiver.loopback_allowed  # fixtures

def test_create_read_change_list_and_delete_an_endpoint(api):
    created = api.post("/webhook-endpoints", json={"url": "https://shop.example.com/hooks", "description": "Shop",
                                                    "events": ["invoice.paid", "invoice.finalized"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and Webhook(body["secret"])  # a valid Standard Webhooks secret
    assert body["events"] == ["invoice.finalized", "invoice.paid"] and body["enabled"] is True
    assert created.headers["Location"].endswith(f"/api/v1/webhook-endpoints/{body['id']}")
    row = db.session.get(WebhookEndpoint, int(body["id"]))
    assert (row.org_id, row.url, row.secret, row.description) == (api.org.id, "https://shop.example.com/hooks",
                                                                   body["secret"], "Shop")

    shown = api.get(f"/webhook-endpoints/{body['id']}").get_json()
    assert shown["secret"] is None and shown["url"] == "https://shop.example.com/hooks"
    changed = api.patch(f"/webhook-endpoints/{body['id']}", json={"enabled": False, "events": []})
    assert changed.status_code == 200 and changed.get_json()["enabled"] is False
    assert changed.get_json()["events"] == [] and changed.get_json()["description"] == "Shop"
    listed = api.get("/webhook-endpoints").get_json()
    assert [e["id"] for e in listed["data"]] == [body["id"]] and listed["data"][0]["secret"] is None

    rotated = api.post(f"/webhook-endpoints/{body['id']}/rotate-secret").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]
    assert db.session.get(WebhookEndpoint, int(body["id"])).secret == rotated["secret"]

    assert api.delete(f"/webhook-endpoints/{body['id']}").status_code == 204
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0
    assert api.get(f"/webhook-endpoints/{body['id']}").status_code == 404


def test_bad_urls_and_events_are_refused_with_a_pointer_and_save_nothing(api):
    cases = {
        "ftp://shop.example.com/hooks": "invalid_url_scheme",
        "https://user:pw@shop.example.com/hooks": "url_with_credentials",
        "https:///nohost": "invalid_url",
        "shop.example.com/hooks": "invalid_url_scheme",
        "": "url_required",
    }
    for url, code in cases.items():
        answer = api.post("/webhook-endpoints", json={"url": url})
        assert answer.status_code == 422, url
        assert answer.get_json()["code"] == code and answer.get_json()["errors"][0]["pointer"] == "/url", url
    unknown = api.post("/webhook-endpoints", json={"url": "https://shop.example.com", "events": ["invoice.eaten"]})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["pointer"].startswith("/events")
    extra = api.post("/webhook-endpoints", json={"url": "https://shop.example.com", "secret": "whsec_mine"})
    assert extra.status_code == 422 and extra.get_json()["errors"][0]["pointer"] == "/secret"
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_deliveries_are_listed_and_one_is_sent_again(api, receiver, loopback_allowed):
    hook = api.post("/webhook-endpoints", json={"url": receiver.url(), "events": ["customer.created"]}).get_json()
    customer = api.post("/customers", json={"company": "Acme Inc"}).get_json()
    assert webhooks.deliver_due().delivered
    [delivery] = api.get(f"/webhook-endpoints/{hook['id']}/deliveries").get_json()["data"]
    assert (delivery["event_type"], delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "customer.created", "delivered", 1, 204)
    assert delivery["payload"]["data"]["id"] == customer["id"] and delivery["event_id"].startswith("msg_")

    again = api.post(f"/webhook-deliveries/{delivery['id']}/resend")
    assert again.status_code == 201, again.get_json()
    repeat = again.get_json()
    assert repeat["status"] == "queued" and repeat["resent_from_id"] == delivery["id"]
    assert repeat["event_id"] == delivery["event_id"] and repeat["id"] != delivery["id"]
    assert webhooks.deliver_due().delivered == [int(repeat["id"])]
    events = receiver.verified(hook["secret"])
    assert [e["data"]["id"] for e in events] == [customer["id"], customer["id"]]
    listed = api.get(f"/webhook-endpoints/{hook['id']}/deliveries").get_json()["data"]
    assert [d["id"] for d in listed] == [repeat["id"], delivery["id"]]


def test_another_organizations_endpoint_and_delivery_are_404_and_unchanged(api, api_as):
    hook = api.post("/webhook-endpoints", json={"url": "https://shop.example.com/hooks"}).get_json()
    api.post("/customers", json={"company": "Acme Inc"})
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    other = api_as("owner")
    for answer in (other.get(f"/webhook-endpoints/{hook['id']}"),
                   other.patch(f"/webhook-endpoints/{hook['id']}", json={"url": "https://evil.example.com"}),
                   other.delete(f"/webhook-endpoints/{hook['id']}"),
                   other.post(f"/webhook-endpoints/{hook['id']}/rotate-secret"),
                   other.get(f"/webhook-endpoints/{hook['id']}/deliveries"),
                   other.post(f"/webhook-deliveries/{delivery_id}/resend")):
        assert answer.status_code == 404, answer.get_json()
    assert other.get("/webhook-endpoints").get_json()["data"] == []
    row = db.session.get(WebhookEndpoint, int(hook["id"]))
    assert row.url == "https://shop.example.com/hooks" and row.secret == hook["secret"]
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1


def test_only_an_owners_token_manages_webhooks(api_as):
    org = factories.complete_org(factories.organization())
    for role in ("staff", "bookkeeper"):
        program = api_as(role, org=org)
        assert program.get("/webhook-endpoints").status_code == 403
        refused = program.post("/webhook-endpoints", json={"url": "https://shop.example.com/hooks"})
        assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0
