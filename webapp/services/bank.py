"""Bank statements (issue 18): a file's entries stored once each, a match proposed for each, a match confirmed as
a payment (docs/bank.md).

``store`` takes a read ``bank_files.Statement``: every entry gets an ``identity`` (the bank's own reference of the
entry with the account, else a digest of what the entry says and how many identical entries came before it in the
file), and an entry whose identity the organization has already is skipped, so importing the same or an
overlapping statement books nothing twice. ``propose`` looks for the open document each new entry pays:

- an invoice number (or a supplier's number, for a purchase) in the remittance text, as the EPC QR code and the
  invoice ask the customer to write it: *exact* when the amount is what is due, else *high* (a partial payment,
  an overpayment);
- else the amount due and the counterparty: the IBAN seen on a match confirmed before, or the name of the
  customer or supplier: *medium*;
- else the amount due, when one open document alone has it: *low*.

The direction decides which documents: money in pays a sale (or is a supplier's refund of an overpaid purchase),
money out pays a purchase (or refunds a customer's overpaid or credited invoice). ``confirm`` records the
payment through ``services/payments.record`` (the same rules as a payment typed by hand) and marks the entry
matched; voiding that payment opens the entry again (``release``).
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from webapp.domain.errors import ActionError
from webapp.domain.money import MoneyError, to_minor
from webapp.extensions import db
from webapp.models import BankStatement, BankTransaction, Contact, Document, Organization, Payment, User
from webapp.models.types import utcnow
from webapp.services import audit, bank_files, payments
from webapp.services.calculation import MAX_AMOUNT_MINOR

TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-/._]*")
MAX_JOINED = 3  # a number the payer wrote with spaces ("INV 2026 0001") is found from up to three pieces


def normalized(number: str) -> str:
    """A document number as looked for in a text: letters and digits only, upper case ("INV-2026-0001" and
    "inv 2026/0001" are the same)."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _candidates(text: str) -> set[str]:
    """The pieces of a remittance text that could be a document number: each token with a digit, and up to
    ``MAX_JOINED`` neighbouring tokens joined."""
    tokens = [normalized(t) for t in TOKEN.findall(text.upper())]
    tokens = [t for t in tokens if t]
    found = set()
    for start in range(len(tokens)):
        joined = ""
        for piece in tokens[start:start + MAX_JOINED]:
            joined += piece
            if any(ch.isdigit() for ch in joined):
                found.add(joined)
    return found


def identity(account: str, line: bank_files.BankLine, occurrence: int, by_reference: bool = True) -> str:
    """What makes an entry the same entry when a statement is imported again: the bank's own reference of the
    entry (CAMT, MT940), else (and for a CSV, whose reference column may be the payer's) what it says."""
    if line.reference and by_reference:
        key = f"ref|{account}|{line.reference}"
    else:
        key = "|".join(("entry", account, line.booked_on.isoformat(), f"{line.amount:f}", line.currency,
                        line.counterparty_iban, line.counterparty_name, line.remittance, line.end_to_end_id,
                        line.reference, str(occurrence)))
    return hashlib.sha256(key.encode()).hexdigest()


def _minor(amount, currency: str, number: int) -> int:
    try:
        minor = to_minor(amount, currency)
    except MoneyError as exc:
        raise ActionError("bank_invalid_amount", "Entry {number}: the amount {amount} does not fit {currency}.",
                          "file", number=number, amount=f"{amount:f}"[:30], currency=currency) from exc
    if abs(minor) >= MAX_AMOUNT_MINOR:
        raise ActionError("bank_amount_too_large", "Entry {number}: the amount {amount} is too large.", "file",
                          number=number, amount=f"{amount:f}"[:30])
    if minor == 0:
        raise ActionError("bank_amount_zero", "Entry {number}: an amount of 0 moves nothing.", "file", number=number)
    return minor


@dataclass(frozen=True)
class Imported:
    statement: BankStatement
    new: list[BankTransaction]
    known: int  # entries imported before (skipped)


