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


# --- languages -----------------------------------------------------------------------------------------------------

def _main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_the_login_page_speaks_the_browsers_language(client, f):
    html = client.get("/auth/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).data.decode()
    assert '<html lang="de">' in html
    assert "<h1>Anmelden</h1>" in html and "Passwort vergessen?" in html and "Konto anlegen" in html
    assert "Auf diesem Gerät angemeldet bleiben" in html and ">Anmelden</button>" in html
    f.user("de@example.com")
    r = client.post("/auth/login", data={"email": "de@example.com", "password": "wrong-password!"},
                    headers={"Accept-Language": "de"})
    assert r.status_code == 422 and "E-Mail-Adresse oder Passwort ist falsch." in r.data.decode()
    r = client.post("/auth/login", data={"email": "de@example.com", "password": ""}, headers={"Accept-Language": "de"})
    assert "Geben Sie Ihr Passwort ein." in r.data.decode()
    html = client.get("/auth/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).data.decode()
    assert "<h1>Se connecter</h1>" in html and "Mot de passe oublié ?" in html
    html = client.get("/auth/signup", headers={"Accept-Language": "fr"}).data.decode()
    assert "Commencez à facturer avec Tallybook" in html and "Nom de l’entreprise" in html
    r = client.post("/auth/signup", data={**SIGNUP, "password": "short"}, headers={"Accept-Language": "de"})
    assert r.status_code == 422 and "Verwenden Sie mindestens 10 Zeichen." in r.data.decode()


def test_the_language_setting_changes_the_app_at_once_and_back_to_automatic(login_as):
    owner = login_as("owner")
    page = owner.client.get("/auth/account").data.decode()
    assert "Account and language" in page  # in the user menu
    assert '<option selected value="">Automatic (browser)</option>' in page
    assert '<option value="de">Deutsch</option>' in page and '<option value="fr">Français</option>' in page
    r = owner.client.post("/auth/account", data={"language": "fr"})
    assert r.status_code == 303 and r.headers["Location"] == "/auth/account"
    assert db.session.get(User, owner.user.id).language == "fr"
    page = owner.client.get("/auth/account").data.decode()  # the browser still asks for English
    assert "Les paramètres de votre compte sont enregistrés." in page  # the message already in French
    assert "<h1>Votre compte</h1>" in page and '<option selected value="fr">Français</option>' in page
    settings = owner.client.get("/settings/").data.decode()
    assert '<html lang="fr">' in settings and "<h1>Paramètres</h1>" in settings
    assert "Enregistrer les informations" in settings and "Coordonnées bancaires" in settings
    r = owner.client.post("/settings/", data={"name": "", "payment_terms_days": "30"})
    assert r.status_code == 422 and "Rien n’a été enregistré" in r.data.decode()
    assert "Saisissez un nom pour l’entreprise." in r.data.decode()
    # a value the app does not speak is refused beside the field, in the language being read
    r = owner.client.post("/auth/account", data={"language": "es"})
    assert r.status_code == 422 and "Choisissez l’une des langues." in _main(r.data.decode())
    assert db.session.get(User, owner.user.id).language == "fr"
    # back to automatic: the browser's language again
    r = owner.client.post("/auth/account", data={"language": ""})
    assert r.status_code == 303
    assert db.session.get(User, owner.user.id).language == ""
    settings = owner.client.get("/settings/").data.decode()
    assert "<h1>Settings</h1>" in settings and "Save company details" in settings
    settings = owner.client.get("/settings/", headers={"Accept-Language": "de"}).data.decode()
    assert "<h1>Einstellungen</h1>" in settings and "Firmendaten speichern" in settings


def test_a_signup_keeps_the_language_automatic(client):
    client.post("/auth/signup", data=SIGNUP, headers={"Accept-Language": "de"})
    assert db.session.scalar(select(User)).language == ""


def test_a_reset_e_mail_is_written_in_the_users_chosen_language(client, f):
    user = f.user("lang@example.com", name="Léa")
    f.organization(owner=user)  # a German organization
    user.language = "fr"
    db.session.commit()
    client.post("/auth/reset", data={"email": "lang@example.com"}, headers={"Accept-Language": "de"})
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "Réinitialisez votre mot de passe Tallybook"
    assert "Bonjour Léa," in message.body_text and "expire après 1 heure" in message.body_text
    assert '<html lang="fr">' in message.body_html and "Choisir un nouveau mot de passe" in message.body_html
    assert _reset_link(message).startswith("/auth/reset/")
    # without a setting: the organization's language (German), whatever the browser that asked
    user.language = ""
    db.session.commit()
    client.post("/auth/reset", data={"email": "lang@example.com"}, headers={"Accept-Language": "fr"})
    latest = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert latest.subject == "Setzen Sie Ihr Tallybook-Passwort zurück"
    assert "Guten Tag Léa," in latest.body_text and "nach 1 Stunde ab" in latest.body_text
