"""Customer list and search at 1,000 and 50,000 customers: median server time and SQL queries per request.

    make bench                       # SQLite (a temporary file)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench make bench   # PostgreSQL too

The schema is built with the real migrations (so PostgreSQL gets its trigram indexes). A second
organization of the same size sits in the same tables, so every query must really filter by tenant.
Times are measured in-process around the WSGI call (no network): 40 requests per page after 5 warm-ups.
"""
from __future__ import annotations

import random
import sys

from common import analyze, build, client_for, main, print_table, timed
from sqlalchemy import insert, select

from webapp.extensions import db
from webapp.models import Contact, ContactFieldValue, CustomField, Organization

SIZES = (1_000, 50_000)
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


def setup(url: str):
    app, org_id, user_id = build(url)
    with app.app_context():
        other = Organization(name="Other", country="DE")
        db.session.add(other)
        db.session.flush()
        for oid in (org_id, other.id):
            db.session.add(CustomField(org_id=oid, key="tier", label="Tier", type="choice",
                                       options=["gold", "silver", "bronze"]))
        db.session.commit()
        return app, org_id, other.id, user_id


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


def measure(app, user_id: int, org_id: int) -> dict[str, tuple[float, float, int]]:
    client = client_for(app, user_id, org_id)
    return {name: timed(app, lambda i, url=url, headers=headers: client.get(url, headers=headers))
            for name, (url, headers) in PAGES.items()}


def run(label: str, url: str) -> bool:
    app, org_id, other_id, user_id = setup(url)
    table, seeded = {}, 0
    for size in SIZES:
        seed(app, org_id, seeded, size)
        seed(app, other_id, seeded + 10_000_000, size + 10_000_000)
        seeded = size
        analyze(app)
        table[size] = measure(app, user_id, org_id)
    rows = {name: {size: table[size][name] for size in SIZES} for name in PAGES}
    constant = print_table(f"Customer list and search, {label} (two organizations of this size each)", rows, SIZES)
    print(f"\nQueries per request constant from {SIZES[0]:,} to {SIZES[-1]:,} customers: {'yes' if constant else 'NO'}")
    return constant


if __name__ == "__main__":
    sys.exit(main(run))
