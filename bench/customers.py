"""Customer list and search at 1,000 and 50,000 customers: median server time and SQL queries per request.

    make bench                       # SQLite (a temporary file)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench make bench   # PostgreSQL too

The schema is built with the real migrations (so PostgreSQL gets its trigram indexes). A second
organization of the same size sits in the same tables, so every query must really filter by tenant.
Times are measured in-process around the WSGI call (no network): 40 requests per page after 5 warm-ups.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("APP_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Contact, ContactFieldValue, CustomField, Organization, User  # noqa: E402
from webapp.services import orgs  # noqa: E402

SIZES = (1_000, 50_000)
RUNS, WARMUP = 40, 5
PAGES = {
    "list": ("/customers/", {}),
    "list, page 20": ("/customers/?page=20", {}),
    "search 'meier'": ("/customers/?q=meier", {}),
    "search, htmx partial": ("/customers/?q=gmbh", {"HX-Request": "true"}),
    "exact e-mail": ("/customers/?email=customer777@example.com", {}),
    "custom field filter": ("/customers/?cf_tier=gold", {}),
}
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas", "Lena", "Max"]
LAST = ["Meier", "Schmidt", "Dubois", "Rossi", "García", "Smith", "de Vries", "Huber", "Novak", "Berg"]
SUFFIX = ["GmbH", "Ltd", "SARL", "S.r.l.", "B.V.", "AG", "KG", ""]


def build(url: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        user = User(email="bench@example.com", name="Bench")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.flush()
        org = orgs.create_organization("Bench GmbH", "DE", user)
        other = Organization(name="Other", country="DE")
        db.session.add(other)
        db.session.flush()
        for org_id in (org.id, other.id):
            db.session.add(CustomField(org_id=org_id, key="tier", label="Tier", type="choice",
                                       options=["gold", "silver", "bronze"]))
        db.session.commit()
        return app, org.id, other.id, user.id


def seed(app, org_id: int, start: int, stop: int) -> None:
    rng = random.Random(start)
    with app.app_context():
        field_id = db.session.scalar(select(CustomField.id).where(CustomField.org_id == org_id))
        for chunk in range(start, stop, 5000):
            rows = []
            for i in range(chunk, min(chunk + 5000, stop)):
                c = Contact(org_id=org_id, person_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                            company_name=f"{rng.choice(LAST)} {rng.choice(SUFFIX)}".strip() if i % 3 else "",
                            email=f"customer{i}@example.com", phone=f"+49 30 {i:07d}", city="Berlin", country="DE")
                c.refresh_search()
                rows.append({k: getattr(c, k) for k in ("org_id", "person_name", "company_name", "email", "phone",
                                                        "city", "country", "search_text", "sort_name")})
            ids = db.session.scalars(insert(Contact).returning(Contact.id), rows).all()
            db.session.execute(insert(ContactFieldValue), [
                {"contact_id": cid, "field_id": field_id, "value_text": rng.choice(["gold", "silver", "bronze"])}
                for cid in ids])
            db.session.commit()
        db.session.commit()
        # Statistics and (on PostgreSQL) the visibility map, as autovacuum keeps them on a live database;
        # without it PostgreSQL cannot count with an index-only scan right after a bulk insert.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


def measure(app, user_id: int, org_id: int) -> dict[str, tuple[float, float, int]]:
    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
        engine = db.engine
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["org_id"] = session_id, True, org_id
    counter = {"n": 0}

    def count(*args, **kwargs):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    results = {}
    try:
        for name, (url, headers) in PAGES.items():
            times, queries = [], set()
            for i in range(WARMUP + RUNS):
                counter["n"] = 0
                t0 = time.perf_counter()
                response = client.get(url, headers=headers)
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, (url, response.status_code)
                if i >= WARMUP:
                    times.append(elapsed * 1000)
                    queries.add(counter["n"])
            times.sort()
            results[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1], max(queries))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return results


def run(label: str, url: str) -> bool:
    app, org_id, other_id, user_id = build(url)
    table, seeded = {}, 0
    for size in SIZES:
        seed(app, org_id, seeded, size)
        seed(app, other_id, seeded + 10_000_000, size + 10_000_000)
        seeded = size
        table[size] = measure(app, user_id, org_id)
    print(f"\n## Customer list and search, {label} (two organizations of this size each)\n")
    print("| page | " + " | ".join(f"{s:,}: median ms | p95 ms | queries" for s in SIZES) + " |")
    print("|---|" + "---:|---:|---:|" * len(SIZES))
    constant = True
    for name in PAGES:
        cells = [f"{table[s][name][0]:.1f} | {table[s][name][1]:.1f} | {table[s][name][2]}" for s in SIZES]
        constant &= table[SIZES[0]][name][2] == table[SIZES[-1]][name][2]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nQueries per request constant from {SIZES[0]:,} to {SIZES[-1]:,} customers: {'yes' if constant else 'NO'}")
    return constant


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run("SQLite", f"sqlite:///{tmp}/bench.sqlite")
    pg = os.environ.get("BENCH_DATABASE_URL", "").replace("postgresql://", "postgresql+psycopg://")
    if pg:
        ok &= run("PostgreSQL", pg)
    else:
        print("\n(BENCH_DATABASE_URL not set: PostgreSQL not measured)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
