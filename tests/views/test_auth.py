from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import log_in
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Membership, NumberSeries, Organization, OutboxMessage, PasswordResetToken, User
from webapp.models.types import utcnow

SIGNUP = {"name": "Ada Lovelace", "email": "Ada@Example.com", "password": "analytical-engine",
          "org_name": "Lovelace Analytics", "country": "GB"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signup_creates_org_owner_and_logs_in(client):
    r = client.post("/auth/signup", data=SIGNUP)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    user = db.session.scalar(select(User))
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("scrypt:")
    org = db.session.scalar(select(Organization))
    assert (org.name, org.country, org.currency, org.locale) == ("Lovelace Analytics", "GB", "GBP", "en_GB")
    membership = db.session.scalar(select(Membership))
    assert (membership.user_id, membership.org_id, membership.role) == (user.id, org.id, "owner")
    assert {s.kind for s in db.session.scalars(select(NumberSeries))} == {"invoice", "credit_note", "quote"}
    page = client.get("/")
    assert page.status_code == 200 and b"Lovelace Analytics" in page.data


def test_signup_bad_input_is_422_at_the_field_and_saves_nothing(client):
    cases = {
        "password": ("short", b"Use at least 10 characters."),
        "email": ("not-an-email", b"Enter a valid e-mail address."),
        "country": ("XX", b"Choose a country from the list"),
        "org_name": ("", b"Enter the name of your business."),
    }
    for field, (value, message) in cases.items():
        r = client.post("/auth/signup", data={**SIGNUP, field: value})
        assert r.status_code == 422, field
        html = r.data.decode()
        assert message.decode() in html
        assert f'id="{field}-error"' in html  # the message sits next to its field
        assert count(User) == 0 and count(Organization) == 0


def test_signup_with_taken_email_is_refused(client, f):
    f.user("ada@example.com")
    r = client.post("/auth/signup", data=SIGNUP)
    assert r.status_code == 422
    assert b"already exists" in r.data
    assert count(Organization) == 0


def test_login_success_wrong_password_and_remember_me(client, f):
    u = f.user("bob@example.com")
    f.organization(owner=u)
    r = client.post("/auth/login", data={"email": "bob@example.com", "password": "wrong-password!"})
    assert r.status_code == 422 and b"E-mail or password is wrong." in r.data
    r = client.post("/auth/login", data={"email": "BOB@example.com", "password": PASSWORD})
    assert r.status_code == 303
    assert "remember_token" not in r.headers.get("Set-Cookie", "")
    assert client.get("/").status_code == 200
    other = client.application.test_client()
    r = other.post("/auth/login", data={"email": "bob@example.com", "password": PASSWORD, "remember": "y"})
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_login_follows_only_local_next(client, f):
    f.organization(owner=f.user("n@example.com"))
    r = client.post("/auth/login", data={"email": "n@example.com", "password": PASSWORD, "next": "https://evil.test/"})
    assert r.headers["Location"] == "/"
    client.post("/auth/logout")
    r = client.post("/auth/login", data={"email": "n@example.com", "password": PASSWORD, "next": "/settings/"})
    assert r.headers["Location"] == "/settings/"


def test_logout_is_post_only_and_ends_other_sessions(app, login_as):
    owner = login_as("owner")
    second = app.test_client()
    log_in(second, owner.user, owner.org)
    assert second.get("/").status_code == 200
    assert owner.client.get("/auth/logout").status_code == 405
    r = owner.client.post("/auth/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/auth/login"
    assert owner.client.get("/settings/").status_code == 302  # back to log-in
    assert second.get("/settings/").status_code == 302  # the other session ended too


def test_change_password_keeps_this_session_and_ends_others(app, login_as):
    owner = login_as("owner")
    second = app.test_client()
    log_in(second, owner.user, owner.org)
    r = owner.client.post("/auth/password", data={"current_password": "nope-nope-nope", "password": "new-password-123",
                                                  "confirm": "new-password-123"})
    assert r.status_code == 422 and b"not your current password" in r.data
    r = owner.client.post("/auth/password", data={"current_password": PASSWORD, "password": "short",
                                                  "confirm": "short"})
    assert r.status_code == 422
    r = owner.client.post("/auth/password", data={"current_password": PASSWORD, "password": "new-password-123",
                                                  "confirm": "new-password-123"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, owner.user.id).check_password("new-password-123")
    assert owner.client.get("/settings/").status_code == 200
    assert second.get("/settings/").status_code == 302


def _reset_link(message: OutboxMessage) -> str:
    line = next(li for li in message.body_text.splitlines() if "/auth/reset/" in li)
    assert line.startswith("https://tallybook.test/auth/reset/")  # built from BASE_URL
    return line.strip().replace("https://tallybook.test", "")


def test_reset_unknown_email_gets_the_same_answer(client, f):
    f.user("known@example.com")
    known = client.post("/auth/reset", data={"email": "known@example.com"})
    unknown = client.post("/auth/reset", data={"email": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 200

    def main(response, email):  # the visible answer, without the per-request CSRF token
        html = response.data.decode()
        return html[html.index("<main"):html.index("</main>")].replace(email, "X")

    assert main(known, "known@example.com") == main(unknown, "unknown@example.com")
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_addrs for m in messages] == ["known@example.com"]


def test_reset_token_works_once_and_ends_sessions(app, client, f):
    u = f.user("r@example.com")
    org = f.organization(owner=u)
    other = app.test_client()
    log_in(other, u, org)
    client.post("/auth/reset", data={"email": "r@example.com"})
    path = _reset_link(db.session.scalar(select(OutboxMessage)))
    assert client.get(path).status_code == 200
    r = client.post(path, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-2"})
    assert r.status_code == 422 and b"The two passwords differ." in r.data
    r = client.post(path, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, u.id).check_password("brand-new-pass-1")
    assert other.get("/settings/").status_code == 302
    # reused
    r = client.post(path, data={"password": "another-pass-99", "confirm": "another-pass-99"})
    assert r.status_code == 400 and b"does not work any more" in r.data
    db.session.expire_all()
    assert db.session.get(User, u.id).check_password("brand-new-pass-1")


def test_reset_token_expires_after_an_hour(client, f):
    f.user("e@example.com")
    client.post("/auth/reset", data={"email": "e@example.com"})
    path = _reset_link(db.session.scalar(select(OutboxMessage)))
    token_row = db.session.scalar(select(PasswordResetToken))
    assert timedelta(minutes=59) < token_row.expires_at - utcnow() <= timedelta(hours=1)
    token_row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.post(path, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(User)).check_password(PASSWORD)


def test_eleventh_failed_login_in_a_minute_gets_429(client, f):
    f.user("victim@example.com")
    for i in range(10):
        r = client.post("/auth/login", data={"email": "victim@example.com", "password": f"wrong-{i}-xxxxx"})
        assert r.status_code == 422, i
    r = client.post("/auth/login", data={"email": "victim@example.com", "password": PASSWORD})
    assert r.status_code == 429
    assert b"Too many attempts" in r.data


def test_login_limit_is_per_account_too(app, f):
    f.user("target@example.com")
    for i in range(10):  # ten different addresses (IPs) try the same account
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        assert c.post("/auth/login", data={"email": "target@example.com", "password": "x" * 12}).status_code == 422
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert c.post("/auth/login", data={"email": "target@example.com", "password": "x" * 12}).status_code == 429
    assert c.post("/auth/login", data={"email": "someone-else@example.com", "password": "x" * 12}).status_code == 422


def test_reset_requests_are_rate_limited(client):
    for _ in range(10):
        assert client.post("/auth/reset", data={"email": "a@example.com"}).status_code == 200
    assert client.post("/auth/reset", data={"email": "a@example.com"}).status_code == 429


def test_login_next_never_leaves_the_site(client, f):
    f.organization(owner=f.user("n2@example.com"))
    for target in ("//evil.example/", "/\t/evil.example/", "https://evil.example/", "/\\evil.example",
                   "javascript:alert(1)", "/\r\nSet-Cookie: x=1"):
        client.post("/auth/logout")
        r = client.post("/auth/login", data={"email": "n2@example.com", "password": PASSWORD, "next": target})
        assert r.status_code == 303 and r.headers["Location"] == "/", target
        r = client.post("/auth/login", data={"email": "n2@example.com", "password": PASSWORD, "next": target},
                        headers={"HX-Request": "true"})
        assert r.headers["HX-Redirect"] == "/", target


def test_control_characters_are_removed_from_single_line_fields(client):
    r = client.post("/auth/signup", data={**SIGNUP, "name": "Ada\x00\r\nBcc: x@evil.example",
                                          "org_name": "Love\x00lace"})
    assert r.status_code == 303
    user = db.session.scalar(select(User))
    assert user.name == "Ada Bcc: x@evil.example"
    assert db.session.scalar(select(Organization)).name == "Love lace"


def test_expired_session_on_htmx_returns_to_the_page_not_the_fragment(client):
    r = client.get("/settings/numbering/preview/invoice?invoice_format=X", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/settings/numbering"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/auth/login?next=/settings/numbering"


def test_rate_limits_use_the_forwarded_client_address_behind_a_proxy(app, f, monkeypatch):
    from tests.conftest import CSRFClient, app_config
    from webapp import create_app

    proxied = create_app(app_config(PROXY_FIX_X_FOR=1))
    proxied.test_client_class = CSRFClient
    f.user("p@example.com")
    for i in range(10):
        c = proxied.test_client()
        c.post("/auth/login", data={"email": f"nobody{i}@example.com", "password": "x" * 12},
               headers={"X-Forwarded-For": "203.0.113.7"})
    c = proxied.test_client()
    blocked = c.post("/auth/login", data={"email": "other@example.com", "password": "x" * 12},
                     headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    bystander = c.post("/auth/login", data={"email": "p@example.com", "password": PASSWORD},
                       headers={"X-Forwarded-For": "198.51.100.9"})
    assert bystander.status_code == 303
