from sqlalchemy import select
from webapp.extensions import db
from webapp.models import Payment
from tests.views.test_payments import reload
from tests.views.test_corrections import rich_invoice


def test_fuzz(owner, f):
    inv = rich_invoice(f, owner.org)
    c = owner.client
    group = f"{inv.tax_breakdown[0]['category']}|{inv.tax_breakdown[0]['rate']}"
    cases = [
        ("recipient big id", f"/invoices/{inv.id}/change-recipient", {"contact_id": "99999999999999999999"}),
        ("recipient neg", f"/invoices/{inv.id}/change-recipient", {"contact_id": "-5"}),
        ("credit huge amount", f"/invoices/{inv.id}/credit", {"mode": "amount", "amount": "9" * 30, "group": group}),
        ("credit tiny amount", f"/invoices/{inv.id}/credit", {"mode": "amount", "amount": "0.000001", "group": group}),
        ("credit weird group", f"/invoices/{inv.id}/credit", {"mode": "amount", "amount": "1", "group": "S|abc"}),
        ("credit bad mode", f"/invoices/{inv.id}/credit", {"mode": "zzz"}),
        ("credit lines huge", f"/invoices/{inv.id}/credit", {"mode": "lines", f"q{inv.lines[0].id}": "9" * 30}),
        ("credit lines tiny", f"/invoices/{inv.id}/credit", {"mode": "lines", f"q{inv.lines[0].id}": "0.0001"}),
        ("pay huge", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "9" * 30, "paid_on": "2026-01-01", "method": "card", "key": "k1"}),
        ("pay nan", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "NaN", "paid_on": "2026-01-01", "method": "card", "key": "k2"}),
        ("pay inf", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "Infinity", "paid_on": "2026-01-01", "method": "card", "key": "k2b"}),
        ("pay 1e5", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "1e5", "paid_on": "2026-01-01", "method": "card", "key": "k2c"}),
        ("pay badkind", f"/invoices/{inv.id}/payments/new", {"kind": "xx", "amount": "1", "paid_on": "2026-01-01", "method": "card", "key": "k3"}),
        ("pay year 1", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "1", "paid_on": "0001-01-01", "method": "card", "key": "k4"}),
        ("pay long key", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "1", "paid_on": "2026-01-01", "method": "card", "key": "k" * 65}),
        ("pay nul note", f"/invoices/{inv.id}/payments/new", {"kind": "payment", "amount": "1", "paid_on": "2026-01-01", "method": "card", "key": "k5", "note": "a\x00b", "reference": "r\x00"}),
        ("void reason nul", f"/invoices/{inv.id}/payments/1/void", {"reason": "x\x00y"}),
        ("cancel reason nul", f"/invoices/{inv.id}/cancel", {"reason": "x\x00y"}),
        ("note nul", f"/invoices/{inv.id}/notes", {"body": "x\x00y"}),
        ("mark paid long key", f"/invoices/{inv.id}/mark-paid", {"key": "k" * 65}),
    ]
    for name, url, data in cases:
        r = c.post(url, data=data)
        body = r.data.decode()
        import re
        msg = re.findall(r'(?:role="alert"|class="field-error"|error)[^>]*>([^<]{0,120})', body)[:2]
        assert r.status_code < 500, (name, r.status_code)
        assert r.status_code in (303, 400, 404, 422), (name, r.status_code, msg)
    d = reload(inv)
    assert d.paid_total == sum(p.amount for p in db.session.scalars(select(Payment)) if not p.is_void)