def store(org: Organization, actor: User, file_name: str, read: bank_files.Statement) -> Imported:
    """The statement and its entries not imported before, each with its proposed match."""
    if not read.lines:
        raise ActionError("bank_no_entries", "This statement has no booked entries.", "file")
    # the account as the file names it: an IBAN, else (an MT940 of a German bank) bank code and account number
    account = "".join((read.account_iban or read.account_id).split()).upper()[:34]
    rows, seen = [], Counter()
    for number, line in enumerate(read.lines, start=1):
        currency = (line.currency or read.currency).upper()
        content = (line.booked_on, line.amount, currency, line.counterparty_iban, line.counterparty_name,
                   line.remittance, line.end_to_end_id, line.reference)
        seen[content] += 1
        rows.append((identity(account, line, seen[content], read.format != "csv"), _minor(line.amount, currency, number),
                     currency, line))
    known = _known(org.id, [r[0] for r in rows])
    statement = BankStatement(org_id=org.id, format=read.format, file_name=file_name[:200], account_iban=account[:34],
                              currency=read.currency.upper()[:3], statement_ref=read.statement_id[:100],
                              opening_balance=_balance(read.opening_balance, read.currency),
                              closing_balance=_balance(read.closing_balance, read.currency),
                              line_count=len(rows), uploaded_by_id=actor.id)
    db.session.add(statement)
    db.session.flush()
    new = []
    for key, minor, currency, line in rows:
        if key in known:
            continue
        known.add(key)
        new.append(BankTransaction(
            org_id=org.id, statement_id=statement.id, identity=key, booked_on=line.booked_on,
            value_date=line.value_date, amount=minor, currency=currency[:3],
            counterparty_name=line.counterparty_name[:200], counterparty_iban="".join(line.counterparty_iban.split())
            .upper()[:34], remittance=line.remittance[:2000], reference=line.reference[:100],
            end_to_end_id=line.end_to_end_id[:100]))
    statement.new_count = len(new)
    propose(org, new)
    if new:  # one executemany INSERT and one SELECT of the rows, not a statement per entry
        now = utcnow()
        for txn in new:
            txn.status, txn.created_at = "open", now
        columns = [c.key for c in BankTransaction.__table__.columns if c.key != "id"]
        db.session.execute(insert(BankTransaction.__table__), [{key: getattr(txn, key) for key in columns}
                                                               for txn in new])
        stored = {txn.identity: txn for txn in db.session.scalars(select(BankTransaction).where(
            BankTransaction.org_id == org.id, BankTransaction.statement_id == statement.id))}
        new = [stored[txn.identity] for txn in new]
    audit.record(org, actor, "bank_statement.imported", statement,
                 summary=f"{actor.email} imported {file_name} ({statement.format_label}): {len(new)} new of "
                         f"{len(rows)} entries", new=len(new), entries=len(rows))
    return Imported(statement, new, len(rows) - len(new))


def _known(org_id: int, keys: list[str]) -> set[str]:
    """The identities the organization has already (two imports at once: the unique rule stops the second)."""
    if not keys:
        return set()
    return set(db.session.scalars(select(BankTransaction.identity).where(
        BankTransaction.org_id == org_id, BankTransaction.identity.in_(keys))))


def _balance(amount, currency: str) -> int | None:
    if amount is None or not currency:
        return None
    try:
        return to_minor(amount, currency.upper())
    except MoneyError:
        return None


# --- proposals ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenDocument:
    id: int
    flow: str
    currency: str
    amount_due: int
    contact_id: int | None
    numbers: tuple[str, ...]  # normalized: its number, and a purchase's supplier's number
    words: frozenset[str]  # of its customer's or supplier's name (``_words``)


