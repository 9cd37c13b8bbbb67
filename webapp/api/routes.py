"""Every module of the API, imported so their routes register on the blueprint (``create_app`` imports this)."""
from webapp.api import actions, base, catalog, customers, invoices, openapi  # noqa: F401 - routes register on bp
from webapp.api import purchases, webhooks  # noqa: F401 - the purchases inbox; webhook endpoints and deliveries
from webapp.api.spec import bp

__all__ = ["bp"]
