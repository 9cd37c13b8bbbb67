import threading
import pytest
from tests.views.test_payments import form_key, reload, invoice as make_invoice

@pytest.mark.parametrize("n", range(6))
def test_first_view_while_paying(app, owner, f, n):
    doc = make_invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    token, cookie = owner.client.csrf_token(), owner.client.get_cookie("session").value
    barrier = threading.Barrier(2); out = {}
    pub, did = f"/p/{doc.public_token}", doc.id
    def view():
        c = app.test_client(); barrier.wait(); out["view"] = c.get(pub).status_code
    def payit():
        c = app.test_client(); c.set_cookie("session", cookie); barrier.wait()
        out["pay"] = c.post(f"/invoices/{did}/payments/new", data={"kind": "payment", "amount": "10", "paid_on": "2026-01-15", "method": "card", "key": key}, headers={"X-CSRFToken": token}, csrf=False).status_code
    ts = [threading.Thread(target=view), threading.Thread(target=payit)]
    [t.start() for t in ts]; [t.join() for t in ts]
    assert out == {"view": 200, "pay": 303}
    assert reload(doc).paid_total == 1000 and reload(doc).viewed_at is not None
