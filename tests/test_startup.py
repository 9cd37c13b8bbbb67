"""Starting the app: BASE_URL follows the port in development and is required in production; a machine
without Pango (WeasyPrint's system library) is told what to install instead of a traceback."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TMP, app_config
from webapp import create_app
from webapp.config import ConfigError, load_config
from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.services import accounts

ROOT = Path(__file__).resolve().parent.parent
APT = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
BREW = "brew install pango"


def test_development_base_url_follows_the_port_the_app_serves_on(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    monkeypatch.setenv("PORT", "5055")
    assert load_config(tmp_path)["BASE_URL"] == "http://127.0.0.1:5055"
    monkeypatch.delenv("PORT")
    monkeypatch.setenv("FLASK_RUN_PORT", "5077")  # flask run reads it too
    assert load_config(tmp_path)["BASE_URL"] == "http://127.0.0.1:5077"
    monkeypatch.setenv("BASE_URL", "https://invoices.example.com/")  # set: it wins, without the trailing slash
    assert load_config(tmp_path)["BASE_URL"] == "https://invoices.example.com"


def test_with_port_5055_every_emailed_link_says_5055(monkeypatch, f):
    """The invitation (and so every link from mail.external_url) is built from the served port's BASE_URL."""
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5055")
    config = app_config()
    del config["BASE_URL"]
    app = create_app(config)
    owner = f.user("owner@example.com")
    org = f.organization(owner=owner)
    with app.test_request_context("/settings/members", base_url="http://127.0.0.1:5055"):
        accounts.invite(org, owner, "new@example.com", "staff")
        db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert re.search(r"http://127\.0\.0\.1:5055/auth/invitations/\S+", message.body_text)
    assert ":5000" not in message.body_text + message.body_html


def test_production_refuses_to_start_without_base_url(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="BASE_URL is not set: set it to the public address"):
        create_app()
    for bad in ("invoices.example.com", "ftp://invoices.example.com", "https://", "https://x.example:port",
                "https://x.example/?a=1"):
        monkeypatch.setenv("BASE_URL", bad)
        with pytest.raises(ConfigError, match="BASE_URL must be an http"):
            create_app()


def test_production_refusal_is_a_message_not_a_traceback():
    env = {k: v for k, v in os.environ.items() if k not in {"BASE_URL", "FLASK_APP"}}
    env |= {"APP_ENV": "production", "SECRET_KEY": "p" * 48, "DATABASE_URL": f"sqlite:///{TMP}/startup.sqlite"}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "Tallybook cannot start: BASE_URL is not set" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("base_url, expected", [(None, "http://127.0.0.1:5055"),
                                                ("https://shop.example", "https://shop.example")])
def test_make_run_exports_base_url_from_port_unless_it_is_set(base_url, expected):
    """``make run`` with PORT=5055: the commands it runs (here a stand-in for flask) see BASE_URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"BASE_URL", "MAKEFLAGS", "MFLAGS"}}
    if base_url:
        env["BASE_URL"] = base_url
    stand_in = f"{sys.executable} -c 'import os, sys; print(sys.argv[1] + \" BASE_URL=\" + os.environ[\"BASE_URL\"])'"
    run = subprocess.run(["make", "-s", "-o", ".venv/.installed", "run", "PORT=5055", f"FLASK={stand_in}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # "<command> BASE_URL=<value>" per command; two of them may print at once
    seen = re.findall(r"(db|seed-demo|outbox|run) BASE_URL=(\S+?)(?=db |seed-demo |outbox |run |\s|$)", run.stdout)
    # the deliverer (outbox, in the background) may be stopped before it prints: the others run to the end
    assert {"db", "seed-demo", "run"} <= {command for command, _ in seen}, run.stdout
    assert {value for _, value in seen} == {expected}, run.stdout


def fail_to_load_pango(monkeypatch):
    import importlib

    real = importlib.import_module

    def import_module(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", import_module)


def test_without_pango_the_app_says_what_to_install(monkeypatch):
    fail_to_load_pango(monkeypatch)
    with pytest.raises(ConfigError) as refused:
        create_app(app_config())
    message = str(refused.value)
    assert "cannot load the system library Pango" in message and "libpango-1.0-0" in message
    assert APT in message and BREW in message


def test_without_pango_flask_and_make_run_print_the_message_not_a_traceback(tmp_path):
    """A stand-in ``weasyprint`` that fails as the real one does without Pango (an OSError on import)."""
    fake = tmp_path / "weasyprint"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "print('WeasyPrint could not import some external libraries.')\n"
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file\")\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "APP_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite", "BASE_URL": "http://127.0.0.1:5055"}
    env.pop("FLASK_APP", None)
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "Tallybook cannot start: WeasyPrint, which makes the PDFs, cannot load the system library Pango" \
        in run.stderr
    assert APT in run.stderr and BREW in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_readme_needs_line_lists_the_system_packages():
    readme = (ROOT / "README.md").read_text()
    needs = next(p for p in readme.split("\n\n") if p.startswith("Needs "))
    assert "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in needs and BREW in needs


def test_development_warns_once_when_opened_at_another_address_than_base_url(monkeypatch, caplog):
    """``flask run --port 5055`` without PORT or BASE_URL: links would say :5000, and the log says so."""
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    config = app_config()
    del config["BASE_URL"]
    app = create_app(config)
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    client = app.test_client()
    with caplog.at_level("WARNING"):
        client.get("/auth/login", base_url="http://127.0.0.1:5000")
        assert "BASE_URL" not in caplog.text
        client.get("/auth/login", base_url="http://127.0.0.1:5055")
        client.get("/auth/login", base_url="http://127.0.0.1:5055")
    warnings = [r.getMessage() for r in caplog.records if "BASE_URL" in r.getMessage()]
    assert len(warnings) == 1
    assert "came to 127.0.0.1:5055 but BASE_URL is http://127.0.0.1:5000" in warnings[0]
    assert "BASE_URL=http://127.0.0.1:5055" in warnings[0]
