"""Expense categories (issue 17): the organization's own list of what it buys, one per purchase line, each with an
optional account number for the accountant. A category is archived, never deleted, once a line uses it."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from webapp.domain.errors import ActionError, InvalidInput, Text
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models import Document, DocumentLine, ExpenseCategory, Organization, User
from webapp.services import audit

MAX_NAME, MAX_ACCOUNT = 100, 20
ACCOUNT = re.compile(r"[0-9A-Za-z.\-/ ]*")
# offered to an organization with none yet (names only: account numbers depend on its chart of accounts)
COMMON = (_n("Goods for resale"), _n("Materials"), _n("Rent"), _n("Office supplies"), _n("Software and subscriptions"),
          _n("Energy"), _n("Telephone and internet"), _n("Travel"), _n("Advertising"), _n("Insurance"), _n("Professional fees"))
NAME_TAKEN = Text("There is a category named {name} already.")


def checked(org: Organization, name: str, account: str, category: ExpenseCategory | None = None) -> tuple[str, str]:
    """The name and account number as stored, or ``InvalidInput`` naming each wrong field."""
    name, account = " ".join((name or "").split()), (account or "").strip()
    errors = []
    if not name:
        errors.append(ActionError("name_required", "Enter the category's name.", "name"))
    elif len(name) > MAX_NAME:
        errors.append(ActionError("name_too_long", "At most {count} characters.", "name", count=MAX_NAME))
    else:
        other = db.session.scalar(select(ExpenseCategory).where(
            ExpenseCategory.org_id == org.id, func.lower(ExpenseCategory.name) == name.lower()))
        if other is not None and other is not category:
            errors.append(ActionError("category_exists", NAME_TAKEN, "name", name=name))
    if len(account) > MAX_ACCOUNT:
        errors.append(ActionError("account_too_long", "At most {count} characters.", "account", count=MAX_ACCOUNT))
    elif not ACCOUNT.fullmatch(account):
        errors.append(ActionError("invalid_account", "Use digits, letters, spaces and . - / only.", "account"))
    if errors:
        raise InvalidInput(errors)
    return name, account


def of(org_id: int, include_archived: bool = False, keep: set[int] | None = None) -> list[ExpenseCategory]:
    """The organization's categories by name; the archived ones only when asked, or when in ``keep``."""
    stmt = select(ExpenseCategory).where(ExpenseCategory.org_id == org_id)
    if not include_archived:
        stmt = stmt.where((ExpenseCategory.archived.is_(False)) | ExpenseCategory.id.in_(keep or set()))
    return list(db.session.scalars(stmt.order_by(func.lower(ExpenseCategory.name))))


def add(org: Organization, actor: User, name: str, account: str = "") -> ExpenseCategory:
    name, account = checked(org, name, account)
    category = ExpenseCategory(org_id=org.id, name=name, account=account)
    db.session.add(category)
    db.session.flush()
    audit.record(org, actor, "expense_category.created", category,
                 summary=f"{actor.email} added the expense category {name}")
    return category


def change(org: Organization, actor: User, category: ExpenseCategory, name: str, account: str) -> None:
    """A new name (a booked purchase's line keeps its category: the name is how it is shown); an account number
    added, or changed while no booked purchase uses the category (their bookings would move to another account)."""
    name, account = checked(org, name, account, category)
    if category.account and account != category.account and booked(category):
        raise InvalidInput([ActionError("account_in_use", "Booked purchases use this category with account {account}: "
                                        "archive it and add a new category for the new account.", "account",
                                        account=category.account)])
    category.name, category.account = name, account
    audit.record(org, actor, "expense_category.updated", category,
                 summary=f"{actor.email} changed the expense category {category.name}")


def set_archived(org: Organization, actor: User, category: ExpenseCategory, archived: bool) -> None:
    category.archived = archived
    audit.record(org, actor, "expense_category.archived" if archived else "expense_category.restored", category,
                 summary=f"{actor.email} {'archived' if archived else 'restored'} the expense category {category.name}")


def add_common(org: Organization, actor: User, translate) -> int:
    """The common categories (``translate``: into the member's language) the organization has not yet; how many."""
    have = {c.name.lower() for c in of(org.id, include_archived=True)}
    added = 0
    for name in COMMON:
        shown = translate(name)
        if shown.lower() not in have:
            add(org, actor, shown)
            added += 1
    return added


def for_line(org: Organization, category_id: int | None, current_id: int | None) -> int | None:
    """A line's category as chosen: one of the organization's, not archived unless the line has it already."""
    if category_id is None:
        return None
    category = db.session.get(ExpenseCategory, category_id)
    if category is None or category.org_id != org.id or (category.archived and category.id != current_id):
        raise ActionError("invalid_expense_category", "Choose one of your expense categories.",
                          "expense_category_id")
    return category.id


def booked(category: ExpenseCategory) -> bool:
    """Whether a booked purchase (not a draft) has a line in the category."""
    return db.session.scalar(select(DocumentLine.id).join(Document, Document.id == DocumentLine.document_id)
                             .where(DocumentLine.expense_category_id == category.id, Document.status != "draft")
                             .limit(1)) is not None
