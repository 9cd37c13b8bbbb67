"""The editor's line changes recalculate without reading the draft's other lines (issue 13, item 15):
``calculation.recalculate_changed`` takes the totals from the per-group sums of the stored line nets. Whatever
the changes, the figures equal those of a full ``recalculate`` from every line, to the cent."""
from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import event, select

from webapp.extensions import db
from webapp.models import Document, DocumentLine, TaxRate
from webapp.services import calculation, drafts

FIGURES = ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total", "tax_breakdown")


def figures(doc: Document) -> dict:
    return {name: getattr(doc, name) for name in FIGURES}


def full_figures(doc_id: int) -> tuple[dict, dict]:
    """The stored figures and line nets, then what a full recalculation makes of them (rolled back)."""
    db.session.expire_all()
    doc = db.session.get(Document, doc_id)
    stored, nets = figures(doc), {line.id: line.net_amount for line in doc.lines}
    calculation.recalculate(doc)
    full, full_nets = figures(doc), {line.id: line.net_amount for line in doc.lines}
    db.session.rollback()
    return (stored, nets), (full, full_nets)


def test_random_line_changes_total_as_a_full_recalculation(owner, f):
    org = owner.org
    rates = db.session.scalars(select(TaxRate).where(TaxRate.org_id == org.id)).all()
    exempt = TaxRate(org_id=org.id, name="Exempt", category="E", percent=Decimal(0), exemption_note="§ 4 UStG")
    db.session.add(exempt)
    rates = [*rates, exempt]
    doc = f.draft(org, f.contact(org, "Kunde"), lines=[])
    rng = random.Random(13)
    for step in range(60):
        doc = db.session.get(Document, doc.id)
        action = rng.choice(["add", "add", "change", "change", "change", "remove", "move", "adjust", "discount"])
        count = drafts.line_count(doc)
        if action == "add" or count == 0:
            line = drafts.add_line(org, doc)
            action = "change"
        else:
            line = drafts.line_at(doc, rng.randrange(count))
        if action == "change":
            drafts.update_line(doc, line, {
                "quantity": Decimal(rng.randint(1, 400)) / rng.choice([1, 4, 100]),
                "unit_price": Decimal(rng.randint(-500, 99999)) / rng.choice([1, 100, 10000]),
                "discount_percent": rng.choice([None, Decimal("5"), Decimal("12.5")])},
                rate=rng.choice(rates), set_rate=True)
        elif action == "remove":
            drafts.remove_line(doc, line)
        elif action == "move":
            drafts.move_line(doc, line, rng.choice([-1, 1]))
        elif action == "adjust":
            adjustment = drafts.add_adjustment(org, doc, rng.choice(["allowance", "charge"]))
            drafts.update_adjustment(doc, adjustment, "Versand", Decimal(rng.randint(1, 3000)) / 100, rng.choice(rates))
        else:
            drafts.update_header(doc, {"discount_percent": rng.choice([None, Decimal("3"), Decimal("7.5")])})
        db.session.commit()
        (stored, nets), (full, full_nets) = full_figures(doc.id)
        assert stored == full, (step, action)
        assert nets == full_nets, (step, action)
    positions = [line.position for line in db.session.get(Document, doc.id).lines]
    assert positions == list(range(len(positions)))


def test_a_line_change_reads_no_other_line(owner, f):
    """On a 200-line draft, changing one line loads that line only: the other 199 are never read."""
    org = owner.org
    doc = f.draft(org, f.contact(org, "Kunde"), lines=[(f"L{i}", "1", "10") for i in range(200)])
    doc_id = doc.id
    line_id = db.session.scalar(select(DocumentLine.id).where(DocumentLine.document_id == doc_id,
                                                              DocumentLine.position == 100))
    db.session.expire_all()
    loaded: list[int] = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(DocumentLine, "load", on_load)
    try:
        doc = db.session.get(Document, doc_id)
        moved = drafts.update_line(doc, db.session.get(DocumentLine, line_id), {"quantity": Decimal("3")})
        db.session.flush()
    finally:
        event.remove(DocumentLine, "load", on_load)
    assert loaded == [line_id] and moved == {line_id}
    assert doc.net_total == 199 * 1000 + 3000
