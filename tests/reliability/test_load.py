"""Under load: 20 clients issue, pay and list at once for a minute against gunicorn (2 workers) on loopback.

Nothing may fail with a 5xx, and afterwards every balance must add up: each invoice's paid total equals
the sum of its payment rows and of the payments the clients saw accepted, the numbers of each
organization run without a gap, and every issued invoice has its stored PDF. LOAD_SECONDS shortens or
lengthens the run (default 60).
"""
from __future__ import annotations

import collections
import hashlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests import factories
from tests.conftest import TMP, database_url
from tests.services.test_document_totals import assert_totals_match
from tests.services.test_pdf import pdf_text
from tests.smtp import free_port
from webapp.extensions import db
from webapp.models import AuditEvent, Document, NumberCounter, NumberSeries, Payment

SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
CLIENTS = 20
ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def server():
    """gunicorn with 2 sync workers, as the README deploys it, on the test database."""
    port = free_port()
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": database_url(), "RATELIMIT_ENABLED": "0",
           "BASE_URL": f"http://127.0.0.1:{port}", "MAIL_SERVER": "", "MAIL_FILE_DIR": f"{TMP}/mail",
           "ATTACHMENT_DIR": f"{TMP}/attachments"}
    log = open(f"{TMP}/gunicorn-load.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", "120",
                             "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/auth/login", timeout=5)
            break
        except requests.RequestException:  # not listening yet, or a worker still booting
            if time.monotonic() > deadline or proc.poll() is not None:
                log.seek(0)
                pytest.fail("gunicorn did not start:\n" + log.read()[-3000:])
            time.sleep(0.2)
    yield base, log
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    log.close()


class Client(threading.Thread):
    """One person at a keyboard who never waits: logs in, then issues, pays or lists until time is up."""

    def __init__(self, base, email, org_key, role, shared, deadline, seed):
        super().__init__(daemon=True)
        self.base, self.email, self.org_key, self.role = base, email, org_key, role
        self.shared, self.deadline, self.rng = shared, deadline, random.Random(seed)
        self.http = requests.Session()
        self.statuses: collections.Counter = collections.Counter()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.paid: collections.Counter = collections.Counter()  # invoice id -> cents this client got accepted
        self.errors: list[str] = []
        self.csrf = ""

    def call(self, name, method, path, headers=None, **kwargs):
        t0 = time.perf_counter()
        r = self.http.request(method, self.base + path, allow_redirects=False, timeout=90,
                              headers={"X-CSRFToken": self.csrf, **(headers or {})}, **kwargs)
        self.times[name].append(time.perf_counter() - t0)
        self.statuses[r.status_code] += 1
        if r.status_code >= 500:
            self.errors.append(f"{method} {path} -> {r.status_code}")
        match = CSRF.search(r.text) if r.headers.get("Content-Type", "").startswith("text/html") else None
        if match:
            self.csrf = match.group(1)
        return r

    def run(self):
        try:
            self.call("log in", "GET", "/auth/login")
            r = self.call("log in", "POST", "/auth/login", data={
                "email": self.email, "password": factories.PASSWORD, "csrf_token": self.csrf})
            assert r.status_code == 303, f"log-in of {self.email} answered {r.status_code}"
            self.call("dashboard", "GET", "/")
            while time.monotonic() < self.deadline:
                action = self.rng.choices(*zip(*{"owner": [("issue", 3), ("list", 2), ("pay", 1)],
                                                 "bookkeeper": [("pay", 4), ("list", 2)],
                                                 "staff": [("list", 3), ("pay", 1)]}[self.role]))[0]
                getattr(self, action)()
        except Exception as exc:  # noqa: BLE001 - reported by the test, with the client that failed
            self.errors.append(f"{self.email}: {exc!r}")

    def list(self):
        path = self.rng.choice(["/", "/invoices/", "/invoices/?status=open", "/invoices/?status=overdue",
                                "/invoices/?q=company", "/customers/"])
        r = self.call("list", "GET", path)
        assert r.status_code == 200, (path, r.status_code)
        ids = self.shared[self.org_key]["issued"]
        if ids:
            doc_id = self.rng.choice(ids)
            assert self.call("invoice page", "GET", f"/invoices/{doc_id}").status_code == 200

    def issue(self):
        contact_id = self.rng.choice(self.shared[self.org_key]["contacts"])
        r = self.call("new draft", "POST", "/invoices/new", data={"contact_id": contact_id})
        assert r.status_code == 303, r.status_code
        doc_id = int(re.search(r"/invoices/(\d+)/edit", r.headers["Location"]).group(1))
        r = self.call("editor", "GET", f"/invoices/{doc_id}/edit")
        assert r.status_code == 200, r.status_code
        version = int(re.search(r'name="current_version" value="(\d+)"', r.text).group(1))
        line = re.search(r'name="l(\d+)-description"', r.text)
        if line is None:  # a draft starts with one empty line; add one if it did not
            r = self.call("line change", "POST", f"/invoices/{doc_id}/lines", headers={"HX-Request": "true"},
                          data={"current_version": version})
            assert r.status_code == 200, r.status_code
            line = re.search(r'name="l(\d+)-description"', r.text)
            version = int(re.search(r'name="current_version" value="(\d+)"', r.text).group(1))
        line_id = int(line.group(1))
        r = self.call("line change", "POST", f"/invoices/{doc_id}/lines/{line_id}", headers={"HX-Request": "true"},
                      data={"current_version": version, f"l{line_id}-description": "Consulting",
                            f"l{line_id}-quantity": str(self.rng.randint(1, 9)), f"l{line_id}-unit": "hour",
                            f"l{line_id}-unit_price": f"{self.rng.randint(100, 20000) / 100:.2f}"})
        assert r.status_code == 200, r.status_code
        version = int(re.search(r'name="current_version" value="(\d+)"', r.text).group(1))
        r = self.call("issue", "POST", f"/invoices/{doc_id}/issue", data={"current_version": version})
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/invoices/{doc_id}"), r.status_code
        self.shared[self.org_key]["issued"].append(doc_id)

    def pay(self):
        ids = self.shared[self.org_key]["issued"]
        doc_id = self.rng.choice(ids)
        r = self.call("payment form", "GET", f"/invoices/{doc_id}/payments/new")
        assert r.status_code == 200, r.status_code
        key = re.search(r'name="key"[^>]*value="([^"]+)"', r.text) or re.search(r'value="([^"]+)"[^>]*name="key"',
                                                                                 r.text)
        refund = self.rng.random() < 0.1
        cents = self.rng.randint(100, 5000)
        r = self.call("pay", "POST", f"/invoices/{doc_id}/payments/new", data={
            "kind": "refund" if refund else "payment", "amount": f"{Decimal(cents) / 100:.2f}",
            "paid_on": time.strftime("%Y-%m-%d"), "method": "bank_transfer", "reference": "load test",
            "note": "", "key": key.group(1), "allow_overpayment": "y", "csrf_token": self.csrf})  # random amounts
        if r.status_code == 303:
            self.paid[doc_id] += -cents if refund else cents
        else:  # only a refund of more than was paid may be refused
            assert refund and r.status_code == 422 and "refund" in r.text.lower(), (r.status_code, r.text[:500])


