"""Document statuses and the one table of allowed actions. Templates ask it which buttons to show."""
from __future__ import annotations

DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
STATUS_LABELS = {DRAFT: "Draft", ISSUED: "Issued", CANCELLED: "Cancelled"}

# (kind, status) -> actions allowed in that status
ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    ("invoice", DRAFT): frozenset({"edit", "issue", "delete", "duplicate"}),
    ("invoice", ISSUED): frozenset({"send", "duplicate"}),
    ("invoice", CANCELLED): frozenset({"duplicate"}),
}
# action -> permission of the acting member (domain/roles.py)
ACTION_PERMISSIONS = {
    "edit": "edit_drafts",
    "issue": "issue_documents",
    "delete": "edit_drafts",
    "duplicate": "edit_drafts",
    "send": "issue_documents",
}


class TransitionError(Exception):
    """The action is not allowed in the document's status."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def allowed(kind: str, status: str, action: str) -> bool:
    return action in ACTIONS.get((kind, status), frozenset())


def require(kind: str, status: str, action: str) -> None:
    if not allowed(kind, status, action):
        label = STATUS_LABELS.get(status, status).lower()
        if status != DRAFT and action in {"edit", "delete", "issue"}:
            raise TransitionError(f"This {kind.replace('_', ' ')} is {label}: issued documents are never changed. "
                                  "Corrections go through a credit note.")
        raise TransitionError(f"A {label} {kind.replace('_', ' ')} cannot be {action}d.")
