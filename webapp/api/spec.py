"""The API's blueprint and its spectree instance (the OpenAPI document's source); ``webapp.api.routes``
registers every module's routes on it."""
from __future__ import annotations

from flask import Blueprint
from spectree import SecurityScheme, SecuritySchemeData, SpecTree

from webapp.api import problems

bp = Blueprint("api", __name__)


def _invalid(request, response, error, instance, adapter) -> None:
    """spectree's hook before the view: a request that fails its model is a 422 problem (raised, so the
    blueprint's handler answers it and the view never runs). Query models are named ``...Query``."""
    if error is not None:
        raise problems.InvalidRequest(error, "query" if getattr(error, "title", "").endswith("Query") else "json")


spec = SpecTree(
    "flask",
    mode="strict",  # only the routes decorated with spec.validate: the API's
    title="Tallybook API",
    version="1.0.0",
    path="api/_spectree",  # spectree's own pages are not registered (see openapi.py: the document and /api/docs)
    annotations=False,
    before=_invalid,
    validation_error_status=422,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer",
                                            description="An API token (Settings -> API): `Authorization: "
                                                           "Bearer tb_...`")),
        SecurityScheme(name="basic", data=SecuritySchemeData(type="http", scheme="basic",
                                           description="The token as the password, any user name (`curl -u "
                                                          "x:tb_...`)")),
    ],
)
