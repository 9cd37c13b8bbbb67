"""Bank statements (issue 18): import a file, confirm a proposed (or chosen) match as a payment, confirm every exact
match at once, set an entry aside (services/bank.py). Owners and bookkeepers (``reconcile_bank``)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from webapp.domain.errors import ActionError, text_json
from webapp.extensions import db
from webapp.models import BankTransaction, Document, Payment
from webapp.services import bank, bank_files, locks
from webapp.usecases import Actor, NotFound, load, usecase
from webapp.usecases.documents import for_action

MAX_CONFIRM_AT_ONCE = 500


@usecase
def import_statement(actor: Actor, file_name: str, data: bytes, format: str | None = None) -> bank.Imported:
    """The file's entries not imported before, each with its proposed match; a file that cannot be read is
    refused whole (nothing stored)."""
    actor.require("reconcile_bank")
    if format not in (None, "", *bank_files.FORMATS):
        raise ActionError("bank_unknown_format", "Choose CAMT.053, MT940 or CSV, or let Tallybook tell.", "format")
    try:
        read = bank_files.read(data, file_name, format or None)
    except bank_files.BankFileError as exc:
        raise ActionError(f"bank_{exc.code}", exc.text, "file") from exc
    return bank.store(actor.org, actor.user, file_name, read)


def _transaction(actor: Actor, transaction_id: int, lock: bool = False) -> BankTransaction:
    """The organization's transaction; ``lock``: its row locked in the write transaction begun (two members
    confirming it at once: the second finds it matched)."""
    if not lock:
        return load(actor, BankTransaction, transaction_id, "bank transaction")
    txn = db.session.scalar(select(BankTransaction).where(
        BankTransaction.org_id == actor.org.id, BankTransaction.id == transaction_id)
        .with_for_update().execution_options(populate_existing=True))
    if txn is None:
        raise NotFound("bank transaction")
    return txn


@dataclass(frozen=True)
class Confirmed:
    transaction: BankTransaction
    document: Document
    payment: Payment


def _by_number(actor: Actor, number: str) -> int:
    """The issued invoice or purchase numbered ``number`` (a purchase also by its supplier's number)."""
    number = " ".join(number.split())[:60]
    found = db.session.scalar(select(Document.id).where(
        Document.org_id == actor.org.id, Document.kind == "invoice", Document.status == "issued",
        or_(Document.number == number, Document.supplier_number == number)).order_by(Document.id).limit(1))
    if found is None:
        raise ActionError("bank_number_unknown", "No issued invoice or purchase is numbered {number}.", "number",
                          number=number)
    return found


@usecase
def confirm(actor: Actor, transaction_id: int, document_id: int | None = None, number: str = "") -> Confirmed:
    """Book the transaction as a payment on ``document_id``, or the document numbered ``number`` (default: the
    proposed match)."""
    actor.require("reconcile_bank")
    txn = _transaction(actor, transaction_id)
    if number.strip():
        document_id = _by_number(actor, number)
    document_id = document_id or txn.proposed_document_id
    if document_id is None:
        raise ActionError("bank_no_match", "Choose the invoice or purchase this transaction pays.", "document_id")
    doc = load(actor, Document, document_id, "document")
    bank.check_match(doc, txn)
    action = "pay" if bank.payment_amount(doc, txn) > 0 else "refund"
    doc = for_action(actor, document_id, action, lock=True)
    txn = _transaction(actor, transaction_id, lock=True)  # read again in the write transaction the lock began
    payment = bank.confirm(actor.org, actor.user, txn, doc)
    return Confirmed(txn, doc, payment)


@dataclass(frozen=True)
class ConfirmedAll:
    confirmed: list[Confirmed]
    refused: list[tuple[BankTransaction, dict]]  # the transaction and why (``text_json`` of the refusal)


@usecase
def confirm_exact(actor: Actor) -> ConfirmedAll:
    """Every open transaction whose proposal is exact (the number and the amount due), each as ``confirm`` books it
    and each on its own (a savepoint): one that is refused leaves the others. At most ``MAX_CONFIRM_AT_ONCE``."""
    actor.require("reconcile_bank")
    locks.begin_write()
    ids = list(db.session.scalars(select(BankTransaction.id).where(
        BankTransaction.org_id == actor.org.id, BankTransaction.status == "open",
        BankTransaction.confidence == "exact").order_by(BankTransaction.booked_on, BankTransaction.id)
        .limit(MAX_CONFIRM_AT_ONCE)))
    confirmed, refused = [], []
    for transaction_id in ids:
        txn = _transaction(actor, transaction_id, lock=True)
        savepoint = db.session.begin_nested()
        try:
            doc = load(actor, Document, txn.proposed_document_id, "document")
            action = "pay" if bank.payment_amount(doc, txn) > 0 else "refund"
            doc = for_action(actor, doc.id, action, lock=True, in_write=True)
            payment = bank.confirm(actor.org, actor.user, txn, doc)
            db.session.flush()
        except ActionError as exc:  # NotFound too: the proposed document is gone
            savepoint.rollback()
            refused.append((_transaction(actor, transaction_id), text_json(exc.text)))
            continue
        savepoint.commit()
        confirmed.append(Confirmed(txn, doc, payment))
    return ConfirmedAll(confirmed, refused)


@usecase
def set_aside(actor: Actor, transaction_id: int, ignored: bool = True) -> BankTransaction:
    actor.require("reconcile_bank")
    txn = _transaction(actor, transaction_id)
    bank.set_aside(actor.org, actor.user, txn, ignored)
    return txn
