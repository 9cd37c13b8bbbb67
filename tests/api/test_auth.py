"""Tokens: Bearer or Basic, only the hash stored, revoked and expired tokens refused, never a session cookie,
o= must be the token's organization, last use recorded at most once a minute, a rate limit per token,
Idempotency-Key replays and conflicts."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from tests import factories
from webapp.extensions import db
from webapp.models import ApiToken, Contact, IdempotentRequest
from webapp.models.types import utcnow
from webapp.services.tokens import hash_token


def test_the_token_is_stored_only_as_its_hash(api):
    rows = db.session.execute(text("SELECT * FROM api_token")).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hash_token(api.token)
    assert all(api.token not in str(value) for value in rows[0].values())
    assert rows[0]["prefix"] == api.token[:7] and api.token.startswith("tb_") and len(api.token) > 40


def test_bearer_and_basic_work_nothing_else_does(api, client):
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {api.token}"}).status_code == 200
    basic = client.get("/api/v1/customers", auth=("anything", api.token))
    assert basic.status_code == 200
    missing = client.get("/api/v1/customers")
    assert missing.status_code == 401 and missing.get_json()["code"] == "unauthenticated"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.mimetype == "application/problem+json"
    wrong = client.get("/api/v1/customers", headers={"Authorization": "Bearer tb_" + "x" * 43})
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "invalid_token"
    assert client.get("/api/v1/customers", headers={"Authorization": f"Token {api.token}"}).status_code == 401


def test_a_session_cookie_never_authenticates_the_api(login_as):
    member = login_as("owner")
    assert member.client.get("/").status_code == 200  # the cookie works for the web
    answer = member.client.get("/api/v1/customers")
    assert answer.status_code == 401
    created = member.client.post("/api/v1/customers", json={"company": "Via cookie"})
    assert created.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_revoked_and_expired_tokens_are_refused(api):
    row = db.session.get(ApiToken, api.row.id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/customers").status_code == 401
    row.expires_at, row.revoked_at = None, utcnow()
    db.session.commit()
    assert api.get("/customers").get_json()["code"] == "invalid_token"


def test_o_must_be_the_tokens_organization(api):
    assert api.get(f"/customers?o={api.org.id}").status_code == 200
    other = factories.organization()
    answer = api.get(f"/customers?o={other.id}")
    assert answer.status_code == 404 and answer.get_json()["code"] == "organization_mismatch"
    assert api.post(f"/customers?o={other.id}", json={"company": "X"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_last_use_is_recorded_at_most_once_a_minute(api):
    assert db.session.get(ApiToken, api.row.id).last_used_at is None
    api.get("/customers")
    first = db.session.get(ApiToken, api.row.id).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    api.get("/customers")
    db.session.expire_all()
    assert db.session.get(ApiToken, api.row.id).last_used_at == first
    row = db.session.get(ApiToken, api.row.id)
    row.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    api.post("/customers", json={"company": "Later"})
    db.session.expire_all()
    assert db.session.get(ApiToken, api.row.id).last_used_at > first


def test_the_rate_limit_counts_per_token_and_answers_429_with_retry_after(app, api, api_as):
    old = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        assert [api.get("/customers").status_code for _ in range(3)] == [200, 200, 200]
        limited = api.get("/customers")
        assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert api_as("owner").get("/customers").status_code == 200  # another token has its own count
    finally:
        app.config["API_RATE_LIMIT"] = old


def test_unknown_routes_and_methods_answer_problems(api):
    missing = api.get("/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = api.delete("/customers")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert api.get("/customers/99999999999").status_code == 404


def test_the_same_idempotency_key_replays_the_first_answer(api):
    headers = {"Idempotency-Key": "order-1001"}
    first = api.post("/customers", json={"company": "Once"}, headers=headers)
    again = api.post("/customers", json={"company": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    other = api.post("/customers", json={"company": "Twice"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


def test_a_failed_request_leaves_its_key_free_and_keys_are_per_organization(api, api_as):
    headers = {"Idempotency-Key": "k-1"}
    assert api.post("/customers", json={"email": "bad"}, headers=headers).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0
    assert api.post("/customers", json={"company": "Fixed"}, headers=headers).status_code == 201
    assert api_as("owner").post("/customers", json={"company": "Elsewhere"}, headers=headers).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 2


def test_a_key_older_than_a_day_is_forgotten(api):
    headers = {"Idempotency-Key": "old"}
    api.post("/customers", json={"company": "Yesterday"}, headers=headers)
    row = db.session.scalar(select(IdempotentRequest))
    row.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert api.post("/customers", json={"company": "Today"}, headers=headers).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 2
