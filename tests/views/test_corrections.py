"""Credit notes (full, lines, amount), cancelling, another recipient, reactivating."""
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.views.parallel import post_at_once
from webapp.extensions import db
from webapp.models import Document, DocumentLine, NumberCounter, NumberSeries, Payment, TaxRate


def rich_invoice(f, org):
    """Two VAT rates, a line discount, a percent discount and a charge: every figure matters."""
    from webapp.services import drafts, issuing

    doc = f.draft(org, f.contact(org, "Kunde AG", email="k@example.com", locale="en"),
                  lines=[("Bread", "3", "4.35"), ("Cake", "2", "19.99"), ("Coffee", "7", "2.10")])
    seven = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    drafts.update_line(doc, doc.lines[0], {"discount_percent": Decimal("10")}, rate=seven, set_rate=True)
    drafts.update_header(doc, {"discount_percent": Decimal("3")})
    charge = drafts.add_adjustment(org, doc, "charge")
    drafts.update_adjustment(doc, charge, "Delivery", Decimal("4.90"), seven)
    db.session.commit()
    issuing.issue(org, next(m.user for m in org.memberships if m.role == "owner"), doc)
    db.session.commit()
    return doc


def issue_note(client, note_id):
    note = db.session.get(Document, note_id)
    return client.post(f"/invoices/{note_id}/issue", data={"version": note.version})


def reload(doc):
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def credit_notes(status=None) -> list[Document]:
    stmt = select(Document).where(Document.kind == "credit_note").order_by(Document.id)
    if status is not None:
        stmt = stmt.where(Document.status == status)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def issue_last_note(client):
    """Issue the newest credit note; (the answer, followed to its page), the note."""
    note = credit_notes()[-1]
    return client.post(f"/invoices/{note.id}/issue", data={"version": note.version}, follow_redirects=True), note


def group_key(group: dict) -> str:
    return f"{group['category']}|{group['rate']}"


def credited_base(rate: str) -> int:
    """The base (without VAT, positive) that the issued credit notes credited at ``rate`` % VAT."""
    return sum(-g["base"] for note in credit_notes("issued") for g in note.tax_breakdown if g["rate"] == rate)


def test_a_full_credit_note_negates_every_figure_and_the_amount_due_becomes_zero(owner, f):
    invoice = rich_invoice(f, owner.org)
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full", "reason": "Wrong order"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.status == "draft" and note.related_id == invoice.id
    assert issue_note(owner.client, note.id).status_code == 303
    note, invoice = reload(note), reload(invoice)
    assert note.status == "issued" and note.number.startswith("CN-")
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        assert getattr(note, name) == -getattr(invoice, name), name
    assert [ln.net_amount for ln in note.lines] == [-ln.net_amount for ln in invoice.lines]
    assert note.tax_breakdown == [{**g, "base": -g["base"], "tax": -g["tax"]} for g in invoice.tax_breakdown]
    assert invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    assert invoice.payment_state == "credited"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(note.pdf)).pages)
    assert "Credit note" in text and f"Corrects invoice {invoice.number}" in text and "Wrong order" in text
    # nothing is left to credit
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"})
    assert r.status_code == 422 and "Nothing is left to credit" in r.data.decode()


def test_chosen_lines_and_quantities_and_the_limits(owner, f):
    invoice = rich_invoice(f, owner.org)
    bread, cake, _ = invoice.lines
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "1"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert [(ln.source_line_id, ln.quantity) for ln in note.lines] == [(cake.id, Decimal("-1"))]
    issue_note(owner.client, note.id)
    assert reload(invoice).credited_total == -reload(note).gross_total > 0
    # one cake left: two are refused, the typed quantities stay in the form
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "2",
                                                                  f"q{bread.id}": "1"})
    html = r.data.decode()
    assert r.status_code == 422 and "at most 1 can still be credited" in html and f'name="q{cake.id}" value="2"' in html
    for bad, message in (("-1", "not negative"), ("abc", "not a number"), ("", "at least one line")):
        r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": bad})
        assert r.status_code == 422 and message in r.data.decode(), bad
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "credit_note")) == 1