def _open_documents(org_id: int) -> list[OpenDocument]:
    """The organization's issued invoices and purchases with something due (or something to pay back), with their
    contacts' names: one query, whatever the number of documents."""
    rows = db.session.execute(
        select(Document.id, Document.flow, Document.currency, Document.amount_due, Document.contact_id,
               Document.number, Document.supplier_number, Contact.company_name, Contact.person_name)
        .outerjoin(Contact, Contact.id == Document.contact_id)
        .where(Document.org_id == org_id, Document.kind == "invoice", Document.status == "issued",
               Document.amount_due != 0)
        .order_by(Document.due_date, Document.id))
    words: dict[tuple[str, str], frozenset[str]] = {}  # a customer's name is folded once
    found = []
    for id_, flow, currency, due, contact_id, number, supplier_number, company, person in rows:
        key = (company or "", person or "")
        if key not in words:
            words[key] = frozenset(_words(" ".join(key)))
        found.append(OpenDocument(id_, flow, currency, int(due), contact_id, tuple(
            n for n in (normalized(number or ""), normalized(supplier_number or "")) if n), words[key]))
    return found


def _pays(doc: OpenDocument, amount: int, currency: str) -> bool:
    """Whether money of ``amount`` (signed as the account sees it) goes the way ``doc`` is open: a sale is paid in
    (or refunded out, when it owes money back), a purchase is paid out (or refunded in)."""
    if doc.currency != currency:
        return False
    toward = amount if doc.flow == "sales" else -amount  # as a payment on the document: > 0 pays, < 0 refunds
    return (toward > 0) == (doc.amount_due > 0)


def _settles(doc: OpenDocument, amount: int) -> bool:
    return abs(amount) == abs(doc.amount_due)


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})  # banks write MUELLER for Müller


def _words(name: str) -> set[str]:
    """The words of a name that tell it apart (legal forms and short words left out), folded as banks write them."""
    return {w for w in re.findall(r"[^\W_]+", name.lower().translate(_FOLD)) if len(w) > 2 and w not in _COMMON_WORDS}


_COMMON_WORDS = {"gmbh", "ltd", "inc", "sarl", "sas", "und", "and", "the", "der", "die", "das", "co", "kg", "ag",
                 "llc", "mbh", "ohg", "ug", "bv", "nv", "srl", "spa", "gbr", "e.k"}


def propose(org: Organization, transactions: list[BankTransaction]) -> None:
    """Each transaction's proposed match (``proposed_document_id``, ``proposal_reason``, ``confidence``), or none.
    The open documents with their contacts' names are read once (one query), the IBANs of earlier matches once."""
    if not transactions:
        return
    documents = _open_documents(org.id)
    by_number: dict[str, list[OpenDocument]] = defaultdict(list)
    by_amount: dict[tuple[str, int], list[OpenDocument]] = defaultdict(list)
    for doc in documents:
        for number in doc.numbers:
            by_number[number].append(doc)
        by_amount[(doc.currency, abs(doc.amount_due))].append(doc)
    ibans = {t.counterparty_iban for t in transactions if t.counterparty_iban}
    known_ibans: dict[str, set[int]] = defaultdict(set)
    if ibans:
        for iban, contact_id in db.session.execute(
                select(BankTransaction.counterparty_iban, Document.contact_id)
                .join(Document, Document.id == BankTransaction.document_id)
                .where(BankTransaction.org_id == org.id, BankTransaction.counterparty_iban.in_(ibans),
                       BankTransaction.status == "matched").distinct()):
            known_ibans[iban].add(contact_id)
    for txn in transactions:
        txn.proposed_document_id, txn.proposal_reason, txn.confidence = _proposal(
            txn, by_number, by_amount, known_ibans)


