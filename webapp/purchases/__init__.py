"""Purchases: the suppliers' invoices list and the inbox (issue 17); a purchase's own page and editor are the
invoices blueprint's (``invoices.show``), read the other way round."""
from flask import Blueprint

bp = Blueprint("purchases", __name__)
