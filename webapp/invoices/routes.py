"""The invoices blueprint with every route module registered on it."""
from webapp.invoices import bp
from webapp.invoices import corrections, editor, issuing, links, notes, pages, payments, quotes, sending  # noqa: F401

__all__ = ["bp"]