def test_an_amount_credit_and_over_crediting(owner, f):
    invoice = rich_invoice(f, owner.org)
    group = f"{invoice.tax_breakdown[0]['category']}|{invoice.tax_breakdown[0]['rate']}"
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "5.00", "group": group,
                                                                  "reason": "Goodwill"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.lines[0].description == "Goodwill" and note.net_total == -500
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "99999", "group": group})
    assert r.status_code == 422 and "remains creditable" in r.data.decode()
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "5", "group": "X|1"})
    assert r.status_code == 422 and "Choose one of the invoice" in r.data.decode()


def test_two_drafts_cannot_together_credit_more_than_the_invoice(owner, f):
    invoice = rich_invoice(f, owner.org)
    for _ in range(2):
        owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"})
    first, second = db.session.scalars(select(Document).where(Document.kind == "credit_note").order_by(Document.id))
    assert issue_note(owner.client, first.id).status_code == 303
    r = owner.client.post(f"/invoices/{second.id}/issue", data={"version": second.version}, follow_redirects=True)
    assert "remains creditable" in r.data.decode()
    assert reload(second).status == "draft" and reload(invoice).credited_total == reload(invoice).gross_total


def test_a_paid_invoice_credited_owes_the_customer_and_takes_a_refund(owner, f):
    from tests.views.test_payments import pay

    invoice = rich_invoice(f, owner.org)
    gross = invoice.gross_total
    pay(owner.client, invoice.id, f"{gross / 100:.2f}")
    owner.client.post(f"/invoices/{invoice.id}/cancel", data={"reason": "Returned"})
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.amount_due == -gross and invoice.payment_state == "overpaid"
    page = owner.client.get(f"/invoices/{invoice.id}").data.decode()
    assert "Owed to the customer" in page
    assert pay(owner.client, invoice.id, f"{gross / 100:.2f}", kind="refund").status_code == 303
    assert reload(invoice).amount_due == 0


def test_cancel_change_recipient_and_reactivate(owner, f):
    invoice = rich_invoice(f, owner.org)
    other = f.contact(owner.org, "Neue GmbH")
    r = owner.client.post(f"/invoices/{invoice.id}/change-recipient", data={"contact_id": other.id})
    assert r.status_code == 303
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.amount_due == 0
    copy = db.session.scalar(select(Document).where(Document.kind == "invoice", Document.status == "draft"))
    assert copy.contact_id == other.id and copy.related_id == invoice.id and copy.gross_total == invoice.gross_total
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.status == "issued" and note.gross_total == -invoice.gross_total
    # a cancelled invoice cannot be cancelled or credited again; it can be reactivated as a new draft
    r = owner.client.post(f"/invoices/{invoice.id}/cancel", follow_redirects=True)
    assert "cancelled invoice cannot be cancelled" in r.data.decode()
    r = owner.client.post(f"/invoices/{invoice.id}/reactivate")
    assert r.status_code == 303
    drafts = db.session.scalars(select(Document).where(Document.kind == "invoice", Document.status == "draft")).all()
    assert len(drafts) == 2 and reload(invoice).status == "cancelled"
    page = owner.client.get(f"/invoices/{invoice.id}").data.decode()
    assert note.number in page and "Reactivate as new draft" in page


def test_staff_cannot_correct_and_strangers_get_404(owner, f, login_as):
    invoice = rich_invoice(f, owner.org)
    staff = login_as("staff", org=owner.org)
    assert staff.client.post(f"/invoices/{invoice.id}/cancel").status_code == 403
    assert staff.client.get(f"/invoices/{invoice.id}/credit").status_code == 403
    bookkeeper = login_as("bookkeeper", org=owner.org)
    assert bookkeeper.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"}).status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert staff.client.post(f"/invoices/{note.id}/issue", data={"version": note.version}).status_code == 403
    stranger = login_as("owner")
    for url in (f"/invoices/{invoice.id}/credit", f"/invoices/{invoice.id}/change-recipient"):
        assert stranger.client.get(url).status_code == 404
    for url in (f"/invoices/{invoice.id}/cancel", f"/invoices/{invoice.id}/reactivate", f"/invoices/{note.id}/issue"):
        assert stranger.client.post(url).status_code == 404
    assert reload(invoice).status == "issued" and reload(note).status == "draft"


