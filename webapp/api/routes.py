"""Every module of the API, imported so their routes register on the blueprint (``create_app`` imports this)."""
from webapp.api import actions, base, catalog, customers, invoices, openapi  # noqa: F401 - routes register on bp
from webapp.api import bank, purchases, webhooks  # noqa: F401 - bank statements; the purchases inbox; webhooks
from webapp.api.spec import bp

__all__ = ["bp"]
