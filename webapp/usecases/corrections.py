"""Corrections of issued invoices: a credit note (everything, chosen lines, or an amount), cancel, give the
invoice another recipient, reactivate a cancelled one."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from webapp.domain.errors import ActionError
from webapp.models import Contact, Document
from webapp.services import corrections, locks
from webapp.usecases import Actor, load, usecase
from webapp.usecases.documents import for_action

MODES = ("full", "lines", "amount")


@dataclass(frozen=True)
class CreditInput:
    mode: str  # full, lines, amount
    reason: str = ""
    quantities: dict[int, Decimal] = field(default_factory=dict)  # lines: invoice line id -> quantity credited
    amount: Decimal | None = None  # amount: net (with VAT for inclusive prices), in one VAT group
    group: tuple[str, str] = ("", "")  # amount: (category, rate) of one of the invoice's VAT groups


@usecase
def create_credit_note(actor: Actor, invoice_id: int, data: CreditInput) -> Document:
    """A draft credit note for the invoice (issued later, when the limits are checked again)."""
    invoice = for_action(actor, invoice_id, "credit")
    if data.mode == "full":
        return corrections.full_credit_note(actor.org, actor.user, invoice, data.reason)
    if data.mode == "lines":
        return corrections.lines_credit_note(actor.org, actor.user, invoice, data.quantities, data.reason)
    if data.mode == "amount":
        if data.amount is None:
            raise ActionError("amount_required", "Enter the amount to credit.", "amount")
        return corrections.amount_credit_note(actor.org, actor.user, invoice, data.amount, data.group, data.reason)
    raise ActionError("invalid_mode", "Choose what to credit.", "mode")


@usecase
def cancel(actor: Actor, invoice_id: int, reason: str = "") -> Document:
    """Issue a credit note for everything still creditable and mark the invoice cancelled; returns the note."""
    invoice = for_action(actor, invoice_id, "cancel", lock=True)
    return corrections.cancel(actor.org, actor.user, invoice, reason)


@usecase
def change_recipient(actor: Actor, invoice_id: int, contact_id: int, reason: str = "") -> tuple[Document, Document]:
    """Cancel the invoice and open a draft copy for another customer: (credit note, new draft)."""
    for_action(actor, invoice_id, "change_recipient")
    contact = load(actor, Contact, contact_id, "customer")
    locks.begin_write()  # the cancellation takes a credit note number
    invoice = for_action(actor, invoice_id, "change_recipient")
    contact = load(actor, Contact, contact.id, "customer")
    return corrections.change_recipient(actor.org, actor.user, invoice, contact, reason)


@usecase
def reactivate(actor: Actor, invoice_id: int) -> Document:
    """A new draft copy of a cancelled invoice, linked to it; the original stays cancelled."""
    invoice = for_action(actor, invoice_id, "reactivate")
    return corrections.reactivate(actor.org, actor.user, invoice)
