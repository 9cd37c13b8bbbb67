"""Sending an issued document by e-mail: one outbox row in the same transaction, the document marked sent.
The dialog's idempotency key makes a dialog sent twice queue one message. A program (the API) sends a
``Message``: what it leaves out is what the dialog pre-fills (``services.sending.draft_for``)."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, OutboxMessage
from webapp.services import sending
from webapp.services.sending import Draft, Message
from webapp.usecases import Actor, usecase
from webapp.usecases.documents import for_action

__all__ = ["Draft", "Message", "send", "send_checked"]


@usecase
def send(actor: Actor, document_id: int, draft: Draft | Message) -> tuple[Document, OutboxMessage]:
    doc = for_action(actor, document_id, "send")
    return doc, send_checked(actor, doc, draft)


def send_checked(actor: Actor, doc: Document, draft: Draft | Message) -> OutboxMessage:
    """Send ``doc``, already loaded and checked for "send" (``send`` above; ``issuing.create_issued`` right
    after issuing it, in the same transaction)."""
    if isinstance(draft, Message):
        draft = sending.draft_for(doc, actor.org, draft)
    draft = sending.check(draft)
    message = sending.already_sent(actor.org, draft.key)
    if message is None:
        try:
            with db.session.begin_nested():
                message = sending.send(actor.org, actor.user, doc, draft)
        except IntegrityError:  # the same dialog sent twice at once: the other request queued it
            message = sending.already_sent(actor.org, draft.key)
            if message is None:
                raise
    if not sending.matches(message, doc, actor.org, draft):
        # the key was used for another message (changed after sending, or another invoice's form)
        raise ActionError("idempotency_key_reused", "This form was already used to send a message, so nothing was "
                          "sent. Reload the page to send another one.", "key")
    return message
