"""Shared benchmark helpers: an app on a fresh database built by the migrations, a logged-in client,
and timing of requests (median, 95th percentile, SQL queries per request)."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402
from webapp.services import orgs  # noqa: E402

RUNS, WARMUP = 40, 5


def build(url: str):
    """An app on an empty database (migrations), with one organization; returns (app, org_id, user_id)."""
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
        db.session.commit()
        return app, org.id, user.id


def analyze(app) -> None:
    """Statistics and (PostgreSQL) the visibility map, as autovacuum keeps them on a live database."""
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


def client_for(app, user_id: int, org_id: int):
    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["org_id"] = session_id, True, org_id
    return client


class QueryCounter:
    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


def timed_side_by_side(app, calls: dict, before=None, runs: int = RUNS, warmup: int = WARMUP) -> dict:
    """Like ``timed`` for several calls at once, taken in turns (a, b, a, b ...) so that the machine's noise falls
    on each alike; ``before(name)`` runs untimed before each call. Returns {name: (median, p95, max queries)}."""
    times: dict = {name: [] for name in calls}
    queries = dict.fromkeys(calls, 0)
    with QueryCounter(app) as counter:
        for i in range(warmup + runs):
            for name, call in calls.items():
                if before is not None:
                    before(name)
                counter.count = 0
                t0 = time.perf_counter()
                response = call(i)
                elapsed = (time.perf_counter() - t0) * 1000
                assert response.status_code < 400, (name, response.status_code, response.data[:300])
                if i >= warmup:
                    times[name].append(elapsed)
                    queries[name] = max(queries[name], counter.count)
    out = {}
    for name, values in times.items():
        values.sort()
        out[name] = (statistics.median(values), values[max(int(len(values) * 0.95) - 1, 0)], queries[name])
    return out


def timed(app, call, runs: int = RUNS, warmup: int = WARMUP) -> tuple[float, float, int]:
    """Run ``call(i)`` (returns a response) warmup + runs times: (median ms, p95 ms, max queries)."""
    times, queries = [], 0
    with QueryCounter(app) as counter:
        for i in range(warmup + runs):
            counter.count = 0
            t0 = time.perf_counter()
            response = call(i)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code < 400, (response.status_code, response.data[:300])
            if i >= warmup:
                times.append(elapsed)
                queries = max(queries, counter.count)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], queries
