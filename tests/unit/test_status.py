"""The state model of domain/status.py: transitions, refusal codes and the payment/balance states."""
from __future__ import annotations

import itertools

import pytest

from webapp.domain import status as s
from webapp.domain.errors import ActionError


def test_the_transitions_lead_where_the_brief_says():
    assert s.next_status("invoice", "draft", "issue") == "issued"
    assert s.next_status("quote", "draft", "issue") == "sent"
    assert s.next_status("credit_note", "draft", "issue") == "issued"
    assert s.next_status("invoice", "issued", "cancel") == "cancelled"
    assert s.next_status("quote", "sent", "accept") == "accepted"
    assert s.next_status("quote", "sent", "decline") == "declined"
    assert s.next_status("invoice", "issued", "pay") == "issued"  # an action that keeps the status
    assert s.next_status("invoice", "cancelled", "reactivate") == "cancelled"  # a new draft; this one stays
    assert s.next_status("invoice", "cancelled", "refund") == "cancelled"  # only refunds follow a cancellation


def test_every_transition_is_an_allowed_action_into_a_stored_status():
    for (kind, status, action), target in s.TRANSITIONS.items():
        assert kind in s.KINDS and status in s.STATUSES and target in s.STATUSES
        assert s.allowed(kind, status, action), (kind, status, action)
    for kind, status in s.ACTIONS:
        assert kind in s.KINDS and (status in s.STATUSES or status == s.EXPIRED)
    assert s.EXPIRED not in s.STATUSES


def test_status_changes_are_those_of_the_transitions():
    changes = {(kind, old, new) for kind, old, new in itertools.product(s.KINDS, s.STATUSES, s.STATUSES)
               if old != new and s.status_change_allowed(kind, old, new)}
    assert changes == {("invoice", "draft", "issued"), ("invoice", "issued", "cancelled"),
                       ("credit_note", "draft", "issued"), ("quote", "draft", "sent"), ("quote", "sent", "accepted"),
                       ("quote", "sent", "declined")}
    assert s.status_change_allowed("invoice", "issued", "issued")


@pytest.mark.parametrize("kind, status, action, code, message", [
    ("invoice", "issued", "edit", "document_not_draft",
     "This invoice is issued: issued documents are never changed. Corrections go through a credit note."),
    ("quote", "accepted", "delete", "document_not_draft",
     "This quote is accepted: issued documents are never changed. Corrections go through a credit note."),
    ("invoice", "draft", "pay", "document_is_draft", "This invoice is a draft: issue it first."),
    ("credit_note", "draft", "send", "document_is_draft", "This credit note is a draft: issue it first."),
    ("invoice", "cancelled", "cancel", "action_not_allowed", "A cancelled invoice cannot be cancelled."),
    ("invoice", "cancelled", "pay", "document_cancelled", "This invoice is cancelled and is not to be paid: only "
     "refunds and voids of its payments can follow a cancellation."),
    ("invoice", "cancelled", "mark_paid", "document_cancelled", "This invoice is cancelled and is not to be paid: "
     "only refunds and voids of its payments can follow a cancellation."),
    ("quote", "expired", "accept", "action_not_allowed", "An expired quote cannot be accepted."),
    ("credit_note", "issued", "credit", "action_not_allowed", "An issued credit note cannot be credited."),
])
def test_refusals_carry_a_stable_code_and_the_same_message(kind, status, action, code, message):
    with pytest.raises(s.TransitionError) as refused:
        s.next_status(kind, status, action)
    error = refused.value
    assert isinstance(error, ActionError) and error.code == code and error.message == message == str(error)
    assert error.status == 422 and error.params == {"kind": kind, "status": status, "action": action}


def test_payment_state_refines_the_balance_state():
    def original(gross: int, credited: int, paid: int) -> str:  # payment_state before the balance states
        due = gross - credited - paid
        if due < 0:
            return s.OVERPAID
        if due == 0:
            return s.CREDITED if paid == 0 and credited else s.PAID
        return s.PARTIALLY_PAID if paid > 0 else s.UNPAID

    for gross, credited, paid in itertools.product((0, 100), (0, 30, 100, 130), (-20, 0, 40, 70, 100, 150)):
        balance = s.balance_state(gross, credited, paid)
        assert s.payment_state(gross, credited, paid) == original(gross, credited, paid)
        assert balance in s.BALANCE_STATES
        assert (balance in s.OPEN_BALANCE_STATES) == (gross - credited - paid > 0)


def test_a_refusal_reads_as_one_sentence_in_the_readers_language(app):
    """Each refusal is a whole sentence of the catalogs (French cannot be built from "cancelled" + "invoice"):
    the member reads it in French, the log and ``str()`` in English."""
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with pytest.raises(s.TransitionError) as refused:
            s.require("invoice", "cancelled", "cancel")
        assert refused.value.message == "Une facture annulée ne peut pas être annulée."
        assert str(refused.value) == refused.value.english == "A cancelled invoice cannot be cancelled."
        with pytest.raises(s.TransitionError) as refused:
            s.require("quote", "expired", "accept")
        assert refused.value.message == "Un devis expiré ne peut pas être accepté."
        with pytest.raises(s.TransitionError) as refused:
            s.require("credit_note", "draft", "send")
        assert (refused.value.code, refused.value.message) == (
            "document_is_draft", "Cet avoir est un brouillon : émettez-le d'abord.")


def test_every_refusal_of_the_table_is_a_sentence_of_its_own():
    """No refusal falls back to the generic sentence, and each names its document and status."""
    for (kind, status), actions in s.ACTIONS.items():
        for action in s.ACTION_PERMISSIONS:
            if action in actions:
                continue
            with pytest.raises(s.TransitionError) as refused:
                s.require(kind, status, action)
            text = refused.value.english
            assert text not in (s.REFUSAL_OTHER.english(), s.NOT_DRAFT_OTHER.english(), s.DRAFT_OTHER.english())
            assert s.KIND_LABELS[kind] in text, (kind, status, action, text)
