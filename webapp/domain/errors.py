"""The one error type every use case raises: a refused action with a stable code.

``code`` is a stable, machine-readable name (``document_not_draft``, ``amount_zero`` ...): the web turns the
error into a 422/409 page or partial with ``message`` beside ``field``; the JSON API turns it into a problem
body with the code and a pointer to the field. Pure Python: nothing here knows Flask or SQLAlchemy.
"""
from __future__ import annotations

# codes whose HTTP status is not 422 (the default: the input cannot be processed)
STATUS_BY_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "document_changed": 409,  # a stale version: someone else changed it meanwhile
    "already_done": 409,  # e.g. issued a moment ago by a double click
    "idempotency_key_reused": 409,
}


class ActionError(Exception):
    """A refused action. ``field`` names the input the message belongs to (None: the whole action)."""

    def __init__(self, code: str, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.params = params

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 422)

    def __repr__(self) -> str:
        return f"ActionError({self.code!r}, {self.message!r}, field={self.field!r})"


class NotFound(ActionError):
    def __init__(self, what: str = "object"):
        super().__init__("not_found", f"This {what} does not exist, or you have no access to it.")


class Forbidden(ActionError):
    def __init__(self, message: str = "Your role in this organization does not allow this."):
        super().__init__("forbidden", message)
