"""Error pages: full pages, and htmx partials retargeted to the message area."""
import pytest
from flask import abort

from tests.conftest import CSRFClient, app_config
from webapp import create_app


@pytest.fixture(scope="module")
def error_app():
    app = create_app(app_config(PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = CSRFClient

    @app.get("/boom/<int:code>")
    def boom(code):
        if code == 500:
            raise RuntimeError("kaput")
        abort(code)

    return app


@pytest.mark.parametrize("code,title", [(400, "Bad request"), (403, "Not allowed"), (404, "Not found"),
                                        (422, "Could not process this"), (429, "Too many attempts"),
                                        (500, "Something went wrong")])
def test_error_pages_full_and_partial(error_app, code, title):
    client = error_app.test_client()
    full = client.get(f"/boom/{code}")
    assert full.status_code == code
    html = full.data.decode()
    assert html.startswith("<!doctype html>") and f"<h2>{title}</h2>" in html and "Back to the dashboard" in html
    partial = client.get(f"/boom/{code}", headers={"HX-Request": "true"})
    assert partial.status_code == code
    body = partial.data.decode().strip()
    assert body.startswith(f'<article id="error-{code}"') and "<html" not in body
    assert partial.headers["HX-Retarget"] == "#messages"
    boosted = client.get(f"/boom/{code}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.data.decode().startswith("<!doctype html>")


def test_500_says_nothing_was_saved(error_app):
    r = error_app.test_client().get("/boom/500")
    assert b"nothing was saved" in r.data and b"kaput" not in r.data


def test_expired_session_on_htmx_request_is_401_with_hx_redirect(client):
    r = client.get("/settings/members", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/auth/login")
    r = client.get("/settings/members")
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("language,texts", [
    ("de", ['<html lang="de">', "<h2>Nicht gefunden</h2>", "Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf.",
            "Fehler 404", "Zurück zur Übersicht"]),
    ("fr", ['<html lang="fr">', "<h2>Introuvable</h2>", "Cette page n’existe pas, ou vous n’y avez pas accès.",
            "Erreur 404", "Retour au tableau de bord"]),
])
def test_a_404_page_in_german_and_french(owner, language, texts):
    r = owner.client.get("/customers/999999", headers={"Accept-Language": language})
    assert r.status_code == 404
    html = r.data.decode()
    for text in texts:
        assert text in html, text
    assert "Not found" not in html


@pytest.mark.parametrize("language,title,message", [
    ("de", "Etwas ist schiefgelaufen", "nichts wurde gespeichert"),
    ("fr", "Une erreur s’est produite", "rien n’a été enregistré"),
])
def test_500_and_csrf_pages_in_german_and_french(error_app, language, title, message):
    client = error_app.test_client()
    html = client.get("/boom/500", headers={"Accept-Language": language}).data.decode()
    assert f"<h2>{title}</h2>" in html and message in html
    expired = client.post("/auth/login", data={"email": "a@example.com"}, csrf=False,
                          headers={"Accept-Language": language})
    assert expired.status_code == 400
    assert {"de": "Das Formular ist abgelaufen", "fr": "Le formulaire a expiré"}[language] in expired.data.decode()
