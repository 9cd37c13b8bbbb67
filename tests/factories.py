"""Factories for every model; they flush and commit so views see the rows."""
from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING

from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.models import Invitation, Membership, Organization, OutboxMessage, User
from webapp.models.types import utcnow
from webapp.services import drafts, issuing, orgs
from webapp.services.tokens import new_token

if TYPE_CHECKING:
    from webapp.models import Contact, CustomField, Document, Product

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def password_hash(password: str) -> str:
    if password not in _hash_cache:  # scrypt is slow on purpose; hash each test password once
        _hash_cache[password] = generate_password_hash(password, method="scrypt")
    return _hash_cache[password]


def user(email: str | None = None, password: str = PASSWORD, name: str = "") -> User:
    n = next(_seq)
    u = User(email=(email or f"user{n}@example.com").lower(), name=name or f"User {n}",
             password_hash=password_hash(password))
    db.session.add(u)
    db.session.commit()
    return u


def organization(owner: User | None = None, name: str | None = None, country: str = "DE") -> Organization:
    owner = owner or user()
    org = orgs.create_organization(name or f"Org {next(_seq)}", country, owner)
    db.session.commit()
    return org


def member(org: Organization, role: str, u: User | None = None) -> Membership:
    u = u or user()
    m = Membership(org_id=org.id, user_id=u.id, role=role)
    db.session.add(m)
    db.session.commit()
    return m


def invitation(org: Organization, email: str = "invitee@example.com", role: str = "staff",
               expired: bool = False) -> tuple[Invitation, str]:
    token, token_hash = new_token()
    inv = Invitation(org_id=org.id, email=email, role=role, token_hash=token_hash,
                     expires_at=utcnow() + (timedelta(days=-1) if expired else timedelta(days=7)))
    db.session.add(inv)
    db.session.commit()
    return inv, token


def outbox_message(org: Organization | None = None, to: str = "someone@example.com",
                   subject: str = "Hello") -> OutboxMessage:
    msg = OutboxMessage(org_id=org.id if org else None, kind="test", sender="Tallybook <no-reply@tallybook.test>",
                        to_addrs=to, subject=subject, body_text="Body https://tallybook.test/x",
                        message_id=f"<{next(_seq)}@tallybook.test>")
    db.session.add(msg)
    db.session.commit()
    return msg


def contact(org: Organization, company: str = "", person: str = "", email: str = "", country: str = "DE",
            custom: dict | None = None, **values) -> "Contact":
    from webapp.models import Contact
    from webapp.services import contacts

    c = Contact(org_id=org.id)
    n = next(_seq)
    fields = contacts.custom_fields(org.id)
    contacts.apply(c, {"company_name": company or ("" if person else f"Company {n}"), "person_name": person,
                       "email": email, "country": country, **values}, custom or {}, fields)
    db.session.add(c)
    db.session.commit()
    return c


def custom_field(org: Organization, key: str, type: str = "text", options: list | None = None,
                 label: str | None = None, applies_to: str = "customer") -> "CustomField":
    from webapp.models import CustomField

    f = CustomField(org_id=org.id, key=key, label=label or key.title(), type=type, options=options or [],
                    applies_to=applies_to)
    db.session.add(f)
    db.session.commit()
    return f


def product(org: Organization, name: str = "Widget", price: str = "10.00", **values) -> "Product":
    from decimal import Decimal

    from webapp.models import Product

    p = Product(org_id=org.id, name=name, unit_price=Decimal(price), **values)
    p.refresh_search()
    db.session.add(p)
    db.session.commit()
    return p


def complete_org(org: Organization) -> Organization:
    """Give ``org`` the details an invoice must carry."""
    org.legal_name, org.street, org.postal_code, org.city = org.legal_name or org.name, "Hauptstr. 1", "10115", "Berlin"
    org.country, org.vat_id, org.iban = org.country or "DE", "DE136695976", "DE89370400440532013000"
    db.session.commit()
    return org


def draft(org: Organization, contact_=None, lines=(("Widget", "2", "10.00"),), actor=None) -> "Document":
    from decimal import Decimal


    actor = actor or next(m.user for m in org.memberships if m.role == "owner")
    contact_ = contact_ or contact(org, "Buyer GmbH")
    doc = drafts.new_draft(org, actor, contact_)
    for description, quantity, price in lines:
        line = drafts.add_line(org, doc)
        drafts.update_line(doc, line, {"description": description, "quantity": Decimal(quantity),
                                          "unit_price": Decimal(price)})
    db.session.commit()
    return doc


def issued(org: Organization, **kwargs) -> "Document":

    doc = draft(org, **kwargs)
    actor = next(m.user for m in org.memberships if m.role == "owner")
    issuing.issue(org, actor, doc)
    db.session.commit()
    return doc


def api_token(org: Organization, role: str = "owner", name: str = "Shop") -> tuple:
    """A new API token of ``org`` acting as ``role``: (row, the token itself)."""
    from webapp.services import api_tokens

    creator = next((m.user for m in org.memberships if m.role == "owner"), None) or member(org, "owner").user
    row, token = api_tokens.create(org, creator, name, role, None)
    db.session.commit()
    return row, token


def bank_transaction(org: Organization, amount: int = 2380, remittance: str = "Payment") -> "BankTransaction":  # noqa: F821
    """An open bank transaction of ``org`` (in a statement of its own)."""
    from datetime import date

    from webapp.models import BankStatement, BankTransaction

    statement = BankStatement(org_id=org.id, format="camt053", file_name="statement.xml", account_iban="", currency="EUR",
                              statement_ref="", line_count=1, new_count=1)
    db.session.add(statement)
    db.session.flush()
    txn = BankTransaction(org_id=org.id, statement_id=statement.id, identity=f"t{statement.id}", booked_on=date.today(),
                          amount=amount, currency="EUR", remittance=remittance)
    db.session.add(txn)
    db.session.commit()
    return txn