def test_cancelling_a_partly_credited_invoice_credits_exactly_what_remains(owner, f):
    invoice = rich_invoice(f, owner.org)
    group = f"{invoice.tax_breakdown[1]['category']}|{invoice.tax_breakdown[1]['rate']}"
    owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "3.33", "group": group})
    first = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    issue_note(owner.client, first.id)
    assert owner.client.post(f"/invoices/{invoice.id}/cancel").status_code == 303
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    notes = db.session.scalars(select(Document).where(Document.kind == "credit_note").order_by(Document.id)).all()
    assert len(notes) == 2 and all(n.status == "issued" for n in notes)
    assert db.session.scalar(select(func.count()).select_from(DocumentLine)
                             .where(DocumentLine.document_id == notes[1].id)) == len(invoice.tax_breakdown)


def test_a_full_credit_note_with_inclusive_prices_negates_every_figure(owner, f):
    """With prices incl. VAT the full credit note is still the exact negation (VAT taken out per group, not
    per line, on both documents), so nothing stays due."""
    owner.org.prices_include_tax = True
    db.session.commit()
    invoice = rich_invoice(f, owner.org)
    assert invoice.prices_include_tax
    assert owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"}).status_code == 303
    note = credit_notes()[0]
    assert issue_note(owner.client, note.id).status_code == 303
    note, invoice = reload(note), reload(invoice)
    assert note.status == "issued" and note.prices_include_tax
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        assert getattr(note, name) == -getattr(invoice, name), name
    assert [ln.net_amount for ln in note.lines] == [-ln.net_amount for ln in invoice.lines]
    assert note.tax_breakdown == [{**g, "base": -g["base"], "tax": -g["tax"]} for g in invoice.tax_breakdown]
    assert invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    assert invoice.payment_state == "credited"


def test_a_vat_group_is_never_credited_beyond_its_base(owner, f):
    """An amount credit is limited by what remains of its VAT group, even while the invoice as a whole has
    plenty left to credit (the other group); cancelling then credits exactly what remains of each group."""
    invoice = rich_invoice(f, owner.org)
    groups = {g["rate"]: g for g in invoice.tax_breakdown}
    assert set(groups) == {"7", "19"}
    g19 = groups["19"]
    url = f"/invoices/{invoice.id}/credit"
    # all of the 19 % base but 0.50
    first = f"{(g19['base'] - 50) / 100:.2f}"
    assert owner.client.post(url, data={"mode": "amount", "amount": first, "group": group_key(g19)}).status_code == 303
    issue_last_note(owner.client)
    assert credited_base("19") == g19["base"] - 50
    # 1.00 more at 19 %: refused, although the invoice still has the whole 7 % group creditable
    invoice = reload(invoice)
    assert invoice.gross_total - invoice.credited_total > groups["7"]["base"] > 100
    r = owner.client.post(url, data={"mode": "amount", "amount": "1.00", "group": group_key(g19)})
    assert r.status_code == 422 and "more at 19 % VAT than remains creditable" in r.data.decode()
    assert len(credit_notes()) == 1 and reload(invoice).credited_total == invoice.credited_total
    # the 0.50 left is accepted
    assert owner.client.post(url, data={"mode": "amount", "amount": "0.50", "group": group_key(g19)}).status_code == 303
    issue_last_note(owner.client)
    assert credited_base("19") == g19["base"]
    # cancelling credits the rest of the 7 % group and nothing more at 19 %
    assert owner.client.post(f"/invoices/{invoice.id}/cancel").status_code == 303
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    assert credited_base("19") == g19["base"] and credited_base("7") == groups["7"]["base"]
    assert len(credit_notes("issued")) == 3