@pytest.mark.slow
def test_twenty_clients_for_a_minute(app, server, f):
    base, log = server
    shared, people = {}, []
    for key in ("a", "b"):
        org = f.complete_org(f.organization(name=f"Load {key.upper()}"))
        contacts = [f.contact(org, f"Company {key}{i}") for i in range(5)]
        issued = [f.issued(org, contact_=contacts[i % 5]).id for i in range(5)]
        shared[key] = {"org_id": org.id, "contacts": [c.id for c in contacts], "issued": issued}
        owner = next(m.user for m in org.memberships if m.role == "owner")
        roles = ["owner"] * 4 + ["bookkeeper"] * 4 + ["staff"] * 2
        for i, role in enumerate(roles):
            user = owner if role == "owner" and i == 0 else f.member(org, role).user
            people.append((user.email, key, role))
    db.session.commit()
    deadline = time.monotonic() + SECONDS
    clients = [Client(base, email, key, role, shared, deadline, seed) for seed, (email, key, role) in enumerate(people)]
    assert len(clients) == CLIENTS
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=SECONDS + 180)
    assert not any(c.is_alive() for c in clients), "a client hung"
    log.seek(0)
    errors = [e for c in clients for e in c.errors]
    assert not errors, errors[:10] + [log.read()[-3000:]]
    statuses = sum((c.statuses for c in clients), collections.Counter())
    assert all(code < 500 for code in statuses), statuses
    times = collections.defaultdict(list)
    for c in clients:
        for name, values in c.times.items():
            times[name].extend(values)
    print(f"\n{sum(statuses.values())} requests in {SECONDS:.0f} s by {CLIENTS} clients on "
          f"{db.engine.dialect.name}; statuses {dict(statuses)}")
    for name, values in sorted(times.items()):
        values.sort()
        print(f"  {name:14} {len(values):5}  median {statistics.median(values) * 1000:7.1f} ms"
              f"  p95 {values[int(len(values) * 0.95) - 1] * 1000:7.1f} ms")

    db.session.expire_all()
    accepted = collections.Counter()
    for c in clients:
        accepted.update(c.paid)  # (adding Counters would drop a client's net refunds)
    assert times["issue"] and accepted  # the load really issued and paid
    for key, data in shared.items():
        docs = db.session.scalars(select(Document).where(Document.org_id == data["org_id"],
                                                         Document.status != "draft")).all()
        assert {d.id for d in docs} == set(data["issued"])  # every issue the clients saw, and no other
        for doc in docs:  # balances: the document's total, its payment rows and what the clients saw agree
            rows = db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.document_id == doc.id, Payment.voided_at.is_(None)))
            assert doc.paid_total == rows == accepted[doc.id], (doc.number, doc.paid_total, rows, accepted[doc.id])
            assert doc.amount_due == doc.gross_total - doc.paid_total - doc.credited_total
        numbers = sorted(int(d.number.rsplit("-", 1)[1]) for d in docs)
        assert numbers == list(range(1, len(docs) + 1))  # gapless, none twice
        counter = db.session.scalar(select(NumberCounter.last_value).join(NumberSeries).where(
            NumberSeries.org_id == data["org_id"], NumberSeries.kind == "invoice"))
        assert counter == len(docs)
        issued_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.org_id == data["org_id"], AuditEvent.action == "document.issued"))
        assert issued_events == len(docs)
        for doc in docs:
            assert doc.pdf and hashlib.sha256(doc.pdf).hexdigest() == doc.pdf_sha256
        for doc in random.Random(1).sample(docs, min(5, len(docs))):
            assert doc.number in pdf_text(doc.pdf)
    assert_totals_match()  # the running totals the lists read, kept by triggers under concurrent writes
