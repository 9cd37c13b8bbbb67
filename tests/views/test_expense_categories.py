"""Expense categories (issue 17): owners and bookkeepers keep the list (a name, unique; an optional account number),
archive instead of delete; a purchase line names one in the editor, never a sale's line and never another
organization's or an archived one."""
from __future__ import annotations

import html

from webapp.extensions import db
from webapp.models import AuditEvent, Document, ExpenseCategory
from webapp.services.expense_categories import COMMON


def categories(org) -> list[tuple[str, str, bool]]:
    return [(c.name, c.account, c.archived) for c in db.session.query(ExpenseCategory).filter_by(org_id=org.id)
            .order_by(ExpenseCategory.name)]


def test_the_list_is_kept_by_owners_and_bookkeepers(owner, login_as):
    bookkeeper, staff = login_as("bookkeeper", org=owner.org), login_as("staff", org=owner.org)
    page = owner.client.get("/purchases/categories").get_data(as_text=True)
    assert "No categories yet." in page and "Add common categories" in page
    answer = bookkeeper.client.post("/purchases/categories", data={"new-name": "  Rent  ", "new-account": "4210"})
    assert answer.status_code == 303
    assert categories(owner.org) == [("Rent", "4210", False)]
    assert staff.client.post("/purchases/categories", data={"new-name": "Cake"}).status_code == 403
    assert staff.client.get("/purchases/categories").status_code == 200  # everyone reads it
    # refused: no name, a name taken (whatever its case), odd account characters; nothing changes
    for data, message in (({"new-name": ""}, "Enter the category's name."),
                          ({"new-name": "rent"}, "There is a category named rent already."),
                          ({"new-name": "Cars", "new-account": "<4210>"}, "Use digits, letters, spaces")):
        refused = owner.client.post("/purchases/categories", data=data)
        assert refused.status_code == 422 and message in html.unescape(refused.get_data(as_text=True)), data
    assert categories(owner.org) == [("Rent", "4210", False)]
    rent = db.session.query(ExpenseCategory).filter_by(org_id=owner.org.id).one()
    saved = owner.client.post(f"/purchases/categories/{rent.id}", data={f"c{rent.id}-name": "Rent and heating",
                                                                         f"c{rent.id}-account": "4210"})
    assert saved.status_code == 303 and categories(owner.org) == [("Rent and heating", "4210", False)]
    assert owner.client.post(f"/purchases/categories/{rent.id}/archive", data={"archived": "1"}).status_code == 303
    assert categories(owner.org) == [("Rent and heating", "4210", True)]
    actions = {e.action for e in db.session.query(AuditEvent).filter_by(org_id=owner.org.id)}
    assert {"expense_category.created", "expense_category.updated", "expense_category.archived"} <= actions


def test_the_common_categories_are_added_in_the_members_language(owner):
    owner.user.language = "de"
    db.session.commit()
    assert owner.client.post("/purchases/categories/common").status_code == 303
    names = [n for n, _, _ in categories(owner.org)]
    assert len(names) == len(COMMON) and "Miete" in names
    owner.client.post("/purchases/categories/common")
    assert len(categories(owner.org)) == len(COMMON)  # not twice


def test_a_purchase_line_names_a_category_in_the_editor(owner, login_as, f):
    from webapp.services import purchases

    rent = ExpenseCategory(org_id=owner.org.id, name="Rent", account="4210")
    old = ExpenseCategory(org_id=owner.org.id, name="Old", archived=True)
    foreign = ExpenseCategory(org_id=login_as("owner").org.id, name="Theirs")
    db.session.add_all([rent, old, foreign])
    supplier = f.contact(owner.org, company="Vermieter GmbH")
    doc = purchases.new_purchase(owner.org, owner.user, supplier)
    from webapp.services import drafts

    line = drafts.add_line(owner.org, doc)
    db.session.commit()
    editor = owner.client.get(f"/invoices/{doc.id}/edit").get_data(as_text=True)
    assert "Rent (4210)" in editor and ">Old<" not in editor and "Theirs" not in editor

    def post(category_id):
        current = db.session.get(Document, doc.id)
        return owner.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers={"HX-Request": "true"}, data={
            "version": current.version, f"l{line.id}-description": "Office rent December",
            f"l{line.id}-quantity": "1", f"l{line.id}-unit": "month", f"l{line.id}-unit_price": "800",
            f"l{line.id}-tax_rate_id": "0", f"l{line.id}-expense_category_id": str(category_id)})

    assert post(rent.id).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(line), line.id).expense_category_id == rent.id
    for bad in (old.id, foreign.id, 999999, "9" * 30, "-5", "abc"):  # no id a database integer cannot hold
        refused = post(bad)
        assert refused.status_code == 422 and "Choose one of your expense categories." in refused.get_data(
            as_text=True), bad
    db.session.expire_all()
    assert db.session.get(type(line), line.id).expense_category_id == rent.id
    assert post(0).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(line), line.id).expense_category_id is None


def test_a_sales_line_has_no_category(owner, f):
    doc = f.draft(owner.org)
    line = doc.lines[0]
    editor = owner.client.get(f"/invoices/{doc.id}/edit").get_data(as_text=True)
    assert "expense_category_id" not in editor
    answer = owner.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers={"HX-Request": "true"}, data={
        "version": doc.version, f"l{line.id}-description": "Widget", f"l{line.id}-quantity": "3",
        f"l{line.id}-unit": "piece", f"l{line.id}-unit_price": "10.00", f"l{line.id}-tax_rate_id": "0"})
    assert answer.status_code == 200