def test_units_credited_one_at_a_time_then_cancelled_end_at_exactly_nothing_due(owner, f):
    """2 x 0.50 + 19 % VAT = 1.19, but each unit credited alone is 0.50 + 0.10 (0.095 rounded) = 0.60: the
    second unit is accepted within the rounding cent, and cancelling books exactly the 0.59 left."""
    inv = f.issued(owner.org, contact_=f.contact(owner.org, "K"), lines=[("Pen", "2", "0.50")])
    line = inv.lines[0]
    assert inv.gross_total == 119
    credit = {"mode": "lines", f"q{line.id}": "1"}
    assert owner.client.post(f"/invoices/{inv.id}/credit", data=credit).status_code == 303
    _, first = issue_last_note(owner.client)
    inv = reload(inv)
    assert reload(first).gross_total == -60 and (inv.credited_total, inv.amount_due) == (60, 59)
    # the second unit: a draft of 0.60 (one cent more than remains, within the tolerance)
    assert owner.client.post(f"/invoices/{inv.id}/credit", data=credit).status_code == 303
    second = credit_notes()[-1]
    assert second.status == "draft" and second.gross_total == -60
    assert owner.client.post(f"/invoices/{inv.id}/cancel").status_code == 303
    inv = reload(inv)
    assert inv.status == "cancelled" and inv.credited_total == inv.gross_total == 119
    assert inv.amount_due == 0 and inv.payment_state == "credited"
    # the cancelling note is also 0.60 (no base gives 0.59 with rounded VAT); the invoice counts the 0.59 left
    assert [n.gross_total for n in credit_notes("issued")] == [-60, -60]
    # the draft for the second unit can no longer be issued: everything is credited
    r = owner.client.post(f"/invoices/{second.id}/issue", data={"version": second.version}, follow_redirects=True)
    assert "remains creditable" in r.data.decode()
    assert reload(second).status == "draft" and reload(inv).credited_total == 119


def test_units_credited_one_at_a_time_credit_the_invoice_exactly(owner, f):
    """The two 0.60 credit notes of a 1.19 invoice: the second counts only the 0.59 that remained, so the
    invoice ends at nothing due, never at a cent owed to the customer."""
    inv = f.issued(owner.org, contact_=f.contact(owner.org, "K"), lines=[("Pen", "2", "0.50")])
    credit = {"mode": "lines", f"q{inv.lines[0].id}": "1"}
    for _ in range(2):
        assert owner.client.post(f"/invoices/{inv.id}/credit", data=credit).status_code == 303
        issue_last_note(owner.client)
    inv = reload(inv)
    assert [n.gross_total for n in credit_notes("issued")] == [-60, -60]
    assert inv.credited_total == inv.gross_total == 119 and inv.amount_due == 0 and inv.payment_state == "credited"


