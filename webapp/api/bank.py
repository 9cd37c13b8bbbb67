"""Bank statements through the API (issue 18): a statement file in, its transactions and proposed matches out;
a match confirmed as a payment."""
from __future__ import annotations

from datetime import date

from flask import jsonify, request
from pydantic import Field
from spectree import Response as Answers

from webapp.api.base import MULTIPART_ENDPOINTS, RAW_BODY_ENDPOINTS, actor
from webapp.api.schemas import Id, Input, Output, Problem, Query, text
from webapp.api.spec import bp, spec
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.usecases import bank as bank_usecases

ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_413": Problem, "HTTP_422": Problem}
TAGS = ["Bank"]


class Proposal(Output):
    document_id: Id
    number: str = Field(description="the invoice's number (a purchase's booking number)")
    reason: str = Field(description="number (in the text), amount_iban, amount_name or amount")
    confidence: str = Field(description="exact (number and amount due), high (number), medium (amount and payer) or "
                                        "low (amount alone)")


class TransactionOut(Output):
    id: Id
    booked_on: date
    value_date: date | None
    amount: int = Field(description="minor units, signed: > 0 money in, < 0 money out")
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    reference: str
    status: str = Field(description="open, matched or ignored")
    proposal: Proposal | None
    document_id: Id | None = Field(description="the document the confirmed match paid")
    payment_id: Id | None = Field(description="the payment recorded for it")


class StatementOut(Output):
    id: Id
    format: str = Field(description="camt053, mt940 or csv")
    account_iban: str
    currency: str
    entries: int = Field(description="entries in the file")
    new: int = Field(description="entries not imported before (a statement imported again books nothing twice)")
    transactions: list[TransactionOut] = Field(description="the new entries with their proposed matches")


class StatementQuery(Query):
    file_name: str = Field("", max_length=200, description="the file's name, for a raw (not multipart) body")
    format: str = Field("", pattern=r"^(|camt053|mt940|csv)$",
                        description="camt053, mt940 or csv; empty: told by the file")


def transaction_json(txn) -> dict:
    proposed = txn.proposed_document
    return {"id": str(txn.id), "booked_on": txn.booked_on.isoformat(),
            "value_date": txn.value_date.isoformat() if txn.value_date else None, "amount": txn.amount,
            "currency": txn.currency, "counterparty_name": txn.counterparty_name,
            "counterparty_iban": txn.counterparty_iban, "remittance": txn.remittance, "reference": txn.reference,
            "status": txn.status,
            "proposal": {"document_id": str(proposed.id), "number": proposed.number or "",
                         "reason": txn.proposal_reason, "confidence": txn.confidence} if proposed else None,
            "document_id": str(txn.document_id) if txn.document_id else None,
            "payment_id": str(txn.payment_id) if txn.payment_id else None}


@bp.post("/bank-statements")
@spec.validate(query=StatementQuery, resp=Answers(HTTP_201=StatementOut, **ERRORS), tags=TAGS)
def import_bank_statement():
    """Import a bank statement

    The body is the file: `multipart/form-data` with the part `file` (and optionally `format`), or the raw bytes
    with `?file_name=`. A CAMT.053 (ISO 20022, versions 001.02 to 001.08), an MT940 statement, or a bank's CSV
    export whose column layout was saved on the Bank page (found by its header; else `bank_csv_needs_layout`,
    nothing kept): each entry not
    imported before becomes a transaction with the invoice or purchase it most likely pays (`proposal`): the
    document's number in the text and the amount due (`exact`), the number alone (`high`), the amount due and the
    payer (`medium`), or the amount alone (`low`). Importing the same or an overlapping statement again adds only
    the entries not seen before. Refused with 422, nothing stored: a file that is malformed, hostile (a DOCTYPE),
    not a statement (`bank_*` codes); a request over the server's limit (16 MB by default) gets 413. Owners and bookkeepers."""
    query: StatementQuery = request.context.query
    if "file" in request.files:
        part = request.files["file"]
        name, data = part.filename or query.file_name, part.read()
        form_format = request.form.get("format", "")
    else:
        name, data, form_format = query.file_name, request.get_data(cache=False), ""
    if not data:
        raise ActionError("file_required", "Send the file: the part \"file\" of a multipart body, or the raw body.",
                          "file")
    done = bank_usecases.import_statement(actor(), name, data, query.format or form_format or None)
    if isinstance(done, bank_usecases.NeedsLayout):  # nothing is kept: the API cannot map columns
        raise ActionError("bank_csv_needs_layout", "This bank's CSV columns are not known yet: import one of its "
                          "exports on the Bank page once and say which column holds what.", "file")
    db.session.flush()
    statement = done.statement
    response = jsonify({"id": str(statement.id), "format": statement.format, "account_iban": statement.account_iban,
                        "currency": statement.currency, "entries": statement.line_count, "new": statement.new_count,
                        "transactions": [transaction_json(t) for t in done.new]})
    response.status_code = 201
    return response


class ConfirmBody(Input):
    document_id: Id | None = Field(None, description="the invoice or purchase it pays; default: the proposal")
    number: text(60, description="or the document's number (a purchase's also by the supplier's number)") = ""


class ConfirmedOut(Output):
    transaction: TransactionOut


@bp.post("/bank-transactions/<int:transaction_id>/confirm")
@spec.validate(json=ConfirmBody, resp=Answers(HTTP_200=ConfirmedOut, **ERRORS), tags=TAGS)
def confirm_bank_transaction(transaction_id: int):
    """Confirm a bank transaction's match

    Records the transaction as a payment (money in on a sale, money out on a purchase; the other way a refund) on
    the proposed document, or the one named by `document_id` or `number`, dated as booked, with the same rules as
    any payment (an amount above what is due is recorded as an overpayment: the bookkeeper confirmed it). Voiding
    that payment opens the transaction again. Refused with 422: a transaction matched or set aside already
    (`bank_transaction_not_open`), another currency (`bank_currency_differs`), no document (`bank_no_match`)."""
    body: ConfirmBody = request.context.json or ConfirmBody()
    done = bank_usecases.confirm(actor(), transaction_id, int(body.document_id) if body.document_id else None,
                                 body.number)
    db.session.flush()
    return jsonify({"transaction": transaction_json(done.transaction)})


MULTIPART_ENDPOINTS.add("api.import_bank_statement")
RAW_BODY_ENDPOINTS.add("api.import_bank_statement")
