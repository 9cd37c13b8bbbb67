"""How the web answers a refused action (``ActionError``): in one place, never by hand in a route.

- ``with refused(form):`` a refusal rolls the transaction back and lands on the form: beside the field it
  names, or at the top of the form. The ``with`` block ends and the route re-renders the form (422).
- ``with refused(redirect=url):`` the message is flashed and the request ends with a redirect to ``url``.
- ``@on_refusal(answer)`` on a view: ``answer(error, **view_args)`` builds the response (the editor answers a
  stale draft with its current state and a 409).
- Anything not caught so: the app's handler (``init_app``) answers 404/403 with the error pages and other
  refusals with the error page carrying the message and the code's status (htmx: in the message area).
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Flask, abort, flash
from flask_babel import gettext

from webapp.domain.errors import ActionError
from webapp.web import uow


class refused:
    """Context manager: an ``ActionError`` inside rolls back and goes to ``form`` (or ``redirect``)."""

    def __init__(self, form=None, *, redirect: str | None = None, field_map: dict[str, str] | None = None,
                 default_field: str | None = None):
        self.form = form
        self.redirect = redirect
        self.field_map = field_map or {}
        self.default_field = default_field
        self.error: ActionError | None = None

    def __enter__(self) -> "refused":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or not isinstance(exc, ActionError) or exc.status in (403, 404):
            return False  # 403/404 go to the app's error pages
        self.error = exc
        uow.discard()
        if self.redirect is not None:
            from webapp.htmx import redirect_to

            flash(exc.message, "error")
            abort(redirect_to(self.redirect))
        if self.form is not None:
            attach(self.form, exc, self.field_map, self.default_field)
        return True


def attach(form, error: ActionError, field_map: dict[str, str] | None = None,
           default_field: str | None = None) -> None:
    """Put ``error``'s message beside the form field it names, else beside ``default_field``, else on top."""
    name = (field_map or {}).get(error.field or "", error.field)
    target = name if name and name in form else default_field
    if target and target in form:
        form[target].errors = [*form[target].errors, error.message]
    else:
        form.form_errors.append(error.message)


def on_refusal(answer: Callable[..., object]):
    """View decorator: a refused action rolls back and is answered by ``answer(error, **view_args)``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ActionError as exc:
                if exc.status in (403, 404):
                    raise
                uow.discard()
                return answer(exc, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask, render_error: Callable[[int, str], object]) -> None:
    @app.errorhandler(ActionError)
    def action_error(exc: ActionError):
        uow.discard()
        if exc.status == 404:
            return render_error(404, gettext("This page does not exist, or you have no access to it."))
        return render_error(exc.status, exc.message)