@pytest.mark.parametrize("amount", ["0.03", "0.22"])
def test_cancelling_after_a_partial_credit_with_inclusive_prices_ends_at_exactly_nothing_due(app, owner, f, amount):
    """With prices incl. VAT a small amount credit rounds its VAT on its own (0.03 -> 0.00 VAT), so the rest
    cancelled must be found from the gross still due, not from base and VAT apart: no cent stays due or owed,
    on the invoice and on the customer's page."""
    owner.org.prices_include_tax = True
    db.session.commit()
    inv = f.issued(owner.org, contact_=f.contact(owner.org, "K", locale="en"), lines=[("Pen", "1", "1.00")])
    assert inv.prices_include_tax and inv.gross_total == 100
    group = group_key(inv.tax_breakdown[0])
    r = owner.client.post(f"/invoices/{inv.id}/credit", data={"mode": "amount", "amount": amount, "group": group})
    assert r.status_code == 303
    _, partial = issue_last_note(owner.client)
    assert reload(partial).gross_total == -int(Decimal(amount) * 100)
    assert reload(inv).amount_due == 100 - int(Decimal(amount) * 100)
    assert owner.client.post(f"/invoices/{inv.id}/cancel").status_code == 303
    inv = reload(inv)
    assert inv.status == "cancelled" and inv.credited_total == inv.gross_total and inv.amount_due == 0
    assert inv.payment_state == "credited"
    assert 100 <= -sum(n.gross_total for n in credit_notes("issued")) <= 101  # at most the rounding cent
    page = app.test_client().get(f"/p/{inv.public_token}").data.decode()
    status = page.split('id="payment-status"')[1].split("</p>")[0]
    assert "Nothing left to pay." in status and "Amount due" not in status and "We owe you" not in status
    assert "This invoice was cancelled and is not to be paid." in page and "Pay by bank transfer" not in page


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_two_full_credit_notes_issued_at_once_credit_the_invoice_once(app, owner, f, attempt):
    """Two drafts each crediting everything, issued in the same moment: the invoice's row is locked at issue,
    so one is issued and the other is refused and stays a draft without a number (none is used up)."""
    invoice = rich_invoice(f, owner.org)
    for _ in range(2):
        assert owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"}).status_code == 303
    drafts = credit_notes()
    statuses = post_at_once(app, owner, *((f"/invoices/{n.id}/issue", {"version": n.version}) for n in drafts))
    assert statuses == [303, 303]  # the refused one is sent back to its page with the reason
    issued, still_draft = credit_notes("issued"), credit_notes("draft")
    assert len(issued) == 1 and len(still_draft) == 1 and still_draft[0].number is None
    assert issued[0].number.endswith("-0001")
    counter = db.session.scalar(select(NumberCounter.last_value).join(NumberSeries)
                                .where(NumberSeries.org_id == owner.org.id, NumberSeries.kind == "credit_note"))
    assert counter == 1
    invoice = reload(invoice)
    assert invoice.credited_total == invoice.gross_total and invoice.amount_due == 0


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_cancelling_while_a_payment_is_recorded_keeps_both(app, owner, f, attempt):
    """Cancel and a payment in the same moment, in either order: the invoice ends cancelled, credited in full
    once; a payment recorded first is counted once (owed back to the customer), one that comes after the
    cancellation is refused (a cancelled invoice takes refunds only); its paid total equals its payment rows."""
    from tests.views.test_payments import form_key
    from tests.views.test_payments import invoice as make_invoice
    from webapp.services import payments

    doc = make_invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    payment = {"kind": "payment", "amount": "10", "paid_on": "2026-01-15", "method": "card", "key": key}
    statuses = post_at_once(app, owner, (f"/invoices/{doc.id}/cancel", {}),
                            (f"/invoices/{doc.id}/payments/new", payment))
    doc = reload(doc)
    assert doc.status == "cancelled" and doc.credited_total == doc.gross_total == 11900
    assert len(credit_notes("issued")) == 1
    paid = [p.amount for p in db.session.scalars(select(Payment))]
    assert (statuses, paid) in (([303, 303], [1000]), ([303, 422], []))
    assert doc.paid_total == sum(paid) == payments.paid_total(doc)
    assert doc.amount_due == -sum(paid) and doc.payment_state == ("overpaid" if paid else "credited")


def test_a_credit_beyond_what_remains_is_refused_in_german_with_the_amount_in_german(owner, f):
    owner.org.locale = "de_DE"
    db.session.commit()
    invoice = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale="de_DE"),
                       lines=[("Beratung", "1", "1234.56")])
    group = group_key(invoice.tax_breakdown[0])
    r = owner.client.post(f"/invoices/{invoice.id}/credit", headers={"Accept-Language": "de"},
                          data={"mode": "amount", "amount": "2000", "group": group})
    assert r.status_code == 422
    assert (f"Damit wird zu 19 % USt. mehr gutgeschrieben, als auf {invoice.number} noch gutgeschrieben werden kann "
            "(1.234,56\xa0€ netto).") in r.data.decode()
    assert credit_notes() == []


def test_a_cancelled_invoice_refuses_to_be_cancelled_again_in_french(owner, f):
    invoice = rich_invoice(f, owner.org)
    assert owner.client.post(f"/invoices/{invoice.id}/cancel").status_code == 303
    r = owner.client.post(f"/invoices/{invoice.id}/cancel", headers={"Accept-Language": "fr"}, follow_redirects=True)
    assert "Une facture annulée ne peut pas être annulée." in r.data.decode()


