"""The purchases inbox through the API (issue 17): a supplier's file becomes a purchase draft."""
from __future__ import annotations

from flask import jsonify, request, url_for
from pydantic import Field
from spectree import Response as Answers

from webapp.api.base import MULTIPART_ENDPOINTS, RAW_BODY_ENDPOINTS, actor
from webapp.api.invoices import InvoiceOut, _details, invoice_json
from webapp.api.schemas import Id, Output, Problem, Query
from webapp.api.spec import bp, spec
from webapp.domain.errors import ActionError, text_from_json
from webapp.extensions import db
from webapp.services import purchases
from webapp.usecases.expense_categories import list_categories
from webapp.usecases.inbox import Upload, receive_files

ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_413": Problem, "HTTP_422": Problem}
TAGS = ["Purchases"]


class Finding(Output):
    rule: str
    flag: str = Field(description="fatal, warning or information")
    message: str
    location: str = ""


class Difference(Output):
    where: str
    stated: int = Field(description="what the supplier's document states, minor units")
    calculated: int = Field(description="what Tallybook's calculator gets, minor units")


class FileOut(Output):
    id: Id
    file_name: str
    media_type: str
    size: int
    e_invoice: bool = Field(description="true: read as an e-invoice; false: attached for entry by hand")
    syntax: str = Field(description="cii or ubl; empty when not an e-invoice")
    rules: str = Field(description="the official rules it was checked with")
    findings: list[Finding] = Field(description="the official rules' findings (fatal ones included)")
    notes: list[str] = Field(description="what the import could not take as written")


class ImportOut(Output):
    invoice: InvoiceOut
    file: FileOut
    differences: list[Difference] = Field(
        description="where Tallybook's calculator gets another figure than the supplier's stated totals")


class ImportQuery(Query):
    file_name: str = Field("", max_length=200, description="the file's name, for a raw (not multipart) body")


def import_json(doc, file) -> dict:
    return {"invoice": _details(doc, invoice_json(doc)),
            "file": {"id": str(file.id), "file_name": file.file_name, "media_type": file.file_mime,
                     "size": file.file_size, "e_invoice": bool(file.syntax), "syntax": file.syntax,
                     "rules": file.rules, "findings": file.findings or [],
                     "notes": [str(text_from_json(n)) for n in file.notes or []]},
            "differences": [{"where": str(d.where), "stated": d.stated, "calculated": d.calculated}
                            for d in purchases.differences(doc)]}


@bp.post("/purchases/import")
@spec.validate(query=ImportQuery, resp=Answers(HTTP_201=ImportOut, **ERRORS), tags=TAGS)
def import_purchase():
    """Import a supplier's invoice (the inbox)

    The body is the file: `multipart/form-data` with the part `file`, or the raw bytes (`application/xml`,
    `application/pdf`, an image) with `?file_name=`. An XRechnung, UBL or CII XML, or a Factur-X / ZUGFeRD PDF,
    becomes a purchase draft (`flow: purchases`) with its supplier (matched by VAT ID, then name; added when new),
    number, dates, lines and the totals as the supplier states them; the official EN 16931 (and XRechnung) rules'
    findings come with it, and `differences` names where Tallybook's calculator gets another figure. Another PDF
    or an image becomes an empty draft with the file attached. Refused with 422, nothing stored: a file that is
    malformed, hostile (a DOCTYPE), not an invoice, larger than 20 MB (`file_*` codes), or a duplicate (the same
    file: `duplicate_file`; the same supplier and number: `duplicate_number`)."""
    query: ImportQuery = request.context.query
    if "file" in request.files:
        part = request.files["file"]
        upload = Upload(part.filename or query.file_name, part.read())
    else:
        upload = Upload(query.file_name, request.get_data(cache=False))
    if not upload.data:
        raise ActionError("file_required", "Send the file: the part \"file\" of a multipart body, or the raw body.",
                          "file")
    (outcome,) = receive_files(actor(), [upload])
    if outcome.error is not None:
        raise outcome.error
    db.session.flush()
    response = jsonify(import_json(outcome.document, outcome.file))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_invoice", document_id=outcome.document.id)
    return response


class CategoryOut(Output):
    id: Id
    name: str
    account: str = Field(description="The account number of the chart of accounts; empty: none")
    archived: bool


class CategoryList(Output):
    data: list[CategoryOut]


@bp.get("/expense-categories")
@spec.validate(resp=Answers(HTTP_200=CategoryList, **ERRORS), tags=TAGS)
def list_expense_categories():
    """List the expense categories

    What purchase items name as `expense_category_id` (kept on the purchases' "Expense categories" page), by name,
    the archived ones too (they stay on the items that have them and are refused on others)."""
    rows = list_categories(actor())
    return jsonify({"data": [{"id": str(c.id), "name": c.name, "account": c.account, "archived": c.archived}
                             for c in rows]})


MULTIPART_ENDPOINTS.add("api.import_purchase")
RAW_BODY_ENDPOINTS.add("api.import_purchase")
