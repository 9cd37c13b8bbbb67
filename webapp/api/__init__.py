"""The JSON API at /api/v1: the same use cases as the browser, with token auth and problem details.

- ``auth.py``: the token (Bearer, or HTTP Basic with the token as password) becomes the ``Actor`` of the use
  cases: the token's organization, its role, and its maker's id for "created by" and the audit log.
- ``problems.py``: every error as RFC 9457 problem details.
- ``schemas.py``: the pydantic models that validate requests and describe answers; ``spec`` (spectree) turns
  them into the OpenAPI 3.1 document at /api/v1/openapi.json.
- ``spec.py``: the blueprint and spectree; ``routes.py`` imports every module below, so their routes register.
- one module per resource: ``customers.py``, ``invoices.py`` ...

Requests run in the app's unit of work (one commit per request, rolled back at 400 and above).
"""