def _proposal(txn: BankTransaction, by_number, by_amount, known_ibans) -> tuple[int | None, str, str]:
    text = " ".join((txn.remittance, txn.end_to_end_id))
    hits = []
    for candidate in _candidates(text):
        hits.extend(d for d in by_number.get(candidate, ()) if _pays(d, txn.amount, txn.currency))
    if hits:
        exact = [d for d in hits if _settles(d, txn.amount)]
        if exact:
            return exact[0].id, "number", "exact"
        return hits[0].id, "number", "high"
    same = [d for d in by_amount.get((txn.currency, abs(txn.amount)), ()) if _pays(d, txn.amount, txn.currency)]
    if not same:
        return None, "", ""
    by_iban = [d for d in same if d.contact_id in known_ibans.get(txn.counterparty_iban, ())]
    if by_iban:
        return by_iban[0].id, "amount_iban", "medium"
    words = _words(txn.counterparty_name)
    by_name = [d for d in same if words & d.words]
    if by_name:
        return by_name[0].id, "amount_name", "medium"
    if len(same) == 1:
        return same[0].id, "amount", "low"
    return None, "", ""


# --- confirming --------------------------------------------------------------------------------------------

def payment_amount(doc: Document, txn: BankTransaction) -> int:
    """The entry as a payment on ``doc`` (minor units): > 0 pays it, < 0 refunds. Money in pays a sale; money out
    pays a purchase."""
    return txn.amount if doc.flow == "sales" else -txn.amount


def check_match(doc: Document, txn: BankTransaction) -> None:
    if txn.status != "open":
        raise ActionError("bank_transaction_not_open", "This bank transaction is matched or set aside already.")
    if doc.currency != txn.currency:
        raise ActionError("bank_currency_differs", "The transaction is in {currency}; {number} is in {other}.",
                          "document_id", currency=txn.currency, number=doc.number or f"#{doc.id}",
                          other=doc.currency)
    if doc.kind != "invoice":
        raise ActionError("bank_not_an_invoice", "A bank transaction pays an invoice or a purchase.", "document_id")


def confirm(org: Organization, actor: User, txn: BankTransaction, doc: Document) -> Payment:
    """Record the entry as a payment (or refund) on the locked document ``doc`` and mark it matched (the caller
    locked the entry's row: it is confirmed once). The member confirmed the match: an amount above what is due is
    recorded as an overpayment. A fresh payment key each time: a voided match may be confirmed again."""
    check_match(doc, txn)
    payment = payments.record(org, actor, doc, payments.PaymentInput(
        amount=payment_amount(doc, txn), paid_on=txn.booked_on, method="bank_transfer",
        reference=(txn.reference or txn.end_to_end_id)[:100], note=txn.remittance[:500],
        key=f"bank-{txn.id}-{uuid.uuid4().hex[:12]}", allow_overpayment=True))
    txn.status, txn.document_id, txn.payment_id = "matched", doc.id, payment.id
    txn.confirmed_at, txn.confirmed_by_id = utcnow(), actor.id
    audit.record(org, actor, "bank_transaction.matched", doc,
                 summary=f"{actor.email} matched a bank transaction of {txn.booked_on} to {doc.number}",
                 transaction_id=txn.id, payment_id=payment.id)
    return payment


def set_aside(org: Organization, actor: User, txn: BankTransaction, ignored: bool) -> None:
    """An entry that pays no document (bank fees, a transfer between own accounts) is set aside; or back."""
    if ignored and txn.status != "open":
        raise ActionError("bank_transaction_not_open", "This bank transaction is matched or set aside already.")
    if not ignored and txn.status != "ignored":
        raise ActionError("bank_transaction_not_ignored", "This bank transaction is not set aside.")
    txn.status = "ignored" if ignored else "open"
    audit.record(org, actor, "bank_transaction.ignored" if ignored else "bank_transaction.reopened", txn,
                 summary=f"{actor.email} {'set aside' if ignored else 'reopened'} a bank transaction of "
                         f"{txn.booked_on}", transaction_id=txn.id)


def release(payment: Payment) -> None:
    """A payment recorded from a bank transaction was voided: the transaction waits for a match again."""
    db.session.execute(update(BankTransaction).where(BankTransaction.payment_id == payment.id).values(
        status="open", document_id=None, payment_id=None, confirmed_at=None, confirmed_by_id=None)
        .execution_options(synchronize_session="fetch"))