@pytest.mark.parametrize("language, texts", [
    ("de", {"form": ["<h1>Rechnungskorrektur zu {number}</h1>", ">Ausgewählte Positionen und Mengen</option>",
                     "<th class=\"num\">Noch gutschreibbar</th>", ">Korrekturentwurf anlegen</button>",
                     "(bei „Ein Betrag“; netto)"],
            "refused": "Position 2: ",
            "made": ["Ein Korrekturentwurf zu {number} wurde angelegt. Prüfen Sie ihn und stellen Sie ihn aus.",
                     "<h1>Korrekturentwurf", ">Rechnungskorrektur ausstellen</button>",
                     'data-confirm="Diese Rechnungskorrektur ausstellen? Sie erhält ihre Nummer']}),
    ("fr", {"form": ["<h1>Avoir pour {number}</h1>", ">Lignes et quantités choisies</option>",
                     "<th class=\"num\">Encore créditable</th>", ">Créer le brouillon d’avoir</button>",
                     "(avec « Un montant » ; HT)"],
            "refused": "Ligne 2 : ",
            "made": ["Un brouillon d’avoir pour {number} a été créé. Vérifiez-le et émettez-le.",
                     "<h1>Brouillon d’avoir", ">Émettre l’avoir</button>",
                     'data-confirm="Émettre cet avoir ? Il reçoit son numéro']}),
])
def test_the_credit_note_form_speaks_the_members_language(owner, f, language, texts):
    invoice = rich_invoice(f, owner.org)
    headers = {"Accept-Language": language}
    cake = invoice.lines[1]
    page = owner.client.get(f"/invoices/{invoice.id}/credit", headers=headers).data.decode()
    for text in texts["form"]:
        assert text.format(number=invoice.number) in page, text
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "abc"},
                          headers=headers)
    assert r.status_code == 422 and texts["refused"] in r.data.decode()
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "1"},
                          headers=headers)
    assert r.status_code == 303
    page = owner.client.get(r.headers["Location"], headers=headers).data.decode()
    for text in texts["made"]:
        assert text.format(number=invoice.number) in page, text


@pytest.mark.parametrize("locale, cancellation, credit, remaining", [
    ("de_DE", "Stornierung der Rechnung {}", "Rechnungskorrektur zu {}", "Restbetrag von {}"),
    ("fr_FR", "Annulation de la facture {}", "Avoir sur {}", "Montant restant de {}"),
    ("en", "Cancellation of invoice {}", "Credit on {}", "Remaining amount of {}"),
])
def test_the_lines_tallybook_writes_into_a_credit_note_speak_the_customers_language(
        owner, f, locale, cancellation, credit, remaining):
    """The member reads English (Accept-Language: en); the customer reads the credit note in their language, so the
    lines Tallybook writes into it (and a new discount's default reason) are in the customer's."""
    from webapp.services import drafts

    customer = f.contact(owner.org, "Kunde AG", email="k@example.com", locale=locale)
    first = f.issued(owner.org, contact_=customer)
    assert owner.client.post(f"/invoices/{first.id}/cancel").status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note", Document.related_id == first.id))
    assert note.notes == cancellation.format(first.number)  # the reason, printed on the credit note

    second = f.issued(owner.org, contact_=customer)
    group = f"{second.tax_breakdown[0]['category']}|{second.tax_breakdown[0]['rate']}"
    r = owner.client.post(f"/invoices/{second.id}/credit", data={"mode": "amount", "amount": "1.00",
                                                                  "group": group, "reason": ""})
    assert r.status_code == 303
    part = db.session.scalar(select(Document).where(Document.kind == "credit_note", Document.related_id == second.id))
    assert [line.description for line in part.lines] == [credit.format(second.number)]
    assert issue_note(owner.client, part.id).status_code == 303
    assert owner.client.post(f"/invoices/{second.id}/cancel").status_code == 303  # the rest, one line per VAT group
    rest = db.session.scalars(select(Document).where(Document.kind == "credit_note", Document.related_id == second.id)
                              .order_by(Document.id)).all()[-1]
    assert {line.description for line in rest.lines} == {remaining.format(second.number)}

    draft = f.draft(owner.org, customer)
    assert drafts.add_adjustment(owner.org, draft, "allowance").reason == {
        "de_DE": "Rabatt", "fr_FR": "Remise", "en": "Discount"}[locale]
