"""/api/docs: a public page of its own that loads the vendored Swagger UI (files that exist on disk) and its init
script from static/, under the app's CSP unchanged, in the reader's language."""
from __future__ import annotations

import re
from pathlib import Path

from webapp import CSP
from webapp.config import PROJECT_ROOT

STATIC = Path(PROJECT_ROOT) / "static"


def test_the_reference_is_public_and_loads_only_vendored_files_that_exist(client):
    answer = client.get("/api/docs")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert "<title>Tallybook API</title>" in html
    assert 'data-openapi-url="/api/v1/openapi.json"' in html
    assert 'href="/api/v1/openapi.json"' in html and 'href="/"' in html  # the document, back to the app

    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts == ["/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js", "/static/js/api-docs.js"]
    assert "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui.css" in styles
    for url in scripts + styles:
        path = STATIC / url.removeprefix("/static/")
        assert path.is_file() and path.stat().st_size > 0, url
        assert client.get(url).status_code == 200, url
    vendored = STATIC / "vendor" / "swagger-ui-dist-5.35.0"
    assert (vendored / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert not list(vendored.glob("*.map"))  # no source maps vendored
    assert "swagger-ui-dist-5.35.0" in (STATIC / "vendor" / "README.md").read_text()

    # no inline script or style: the page works under the CSP as it is
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert answer.headers["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP


def test_the_reference_speaks_the_readers_language(client):
    german = client.get("/api/docs", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in german and "Zurück zu Tallybook" in german and "OpenAPI-Dokument (JSON)" in german
    french = client.get("/api/docs", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in french and "Retour à Tallybook" in french and "Document OpenAPI (JSON)" in french


def test_the_reference_takes_no_token_and_the_api_still_does(client):
    # the page is outside /api/v1: the API's token check does not apply to it, and still applies to the API
    assert client.get("/api/docs").status_code == 200
    refused = client.get("/api/v1/customers")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
