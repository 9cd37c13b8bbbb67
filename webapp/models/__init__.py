"""All models, imported here so Alembic and the app see the whole schema."""
from webapp.models.api import ApiToken, IdempotentRequest
from webapp.models.audit import AuditEvent
from webapp.models.bank import BankCsvLayout, BankStatement, BankTransaction
from webapp.models.catalog import ExpenseCategory, Product, TaxRate
from webapp.models.contact import Contact, ContactFieldValue, CustomField, DocumentFieldValue
from webapp.models.document import Document, DocumentAdjustment, DocumentLine, DocumentLineAdjustment, DocumentNote
from webapp.models.document import DocumentDeduction, DocumentEInvoice, DocumentFile, DocumentNoteFile
from webapp.models.imports import ImportJob
from webapp.models.numbering import NumberCounter, NumberSeries
from webapp.models.org import Invitation, Membership, Organization, VatRegistration
from webapp.models.outbox import OutboxMessage
from webapp.models.payment import Payment
from webapp.models.totals import DocumentTotal, PaymentTotal
from webapp.models.user import PasswordResetToken, User
from webapp.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "IdempotentRequest",
    "AuditEvent",
    "BankCsvLayout",
    "BankStatement",
    "BankTransaction",
    "Contact",
    "ContactFieldValue",
    "CustomField",
    "DocumentFieldValue",
    "Document",
    "DocumentAdjustment",
    "DocumentDeduction",
    "DocumentEInvoice",
    "DocumentLine",
    "DocumentLineAdjustment",
    "DocumentNote",
    "DocumentFile",
    "DocumentNoteFile",
    "DocumentTotal",
    "ImportJob",
    "Product",
    "TaxRate",
    "ExpenseCategory",
    "Invitation",
    "Membership",
    "NumberCounter",
    "NumberSeries",
    "Organization",
    "VatRegistration",
    "OutboxMessage",
    "Payment",
    "PaymentTotal",
    "PasswordResetToken",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
