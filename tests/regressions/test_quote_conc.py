import pytest
from sqlalchemy import select, func
from webapp.extensions import db
from webapp.models import Document
from tests.views.test_quotes import new_quote
from tests.regressions.test_conc import run_parallel

@pytest.mark.parametrize("n", [1, 2, 3])
def test_convert_double_click(app, owner, f, n):
    q = new_quote(owner, f)
    owner.client.post(f"/invoices/{q.id}/accept")
    statuses, errors = run_parallel(app, owner, [(f"/invoices/{q.id}/convert", {}), (f"/invoices/{q.id}/convert", {})])
    n_inv = db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "invoice", Document.related_id == q.id))
    assert errors == [] and sorted(statuses) == [303, 303] and n_inv == 1

@pytest.mark.parametrize("n", [1, 2, 3])
def test_accept_double_click(app, owner, f, n):
    q = new_quote(owner, f)
    statuses, errors = run_parallel(app, owner, [(f"/invoices/{q.id}/accept", {}), (f"/invoices/{q.id}/decline", {})])
    db.session.expire_all()
    assert errors == [] and sorted(statuses) == [303, 303]
    assert db.session.get(Document, q.id).status in ("accepted", "declined")
