"""The floor for the throughput comparison: a minimal Flask app that answers the invoice list's number of
bytes from one query (the newest 50 invoices of one organization), with no templates, sessions or checks.

    BENCH_ORG_ID=1 BENCH_PAGE_BYTES=30000 DATABASE_URL=... gunicorn --workers 2 minimal_app:app
"""
import os

from flask import Flask, Response
from sqlalchemy import create_engine, text

DATABASE_URL = os.environ["DATABASE_URL"]
ORG_ID = int(os.environ["BENCH_ORG_ID"])
PAGE_BYTES = int(os.environ["BENCH_PAGE_BYTES"])
QUERY = text("SELECT id, number, buyer_name, issue_date, due_date, gross_total, paid_total, credited_total "
             "FROM document WHERE org_id = :org AND kind = 'invoice' ORDER BY id DESC LIMIT 50")

app = Flask(__name__)
engine = create_engine(DATABASE_URL)


@app.get("/")
def invoices():
    with engine.connect() as conn:
        rows = conn.execute(QUERY, {"org": ORG_ID}).all()
    body = "".join(f"<tr><td>{r.number}</td><td>{r.buyer_name}</td><td>{r.issue_date}</td><td>{r.due_date}</td>"
                   f"<td>{r.gross_total - r.paid_total - r.credited_total}</td></tr>\n" for r in rows).encode()
    return Response((body + b" " * PAGE_BYTES)[:PAGE_BYTES], mimetype="text/html")
