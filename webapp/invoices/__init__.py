"""Invoices, credit notes and quotes: one blueprint whose routes live in a module per concern
(``pages``, ``editor``, ``issuing``, ``payments``, ``corrections``, ``quotes``, ``sending``, ``notes``,
``links``); ``routes`` imports them all."""
from flask import Blueprint

bp = Blueprint("invoices", __name__)
