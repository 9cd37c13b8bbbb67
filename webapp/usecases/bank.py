"""Bank statements (issue 18): import a file, confirm a proposed (or chosen) match as a payment, confirm every exact
match at once, set an entry aside (services/bank.py). Owners and bookkeepers (``reconcile_bank``)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from webapp.domain.errors import ActionError, text_json
from webapp.extensions import db
from webapp.models import BankCsvLayout, BankTransaction, Document, ImportJob, Payment
from webapp.models.types import utcnow
from webapp.services import bank, bank_files, bank_layouts, locks
from webapp.usecases import Actor, NotFound, load, usecase
from webapp.usecases.documents import for_action

MAX_CONFIRM_AT_ONCE = 500


@dataclass(frozen=True)
class NeedsLayout:
    """A CSV of a bank whose columns are not mapped yet: kept as ``job`` until they are (``map_csv``)."""
    job: ImportJob
    table: bank_files.CsvTable


def _read(call, *args):
    try:
        return call(*args)
    except bank_files.BankFileError as exc:
        raise ActionError(f"bank_{exc.code}", exc.text, "file") from exc


@usecase
def import_statement(actor: Actor, file_name: str, data: bytes, format: str | None = None
                     ) -> bank.Imported | NeedsLayout:
    """The file's entries not imported before, each with its proposed match; a file that cannot be read is
    refused whole (nothing stored). A CSV is read with the layout saved for its header; without one it waits
    for its columns to be mapped (``NeedsLayout``)."""
    actor.require("reconcile_bank")
    if format not in (None, "", *bank_files.FORMATS):
        raise ActionError("bank_unknown_format", "Choose CAMT.053, MT940 or CSV, or let Tallybook tell.", "format")
    try:
        read = bank_files.read(data, file_name, format or None)
    except bank_files.BankFileError as exc:
        if exc.code != "csv_needs_layout":
            raise ActionError(f"bank_{exc.code}", exc.text, "file") from exc
        table = _read(bank_files.csv_table, data)
        saved = bank_layouts.find(actor.org.id, table.header)
        if saved is None:
            return NeedsLayout(bank_layouts.pending(actor.org, actor.user, file_name, data), table)
        read = _read(bank_files.read_csv, data, bank_layouts.layout_of(saved, table))
    return bank.store(actor.org, actor.user, file_name, read)


def _pending(actor: Actor, job_id: int) -> ImportJob:
    job = load(actor, ImportJob, job_id, "import")
    if job.kind != "bank_csv":
        raise NotFound("import")
    if job.finished_at is not None:
        raise ActionError("bank_csv_imported", "This file was imported already.")
    return job


def csv_mapping(actor: Actor, job_id: int) -> NeedsLayout:
    """A CSV waiting for its layout, with what the column screen shows of it."""
    actor.require("reconcile_bank")
    job = _pending(actor, job_id)
    return NeedsLayout(job, _read(bank_files.csv_table, bank_layouts.pending_bytes(job)))


@usecase
def map_csv(actor: Actor, job_id: int, name: str, values: dict) -> bank.Imported:
    """Save the bank's layout as mapped (``bank_layouts.checked``) and import the waiting file with it; the bank's
    next export with the same header is read without asking."""
    actor.require("reconcile_bank")
    job = _pending(actor, job_id)
    data = bank_layouts.pending_bytes(job)
    table = _read(bank_files.csv_table, data)
    layout = bank_layouts.checked(table, values)
    read = _read(bank_files.read_csv, data, layout)
    bank_layouts.save(actor.org, actor.user, name, table.header, layout)
    done = bank.store(actor.org, actor.user, job.filename, read)
    job.finished_at, job.imported_count = utcnow(), len(done.new)
    return done


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


def csv_layouts(actor: Actor) -> list[BankCsvLayout]:
    actor.require("reconcile_bank")
    return bank_layouts.of(actor.org.id)


@usecase
def delete_csv_layout(actor: Actor, layout_id: int) -> BankCsvLayout:
    actor.require("reconcile_bank")
    row = load(actor, BankCsvLayout, layout_id, "CSV layout")
    bank_layouts.delete(actor.org, actor.user, row)
    return row
