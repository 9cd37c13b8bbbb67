"""The current organization and the one helper every tenant-owned query goes through.

``scoped(Model)`` is a SELECT limited to the current organization; ``get_or_404``
loads one object of it or answers 404 - never 403, which would confirm that
another organization's object exists.
"""
from __future__ import annotations

from functools import wraps
from typing import TypeVar

from flask import abort, g, session
from flask_login import current_user
from sqlalchemy import Select, select

from webapp.domain.roles import can
from webapp.extensions import db
from webapp.models import Membership, Organization

M = TypeVar("M")
SESSION_ORG_KEY = "org_id"


def load_current_membership() -> Membership | None:
    """Resolve the session's organization to a membership of the logged-in user (cached in g)."""
    if "membership" in g:
        return g.membership
    membership = None
    if current_user.is_authenticated:
        wanted = session.get(SESSION_ORG_KEY)
        stmt = select(Membership).where(Membership.user_id == current_user.id)
        if wanted is not None:
            membership = db.session.scalar(stmt.where(Membership.org_id == wanted))
        if membership is None:  # no choice yet, or removed from that organization
            membership = db.session.scalar(stmt.order_by(Membership.id).limit(1))
            if membership is not None:
                session[SESSION_ORG_KEY] = membership.org_id
            else:
                session.pop(SESSION_ORG_KEY, None)
    g.membership = membership
    return membership


def current_org() -> Organization:
    membership = load_current_membership()
    if membership is None:
        abort(404)
    return membership.organization


def current_role() -> str | None:
    membership = load_current_membership()
    return membership.role if membership else None


def current_actor():
    """The acting member (user + current organization + role) for the use cases; 404 without a membership."""
    from webapp.usecases import Actor

    membership = load_current_membership()
    if membership is None:
        abort(404)
    return Actor(org=membership.organization, user=current_user._get_current_object(), role=membership.role)


def switch_org(org_id: int) -> Membership:
    """Make ``org_id`` the current organization; 404 unless the user is a member."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == current_user.id, Membership.org_id == org_id)
    )
    if membership is None:
        abort(404)
    session[SESSION_ORG_KEY] = org_id
    g.membership = membership
    return membership


def scoped(model: type[M]) -> Select:
    """SELECT of ``model`` limited to the current organization."""
    return select(model).where(model.org_id == current_org().id)


def get_or_404(model: type[M], object_id: int) -> M:
    obj = db.session.scalar(scoped(model).where(model.id == object_id))
    if obj is None:
        abort(404)
    return obj


def _guarded(view, label: str, permission_of):
    """``view`` behind log-in, a current organization and ``permission_of(role, kwargs)`` (the permission the
    role needs: 403 without it; None: the object is not the organization's, 404)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from webapp.extensions import login_manager

            return login_manager.unauthorized()
        role = current_role()
        if role is None:
            abort(404)
        permission = permission_of(kwargs)
        if permission is None:
            abort(404)
        if not can(role, permission):
            abort(403)
        return view(*args, **kwargs)

    wrapped.required_permission = label
    return wrapped


def require_document_permission(action: str):
    """Route decorator for ``/<document_id>/...``: log-in, a current organization and a role holding the
    permission ``action`` takes on that document (``domain/status.permission_for``: a purchase's is
    ``book_purchases``, a sale's the action's own); another organization's document or none is a 404."""

    def permission_of(kwargs) -> str | None:
        from webapp.domain.status import permission_for
        from webapp.models import Document

        doc = db.session.scalar(scoped(Document).where(Document.id == kwargs.get("document_id")))
        return permission_for(doc.kind, action, doc.flow) if doc is not None else None

    return lambda view: _guarded(view, f"document:{action}", permission_of)


def require_permission(permission: str):
    """Route decorator: log-in, a current organization and a role holding ``permission``."""
    return lambda view: _guarded(view, permission, lambda kwargs: permission)
