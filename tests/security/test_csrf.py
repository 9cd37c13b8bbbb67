"""Every state-changing route refuses a request without the CSRF token (found by walking app.url_map)."""
from sqlalchemy import select

from tests.security.routes import UNSAFE, build, rules
from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.models import Membership


def test_every_unsafe_route_refuses_a_request_without_csrf_token(app, login_as, f):
    owner = login_as("owner")
    staff = f.member(owner.org, "staff")
    inv, token = f.invitation(owner.org)
    values = {"membership_id": staff.id, "invitation_id": inv.id, "org_id": owner.org.id, "token": token,
              "message_id": 1, "kind": "invoice"}
    checked = []
    for rule in rules(app, UNSAFE):
        url = build(app, rule, values)
        for method in sorted(rule.methods & UNSAFE):
            before = table_contents()
            for client in (owner.client, app.test_client()):
                r = client.open(url, method=method, data={"email": "a@example.com", "role": "owner"}, csrf=False)
                assert r.status_code == 400, (method, url, r.status_code)
                assert b"The form has expired" in r.data
            # the same request as htmx
            r = owner.client.open(url, method=method, headers={"HX-Request": "true"}, csrf=False)
            assert r.status_code == 400 and r.headers["HX-Retarget"] == "#messages"
            assert table_contents() == before, url
            checked.append((method, rule.rule))
    assert len(checked) >= 12
    assert db.session.scalar(select(Membership).where(Membership.id == staff.id)).role == "staff"


def test_a_wrong_token_is_refused_too(login_as):
    owner = login_as("owner")
    r = owner.client.post("/settings/members/invite", data={"email": "a@example.com", "role": "staff"},
                          headers={"X-CSRFToken": "forged"})
    assert r.status_code == 400


def test_the_layout_carries_the_token_for_htmx(login_as):
    owner = login_as("owner")
    html = owner.client.get("/").data.decode()
    assert "<body hx-headers='{&#34;X-CSRFToken&#34;: &#34;" in html or '<body hx-headers=\'{"X-CSRFToken": "' in html
