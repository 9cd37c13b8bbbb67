"""The benchmark: one table of server times, SQL query counts, throughput, PDF times and memory, on SQLite
and PostgreSQL, with a generated data set of 100,000 invoices, 5,000 customers and 300,000 payments.

    make bench          # SQLite, and PostgreSQL at BENCH_DATABASE_URL (created if missing); writes bench/RESULTS.md

Every page is measured twice, at 1,000 and at 100,000 invoices (customers and payments in proportion), so
the query counts show whether they grow with the data. A second organization holds another 10 % of data
in the same tables, so every query really filters by tenant. Server times are in-process (the WSGI call,
no network): 40 requests after 5 warm-ups, median and 95th percentile. Throughput is measured with wrk on
loopback against gunicorn with 2 workers, beside a minimal Flask app that answers the same number of
bytes from one query, in the same run. Memory is the peak RSS (VmHWM) of the gunicorn workers after they
rendered 200 PDFs.
"""
from __future__ import annotations

import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from common import ROOT, QueryCounter, analyze, build, client_for, timed, timed_side_by_side

import pdf as pdf_bench
from sqlalchemy import create_engine, func, insert, select, text

from webapp.extensions import db
from webapp.models import Contact, Document, DocumentEInvoice, DocumentLine, Organization, Payment, User
from webapp.models.totals import create_triggers, drop_triggers
from webapp.services import calculation, drafts, issuing, locks, payments

SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", "1000,100000").split(","))  # invoices; customers are 1 in 20, payments 3 per invoice on average
OTHER_SHARE = 10  # the second organization holds a tenth as much
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas", "Lena", "Max"]
LAST = ["Meier", "Schmidt", "Dubois", "Rossi", "García", "Smith", "de Vries", "Huber", "Novak", "Berg"]
SUFFIX = ["GmbH", "Ltd", "SARL", "S.r.l.", "B.V.", "AG", "KG", ""]
PDF_COUNT = 200
WRK_SECONDS = 10


# --- the data set -----------------------------------------------------------------------------------------

def seed_customers(org_id: int, start: int, stop: int, rng: random.Random) -> list[tuple[int, str]]:
    if start >= stop:
        return []
    rows = []
    for i in range(start, stop):
        c = Contact(org_id=org_id, person_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    company_name=f"{rng.choice(LAST)} {rng.choice(SUFFIX)}".strip() if i % 3 else "",
                    email=f"customer{i}@example.com", phone=f"+49 30 {i:07d}", street=f"Weg {i}",
                    postal_code="10115", city="Berlin", country="DE", locale="de_DE")
        c.refresh_search()
        rows.append({k: getattr(c, k) for k in ("org_id", "person_name", "company_name", "email", "phone", "street",
                                                "postal_code", "city", "country", "locale", "search_text",
                                                "sort_name")})
    ids = db.session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows).all()
    db.session.commit()
    return [(cid, row["company_name"] or row["person_name"]) for cid, row in zip(ids, rows)]


