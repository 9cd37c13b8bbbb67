"""Use cases: one function per user action, shared by the web and the JSON API.

Each takes the ``Actor`` (user + organization + role), the ids it acts on and a typed input (a dataclass),
checks permission and state, validates, takes the locks it needs, changes the rows through the services and
returns a result, or raises ``ActionError`` (one type, with a stable code). It flushes and never commits:
the caller's unit of work (``webapp.web.uow`` for requests) commits once.

Adding an action: write the function here (permission via ``actor.require``, the object via ``load`` or
``lock``, the rule in a service when another use case needs it too), decorate it with ``@usecase``, and call
it from the route (parse -> one call -> render) and later from the API route with the same input.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from webapp.domain.errors import ActionError, Forbidden, NotFound, Text
from webapp.domain.roles import can
from webapp.extensions import db
from webapp.models import Organization, User

M = TypeVar("M")
F = TypeVar("F", bound=Callable)

__all__ = ["Actor", "ActionError", "Forbidden", "NotFound", "load", "usecase"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a member (user + organization + role), or the customer at a link (``user`` and ``role`` None)."""

    org: Organization
    user: User | None
    role: str | None

    def can(self, permission: str) -> bool:
        return self.role is not None and can(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden()

    @property
    def email(self) -> str:
        return self.user.email if self.user is not None else ""


STALE_MESSAGE = Text("Someone else changed this draft at the same moment. You now see the current state.")


def usecase(fn: F) -> F:
    """Flush at the end, so a refused write is an ``ActionError`` here and not a surprise at commit; a version
    conflict of the ORM (another request changed the row) becomes ``document_changed``."""

    @wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.flush()
        except StaleDataError as exc:
            raise ActionError("document_changed", STALE_MESSAGE) from exc
        except IntegrityError as exc:  # a unique rule checked before, broken by a request at the same moment
            if "uq_document_order_reference" in str(exc.orig) or "document.order_reference" in str(exc.orig):
                raise ActionError("order_already_invoiced", Text("Another request invoiced this order at the same "
                                                          "moment: one order, one invoice."),
                                  "order_reference") from exc
            if "uq_contact_external_id" in str(exc.orig) or "contact.external_id" in str(exc.orig):
                raise ActionError("external_id_taken", Text("Another request gave a customer this identifier at the "
                                                            "same moment."), "external_id") from exc
            if "uq_document_org_id_kind_flow_number" in str(exc.orig) or "document.number" in str(exc.orig):
                raise ActionError("number_taken", Text("Another request used this number at the same moment."),
                                  "number") from exc
            if "uq_vat_registration_org_id_country" in str(exc.orig) or "vat_registration.country" in str(exc.orig):
                raise ActionError("vat_registration_exists", Text("Another request added a registration in this "
                                                                  "country at the same moment."), "country") from exc
            if "uq_bank_transaction_identity" in str(exc.orig) or "bank_transaction.identity" in str(exc.orig):
                raise ActionError("bank_imported_meanwhile", Text("Another import took entries of this statement at "
                                                                  "the same moment: import it again to add the rest."),
                                  "file") from exc
            raise
        return result

    return wrapped  # type: ignore[return-value]


def load(actor: Actor, model: type[M], object_id: int | None, what: str = "object") -> M:
    """The actor's organization's object, or ``NotFound`` (another organization's object is never confirmed)."""
    obj = None
    if object_id:
        obj = db.session.scalar(select(model).where(model.org_id == actor.org.id, model.id == object_id))
    if obj is None:
        raise NotFound(what)
    return obj
