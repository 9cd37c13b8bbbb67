"""Roles and what each may do. The one table every permission check reads."""
from __future__ import annotations

from webapp.domain.units import _n

OWNER, STAFF, BOOKKEEPER = "owner", "staff", "bookkeeper"
ROLES = (OWNER, STAFF, BOOKKEEPER)
# labels marked for the catalogs: translated where shown ({{ _(role_labels[role]) }}); audit summaries keep English
ROLE_LABELS = {OWNER: _n("Owner"), STAFF: _n("Staff"), BOOKKEEPER: _n("Bookkeeper")}
ROLE_DESCRIPTIONS = {  # marked too: {{ _(role_descriptions[role]) }}
    OWNER: _n("Everything, including settings and members."),
    STAFF: _n("Customers, products, drafts; issue and send documents."),
    BOOKKEEPER: _n("Reads everything; payments, credit notes and exports."),
}

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "manage_settings": frozenset({OWNER}),
    "manage_members": frozenset({OWNER}),
    "view_audit": frozenset({OWNER, BOOKKEEPER}),  # the bookkeeper reads everything
    "view_mail": frozenset({OWNER}),
    "manage_customers": frozenset({OWNER, STAFF}),
    "manage_custom_fields": frozenset({OWNER}),
    "import_customers": frozenset({OWNER, STAFF}),
    "export": frozenset({OWNER, STAFF, BOOKKEEPER}),
    "manage_products": frozenset({OWNER, STAFF}),
    "manage_tax_rates": frozenset({OWNER}),
    "edit_drafts": frozenset({OWNER, STAFF}),
    "issue_documents": frozenset({OWNER, STAFF}),
    "record_payments": frozenset({OWNER, STAFF, BOOKKEEPER}),
    "void_payments": frozenset({OWNER, BOOKKEEPER}),
    "correct_documents": frozenset({OWNER, BOOKKEEPER}),  # credit notes, cancel, change recipient, reactivate
    "add_notes": frozenset(ROLES),
    "manage_api": frozenset({OWNER}),  # API tokens and webhooks
    "book_purchases": frozenset({OWNER, BOOKKEEPER}),  # suppliers' invoices: enter, book, pay
    "upload_purchases": frozenset(ROLES),
    "reconcile_bank": frozenset({OWNER, BOOKKEEPER}),  # bank statements: import, match, confirm
    "manage_expense_categories": frozenset({OWNER, BOOKKEEPER}),  # the list purchase lines are booked to  # the purchases inbox: a supplier's file becomes a draft to book
}


def can(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role in PERMISSIONS[permission]