def seed_invoices(org_id: int, user_id: int, customers: list[tuple[int, str]], start: int, stop: int,
                  rng: random.Random) -> None:
    """Issued invoices over the last three years with two lines each; 0, 2, 3, 4 or 6 payments each (3 on
    average), most paid in full, some in part, some not at all (and so some overdue)."""
    today = date.today()
    for chunk in range(start, stop, 5_000):
        docs = []
        for i in range(chunk, min(chunk + 5_000, stop)):
            cid, name = customers[rng.randrange(len(customers))]
            issued_on = today - timedelta(days=(stop - i) * 1095 // max(stop, 1))
            net = rng.randint(1_000, 500_000)
            tax = net * 19 // 100
            number = f"INV-{issued_on.year}-{org_id}{i:06d}"
            docs.append({"org_id": org_id, "kind": "invoice", "flow": "sales", "status": "issued", "number": number,
                         "contact_id": cid, "currency": "EUR", "issue_date": issued_on,
                         "due_date": issued_on + timedelta(days=14), "payment_terms_days": 14, "buyer_name": name,
                         "line_total": net, "net_total": net, "tax_total": tax, "gross_total": net + tax,
                         "tax_breakdown": [{"category": "S", "rate": "19", "base": net, "tax": tax, "note": ""}],
                         "seller": {"name": "Bench GmbH"}, "buyer": {"name": name}, "version": 1,
                         "search_text": f"{number} {name}".lower(), "created_by_id": user_id,
                         "issued_at": datetime.combine(issued_on, datetime.min.time(), timezone.utc),
                         "public_token": f"bench-{org_id}-{i}"})
        ids = db.session.scalars(insert(Document).returning(Document.id, sort_by_parameter_order=True), docs).all()
        lines, pays, paid = [], [], {}
        for doc_id, doc in zip(ids, docs):
            half = doc["net_total"] // 2
            for position, amount in ((0, half), (1, doc["net_total"] - half)):
                lines.append({"document_id": doc_id, "position": position, "description": f"Item {position + 1}",
                              "quantity": Decimal("1"), "unit_price": Decimal(amount) / 100, "unit": "piece",
                              "tax_percent": Decimal("19"), "tax_category": "S", "net_amount": amount})
            count = rng.choice((0, 2, 3, 4, 6))
            if not count:
                continue
            total = doc["gross_total"] if rng.random() < 0.75 else doc["gross_total"] // 2
            parts = [total // count] * count
            parts[0] += total - sum(parts)
            for j, amount in enumerate(parts):
                pays.append({"org_id": org_id, "document_id": doc_id, "amount": amount, "currency": "EUR",
                             "paid_on": min(doc["issue_date"] + timedelta(days=3 + 7 * j), today),
                             "method": "bank_transfer", "reference": "", "note": "", "created_by_id": user_id,
                             "idempotency_key": f"bench-{doc_id}-{j}"})
            paid[doc_id] = total
        db.session.execute(insert(DocumentLine), lines)
        if pays:
            db.session.execute(insert(Payment), pays)
        for doc_id, total in paid.items():  # the balance column the app keeps beside the payment rows
            db.session.execute(Document.__table__.update().where(Document.id == doc_id).values(paid_total=total))
        db.session.commit()


class DataSet:
    """Grows both organizations to each size in turn; keeps the customers for the next step."""

    def __init__(self, app, org_id: int, other_id: int, user_id: int):
        self.app, self.orgs, self.user_id = app, {org_id: [], other_id: []}, user_id
        self.sizes = {org_id: 0, other_id: 0}
        self.main = org_id

    def grow(self, size: int) -> None:
        """Bulk-insert up to ``size``. The running totals' triggers are off meanwhile and the totals are then
        filled from the documents, as migration 0009 does on an existing database (kept on, 5,000 inserts per
        transaction would leave PostgreSQL's totals table bloated with dead row versions no live database
        accumulates)."""
        with self.app.app_context():
            with db.engine.begin() as conn:
                drop_triggers(conn)
                conn.execute(text("DELETE FROM document_totals"))
                conn.execute(text("DELETE FROM payment_totals"))  # filled again from the payments, as 0013 does
            self._insert(size)
            with db.engine.begin() as conn:
                create_triggers(conn)

    def _insert(self, size: int) -> None:
        for org_id in self.orgs:
            target = size if org_id == self.main else size // OTHER_SHARE
            rng = random.Random(org_id * 1_000_003 + target)
            customers = self.orgs[org_id]
            customers += seed_customers(org_id, len(customers), max(target // 20, 10), rng)
            seed_invoices(org_id, self.user_id, customers, self.sizes[org_id], target, rng)
            self.sizes[org_id] = target


# --- what is measured -------------------------------------------------------------------------------------

def real_invoice(app, org_id: int, user_id: int) -> tuple[int, str]:
    """An invoice issued through the service (stored PDF), with three payments: the invoice page's subject."""
    with app.app_context():
        org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
        contact = db.session.scalar(select(Contact).where(Contact.org_id == org_id).order_by(Contact.id).limit(1))
        doc = drafts.new_draft(org, user, contact)
        for i in range(8):
            line = drafts.add_line(org, doc)
            drafts.update_line(doc, line, {"description": f"Consulting, part {i + 1}", "quantity": Decimal(i + 1),
                                              "unit_price": Decimal("95.50")})
        issuing.issue(org, user, doc)
        db.session.commit()
        for j in range(3):
            locked = locks.lock_document(org, doc.id)
            payments.record(org, user, locked, payments.PaymentInput(
                amount=10_000, paid_on=date.today(), method="bank_transfer", reference=f"R{j}", note="", key=f"real-{doc.id}-{j}"))
            db.session.commit()
        return doc.id, doc.public_token


def draft_with_lines(app, org_id: int, user_id: int, count: int) -> int:
    with app.app_context():
        org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
        contact = db.session.scalar(select(Contact).where(Contact.org_id == org_id).order_by(Contact.id).limit(1))
        doc = drafts.new_draft(org, user, contact)
        for i in range(count):
            line = drafts.add_line(org, doc)
            drafts.update_line(doc, line, {"description": f"Line {i}", "quantity": Decimal(i + 1),
                                              "unit_price": Decimal("12.34")})
        db.session.commit()
        return doc.id


def long_draft(app, org_id: int, user_id: int, count: int, automatic: bool = False) -> int:
    """A draft with ``count`` lines, inserted at once and calculated once (building it line by line through the
    editor would cost the square of its length). ``automatic``: with automatic VAT, half its lines goods, half
    services (every change decides every line again: services/automatic_tax.py)."""
    with app.app_context():
        org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
        contact = db.session.scalar(select(Contact).where(Contact.org_id == org_id).order_by(Contact.id).limit(1))
        doc = drafts.new_draft(org, user, contact)
        doc.automatic_tax = automatic
        rate = None if automatic else calculation.default_tax_rate(org)
        for i in range(count):
            line = DocumentLine(document_id=doc.id, position=i, description=f"Line {i}", quantity=Decimal(i % 9 + 1),
                                unit="piece", unit_price=Decimal("12.34"),
                                tax_code=("P00000000" if i % 2 else "S10000000") if automatic else "")
            calculation.apply_rate(line, rate)
            doc.lines.append(line)
        calculation.recalculate(doc)
        db.session.commit()
        return doc.id


# lines (a draft holds at most 1,000, and the measured add is the last one), and whether its VAT is automatic
LONG_DRAFTS = ((10, False), (100, False), (999, False), (100, True), (999, True))


def measure_long_drafts(app, client, org_id: int, user_id: int, runs: int = 30, warmup: int = 10) -> dict:
    """The editor on drafts of 10, 100 and 1,000 lines: adding a line and changing one (the htmx requests the
    editor sends), median time and response bytes. Each added line is removed again (not timed), so every add
    meets the same length."""
    version_re = re.compile(rb'id="doc-version" name="current_version" value="(\d+)"')
    out = {}
    for count, automatic in LONG_DRAFTS:
        doc_id = long_draft(app, org_id, user_id, count, automatic)
        with app.app_context():
            line_ids = [line.id for line in db.session.get(Document, doc_id).lines]
        state = {"version": version_of(app, doc_id)}
        added, changed = [], []

        def post(url, data):
            response = client.post(url, headers={"HX-Request": "true"}, data={"current_version": state["version"], **data})
            assert response.status_code == 200, (url, response.status_code, response.data[:300])
            state["version"] = int(version_re.search(response.data).group(1))
            return response

        with QueryCounter(app) as counter:
            for i in range(warmup + runs):
                counter.count = 0
                t0 = time.perf_counter()
                response = post(f"/invoices/{doc_id}/lines", {})
                elapsed = (time.perf_counter() - t0) * 1000
                new_id = max(int(x) for x in re.findall(rb'id="line-(\d+)"', response.data))
                if i >= warmup:
                    added.append((elapsed, len(response.data), counter.count))
                post(f"/invoices/{doc_id}/lines/{new_id}/delete", {})
                line_id = line_ids[len(line_ids) // 2]
                counter.count = 0
                t0 = time.perf_counter()
                response = post(f"/invoices/{doc_id}/lines/{line_id}", {
                    f"l{line_id}-description": f"Changed {i}", f"l{line_id}-quantity": str(i % 7 + 1),
                    f"l{line_id}-unit": "piece", f"l{line_id}-unit_price": "9.99",
                    **({f"l{line_id}-tax_rate_id": "0"} if automatic else {})})  # the browser sends "Automatic"
                if i >= warmup:
                    changed.append(((time.perf_counter() - t0) * 1000, len(response.data), counter.count))
        shown = count + (1 if count == 999 else 0)
        out[f"{shown:,}" + (" (automatic VAT)" if automatic else "")] = {
            name: (statistics.median(t for t, _, _ in rows), statistics.median(b for _, b, _ in rows),
                   max(q for _, _, q in rows))
            for name, rows in (("add", added), ("change", changed))}
    return out


def version_of(app, doc_id: int) -> int:
    with app.app_context():
        return db.session.get(Document, doc_id).version


def measure_issue(app, client, org_id: int, user_id: int) -> dict:
    """Issuing a 3-line invoice with and without the Factur-X e-invoice (built, checked by the official rules,
    embedded in a PDF/A-3b), taken in turns; the organization's setting switched (untimed) before each."""
    results = {}
    plain, facturx = "issue an invoice (3 lines, PDF made and stored; Factur-X off)", \
        "issue an invoice (3 lines, Factur-X: XML checked by EN 16931, PDF/A-3b)"
    drafts = {name: [draft_with_lines(app, org_id, user_id, 3) for _ in range(45)] for name in (plain, facturx)}
    versions = {d: version_of(app, d) for ids in drafts.values() for d in ids}

    def facturx_setting(name):
        with app.app_context():
            db.session.get(Organization, org_id).facturx_enabled = name == facturx
            db.session.commit()

    results.update(timed_side_by_side(app, {
        name: (lambda i, ids=ids: client.post(f"/invoices/{ids[i]}/issue", data={"current_version": versions[ids[i]]}))
        for name, ids in drafts.items()}, before=facturx_setting))
    facturx_setting(facturx)
    with app.app_context():
        every = [d for ids in drafts.values() for d in ids]
        numbered = db.session.scalar(select(func.count()).where(Document.id.in_(every), Document.number.is_not(None)))
        stored = db.session.scalar(select(func.count()).select_from(DocumentEInvoice)
                                   .where(DocumentEInvoice.document_id.in_(drafts[facturx])))
    assert numbered == len(every), f"only {numbered} of {len(every)} drafts were issued"
    assert stored == len(drafts[facturx]), f"only {stored} Factur-X XMLs stored"
    return results


def measure_pages(app, client, org_id: int, user_id: int, invoice_id: int, token: str) -> dict:
    with app.app_context():
        customer_id = db.session.scalar(select(Contact.id).where(Contact.org_id == org_id).order_by(Contact.id).limit(1))
    pages = {
        "dashboard": "/",
        "invoice list": "/invoices/",
        "invoice list, open, page 10": "/invoices/?status=open&page=10",
        "invoice list, overdue": "/invoices/?status=overdue",
        "invoice search (customer name)": "/invoices/?q=meier",
        "customer list": "/customers/",
        "customer search": "/customers/?q=meier",
        "customer page (balances, invoices)": f"/customers/{customer_id}",
        "invoice page (3 payments)": f"/invoices/{invoice_id}",
        "payments list": "/payments/",
        "payments list, by method, page 10": "/payments/?method=bank_transfer&page=10",
        "payments list, one customer": f"/payments/?customer={customer_id}",
        "customer's invoice page (/p/…)": f"/p/{token}",
    }
    results = {name: timed(app, lambda i, u=url: client.get(u)) for name, url in pages.items()}

    # a line change in a 50-line draft: the htmx request the editor sends
    doc_id = draft_with_lines(app, org_id, user_id, 50)
    with app.app_context():
        line_ids = [line.id for line in db.session.get(Document, doc_id).lines]
    state = {"version": version_of(app, doc_id)}

    def change_line(i):
        line_id = line_ids[i % len(line_ids)]
        response = client.post(f"/invoices/{doc_id}/lines/{line_id}", headers={"HX-Request": "true"}, data={
            "current_version": state["version"], f"l{line_id}-description": f"Changed {i}",
            f"l{line_id}-quantity": str(i % 7 + 1), f"l{line_id}-unit": "piece", f"l{line_id}-unit_price": "9.99"})
        state["version"] = int(re.search(rb'name="current_version" value="(\d+)"', response.data).group(1))
        return response

    results["editor: line change (50-line draft)"] = timed(app, change_line)

    results.update(measure_issue(app, client, org_id, user_id))

    def pay(i):
        return client.post(f"/invoices/{invoice_id}/payments/new", data={
            "kind": "payment", "amount": "1.00", "paid_on": date.today().isoformat(), "method": "bank_transfer",
            "reference": "", "note": "", "key": f"bench-pay-{time.time_ns()}"})

    results["record a payment"] = timed(app, pay)

    results.update(measure_api(app, org_id, user_id, invoice_id, customer_id))
    results.update(measure_matching(app, org_id, user_id))

    # PDFs rendered on request (a draft's; an issued document's stored bytes are served unchanged)
    for name, lines, runs in (("PDF, one page (3 lines)", 3, 20), ("PDF, 500 lines", 500, 5)):
        draft = draft_with_lines(app, org_id, user_id, lines)
        results[name] = timed(app, lambda i, d=draft: client.get(f"/invoices/{d}/pdf"), runs=runs, warmup=1)
    return results


def api_token(app, org_id: int, user_id: int) -> str:
    """A new owner token of the organization."""
    from webapp.services import api_tokens

    with app.app_context():
        _, token = api_tokens.create(db.session.get(Organization, org_id), db.session.get(User, user_id),
                                     f"bench {time.time_ns()}", "owner", None)
        db.session.commit()
    return token


def measure_api(app, org_id: int, user_id: int, invoice_id: int, customer_id: int) -> dict:
    """The JSON API's rows: the same use cases as the pages, with a token instead of a session."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(app, org_id, user_id)}"}
    items = [{"description": f"Item {n}", "quantity": "2", "unit_extratax_amount": 1250 + n, "tax_rate": "19"}
             for n in range(3)]
    return {
        "API: invoice list (limit 50)": timed(app, lambda i: client.get("/api/v1/invoices?limit=50", headers=headers)),
        "API: one invoice (3 payments)": timed(app, lambda i: client.get(f"/api/v1/invoices/{invoice_id}",
                                                                         headers=headers)),
        "API: create with 3 items and finalize (PDF made and stored)": timed(app, lambda i: client.post(
            "/api/v1/invoices", headers=headers, json={"customer_id": str(customer_id), "status": "issued",
                                                       "items": items}), runs=30),
        "API: attach a payment": timed(app, lambda i: client.post(
            f"/api/v1/invoices/{invoice_id}/attach_payment", headers=headers,
            json={"transaction_data": {"amount": 100, "reference": f"bench-{i}"}})),
    }


class Done:
    status_code = 200


STATEMENT_LINES = 10_000


def measure_matching(app, org_id: int, user_id: int) -> dict:
    """Importing a statement of ``STATEMENT_LINES`` entries and proposing a match for each (services/bank.store):
    a third name an open invoice's number, a third pay an amount due without a number, a third match nothing;
    each run rolled back (nothing stays)."""
    from webapp.services import bank, bank_files

    with app.app_context():
        rows = db.session.execute(select(Document.number, Document.amount_due, Document.buyer_name).where(
            Document.org_id == org_id, Document.kind == "invoice", Document.status == "issued",
            Document.amount_due > 0).order_by(Document.id).limit(STATEMENT_LINES)).all()
    lines = []
    for n in range(STATEMENT_LINES):
        number, due, name = rows[n % len(rows)]
        amount = Decimal(due) / 100
        text = (f"Rechnung {number}", "Zahlung", f"Miete {n}")[n % 3]
        lines.append(bank_files.BankLine(booked_on=date.today(), amount=amount if n % 3 < 2 else Decimal("12.34"),
                                         currency="EUR", counterparty_name=name or "", remittance=text,
                                         reference=f"bench-{n}"))
    statement = bank_files.Statement(format="camt053", account_iban="DE89370400440532013000", currency="EUR",
                                     lines=lines)

    def run(i):
        with app.app_context():
            org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
            done = bank.store(org, user, "bench.xml", statement)
            assert len(done.new) == STATEMENT_LINES
            db.session.rollback()
        return Done()

    return {f"bank: import and match a {STATEMENT_LINES:,}-entry statement": timed(app, run, runs=5, warmup=1)}


def chromium_beside(app, org_id: int, user_id: int, tmp: str) -> dict[str, str]:
    """The same invoices' HTML printed by Chromium, for the PDF rows' names."""
    from webapp.services import pdf

    out = {}
    for name, lines, runs in (("PDF, one page (3 lines)", 3, 10), ("PDF, 500 lines", 500, 3)):
        draft = draft_with_lines(app, org_id, user_id, lines)
        with app.test_request_context():
            html = pdf.render_document_html(db.session.get(Document, draft), db.session.get(Organization, org_id))
            times = pdf_bench.chromium(html, Path(app.static_folder) / pdf.STYLESHEET, tmp, runs)
        out[name] = (f"Chromium beside: {times[0]:,.0f} ms new process, {times[1]:,.0f} ms warm, {times[2]} pages"
                     if times else "Chromium not installed")
    return out


# --- gunicorn and wrk ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn --workers 2`` serving ``target`` on a free loopback port."""

    def __init__(self, target: str, env: dict, log: Path):
        self.port = free_port()
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", "120", "--bind", f"127.0.0.1:{self.port}",
             target], cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

    def workers(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def wrk(url: str, headers: dict[str, str]) -> tuple[float, float, int]:
    """(requests per second, median latency ms, non-2xx answers) of wrk, 2 threads and 8 connections."""
    args = ["wrk", "-t2", "-c8", f"-d{WRK_SECONDS}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=WRK_SECONDS + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p50.group(1)) * scale, int(bad.group(1)) if bad else 0


def http_get(url: str, cookie: str, token: str = "") -> tuple[int, bytes]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def served(app, url: str, org_id: int, user_id: int, tmp: str) -> dict:
    """Throughput of the invoice list beside a minimal endpoint, then peak worker memory after 200 PDFs."""
    client = client_for(app, user_id, org_id)
    cookie = f"session={client.get_cookie('session').value}"
    env = {"APP_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": app.config["SECRET_KEY"],
           "RATELIMIT_ENABLED": "0", "BASE_URL": "http://127.0.0.1", "MAIL_FILE_DIR": f"{tmp}/mail",
           "ATTACHMENT_DIR": f"{tmp}/attachments"}
    results = {}
    server = Gunicorn("wsgi:app", env, Path(tmp) / "gunicorn.log")
    try:
        status, body = http_get(server.url + "/invoices/", cookie)
        assert status == 200 and b"INV-" in body, (status, body[:300])
        results["list"] = wrk(server.url + "/invoices/", {"Cookie": cookie})
        token = api_token(app, org_id, user_id)
        status, body_api = http_get(server.url + "/api/v1/invoices?limit=50", "", token)
        assert status == 200 and body_api.startswith(b'{"data"'), (status, body_api[:300])
        results["api list"] = wrk(server.url + "/api/v1/invoices?limit=50", {"Authorization": f"Bearer {token}"})
        results["api_bytes"] = len(body_api)
        status, after = http_get(server.url + "/invoices/", cookie)  # wrk counts redirects as answers
        assert status == 200 and len(after) == len(body), (status, len(after))
        page_bytes = len(body)
        draft = draft_with_lines(app, org_id, user_id, 3)
        before = max(memory_kb(pid, "VmRSS") for pid in server.workers())
        errors = []

        def render(n):
            for _ in range(n):
                status, data = http_get(f"{server.url}/invoices/{draft}/pdf", cookie)
                if status != 200 or not data.startswith(b"%PDF"):
                    errors.append(status)

        threads = [threading.Thread(target=render, args=(PDF_COUNT // 2,)) for _ in range(2)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        assert not errors, errors[:5]
        peak = max(memory_kb(pid, "VmHWM") for pid in server.workers())
        results["memory"] = (before / 1024, peak / 1024, PDF_COUNT / elapsed)
    finally:
        server.stop()
    minimal = Gunicorn("minimal_app:app", {**env, "PYTHONPATH": str(ROOT / "bench"), "BENCH_ORG_ID": str(org_id),
                                            "BENCH_PAGE_BYTES": str(page_bytes)}, Path(tmp) / "minimal.log")
    try:
        status, body = http_get(minimal.url + "/", "")
        assert status == 200 and len(body) == page_bytes, (status, len(body), page_bytes)
        results["minimal"] = wrk(minimal.url + "/", {})
    finally:
        minimal.stop()
    results["page_bytes"] = page_bytes
    return results


# --- one run per database, one table ----------------------------------------------------------------------

def ensure_postgres(url: str) -> str | None:
    """The URL if PostgreSQL answers (the database is created when missing), else None."""
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - reported in the table's notes
        print(f"PostgreSQL at {url} is not reachable ({type(exc).__name__}); measured on SQLite only.")
        return None
    finally:
        admin.dispose()
    return url


def run_database(label: str, url: str, tmp: str) -> dict:
    print(f"\n== {label} ==", flush=True)
    app, org_id, user_id = build(url)
    with app.app_context():
        org = db.session.get(Organization, org_id)
        org.legal_name, org.street, org.postal_code, org.city = "Bench GmbH", "Hauptstr. 1", "10115", "Berlin"
        org.vat_id, org.iban, org.bic = "DE136695976", "DE89370400440532013000", "COBADEFFXXX"
        other = Organization(name="Other GmbH", country="DE")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    data = DataSet(app, org_id, other_id, user_id)
    client = client_for(app, user_id, org_id)
    by_size = {}
    for size in SIZES:
        t0 = time.perf_counter()
        data.grow(size)
        analyze(app)
        print(f"{size:,} invoices seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        invoice_id, token = real_invoice(app, org_id, user_id)
        by_size[size] = measure_pages(app, client, org_id, user_id, invoice_id, token)
    with app.app_context():
        counts = {name: db.session.scalar(text(f"SELECT count(*) FROM {table} WHERE org_id = :o"), {"o": org_id})
                  for name, table in (("invoices", "document"), ("customers", "contact"), ("payments", "payment"))}
    print(f"data set: {counts}", flush=True)
    print("long drafts in the editor", flush=True)
    long_drafts = measure_long_drafts(app, client, org_id, user_id)
    served_results = served(app, url, org_id, user_id, tmp) if shutil.which("wrk") else None
    with app.app_context():
        version = db.session.scalar(text("SELECT version()" if url.startswith("postgresql") else
                                         "SELECT 'SQLite ' || sqlite_version()"))
    return ({"pages": by_size, "counts": counts, "served": served_results, "version": version.split(" on ")[0],
             "long_drafts": long_drafts},
            (app, org_id, user_id))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) / 1024 / 1024
    import weasyprint

    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}")


def table(results: dict, chromium: dict[str, str], started: datetime) -> str:
    labels = list(results)
    big, small = SIZES[-1], SIZES[0]
    head = f"| measurement at {big:,} invoices | " + " | ".join(
        f"{label} median | {label} p95" for label in labels) + f" | SQL queries ({small:,} → {big:,} invoices) |"
    out = [head, "|---|" + "---:|---:|" * len(labels) + "---|"]
    first = results[labels[0]]["pages"]
    worst = 0.0
    for name in first[big]:
        cells = []
        queries = []
        shown = f"{name} ({chromium[name]})" if name in chromium else name
        for label in labels:
            median, p95, q = results[label]["pages"][big][name]
            cells.append(f"{median:.1f} ms | {p95:.1f} ms")
            queries.append(f"{results[label]['pages'][small][name][2]} → {q}")
            if not name.startswith(("issue", "PDF", "API: create")):
                worst = max(worst, median)
        same = len(set(queries)) == 1
        out.append(f"| {shown} | " + " | ".join(cells) + " | " +
                   (queries[0] if same else ", ".join(f"{lb}: {qs}" for lb, qs in zip(labels, queries))) + " |")
    if all(results[label]["served"] for label in labels):
        rows = {
            "invoice list, gunicorn 2 workers (wrk -t2 -c8, loopback)": "list",
            "API: invoice list (limit 50), gunicorn 2 workers (same wrk)": "api list",
            "minimal Flask endpoint, same bytes from one query (same setup)": "minimal",
        }
        for name, key in rows.items():
            cells = []
            for label in labels:
                rps, p50, bad = results[label]["served"][key]
                cells.append(f"{rps:,.0f} req/s | {p50:.1f} ms median latency" + (f", {bad} non-2xx" if bad else ""))
            out.append(f"| {name} | " + " | ".join(cells) + " | – |")
        cells = []
        for label in labels:
            before, peak, rate = results[label]["served"]["memory"]
            cells.append(f"{peak:.0f} MB peak RSS | {before:.0f} MB before; {rate:.1f} PDFs/s")
        out.append(f"| gunicorn worker after {PDF_COUNT} PDFs (one page, drafts rendered on request) | "
                   + " | ".join(cells) + " | – |")
    out += ["", "The editor on a long draft (htmx requests, in-process; median of 30; each added line removed again "
            "untimed, so every add meets the same length):", "",
            "| lines in the draft | " + " | ".join(
                f"{label}: add a line | bytes | queries | {label}: change a line | bytes | queries" for label in labels)
            + " |", "|---:|" + "---:|---:|---:|---:|---:|---:|" * len(labels)]
    for count in results[labels[0]]["long_drafts"]:
        cells = []
        for label in labels:
            row = results[label]["long_drafts"][count]
            cells.append(" | ".join(f"{row[op][0]:.1f} ms | {row[op][1]:,.0f} | {row[op][2]}" for op in ("add", "change")))
        out.append(f"| {count} | " + " | ".join(cells) + " |")
    notes = [
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}.",
        "Databases: " + "; ".join(f"{label}: {results[label]['version']}" for label in labels) + ".",
        "Data set per database: " + "; ".join(
            f"{label}: {r['counts']['invoices']:,} invoices, {r['counts']['customers']:,} customers, "
            f"{r['counts']['payments']:,} payments" for label, r in results.items())
        + " in the measured organization, plus a second organization with a tenth as much in the same tables.",
        f"Slowest page median (all but issuing and PDFs): {worst:.1f} ms.",
    ]
    if all(results[label]["served"] for label in labels):
        page_bytes = results[labels[0]]["served"]["page_bytes"]
        notes.append(f"The invoice list page is {page_bytes:,} bytes (the API's page of 50: "
                     f"{results[labels[0]]['served']['api_bytes']:,} bytes); wrk and gunicorn share the machine's "
                     "cores.")
    return "\n".join(out + notes)


def main() -> int:
    started = datetime.now(timezone.utc)
    urls = [("SQLite", None)]
    pg = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if pg:
        pg_url = ensure_postgres(pg)
        if pg_url:
            urls.append(("PostgreSQL", pg_url))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, url in urls:
            results[label], app_ids = run_database(label, url or f"sqlite:///{tmp}/bench.sqlite", tmp)
            if label == "SQLite":
                print("\n== PDF: Chromium beside WeasyPrint ==", flush=True)
                chromium = chromium_beside(*app_ids, tmp)
    report = table(results, chromium, started)
    print("\n" + report)
    (ROOT / "bench" / "RESULTS.md").write_text(
        "# Benchmark results\n\nWritten by `make bench` (bench/run.py); numbers from the run below, "
        "medians and 95th percentiles of in-process server time unless the row says otherwise.\n\n" + report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
