"""Customers and suppliers: list (filters by e-mail, text and custom fields), create, read, change, archive and
restore, the address as its own sub-resource. Field names as seed 002 has them (``company``, ``email``,
``locale``, ``given_name``/``family_name`` ...). Every write goes through ``usecases.customers``, the web's."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from flask import Response, g, jsonify, request, url_for
from flask_babel import gettext
from pydantic import AliasChoices, Field
from spectree import Response as Answers
from sqlalchemy.orm import selectinload

from webapp.api import problems
from webapp.api.spec import bp, spec
from webapp.api.base import actor, idempotent
from webapp.api.schemas import Flag, Id, Input, ListQuery, Output, Problem, decimal_text, text
from webapp.domain.einvoice import PREFERENCES
from webapp.extensions import db
from webapp.models import Contact, CustomField
from webapp.queries import contacts as contact_queries
from webapp.services import contacts
from webapp.usecases import customers as usecase
from webapp.usecases import load

TAGS = ["Customers"]
ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_422": Problem}

# the use case's field -> the API's (a pointer in a problem)
FIELD_MAP = {"company_name": "company", "phone": "phone", "vat_id": "vat_number", "street": "address.street_address",
             "street2": "address.street_address_2", "postal_code": "address.zip_code", "city": "address.city",
             "region": "address.region", "country": "address.country_code",
             "shipping_country": "shipping_address.country_code", "external_id": "external_id",
             "buyer_reference": "buyer_reference", "e_invoice_format": "e_invoice_format",
             "is_business": "is_business"}
ADDRESS = {"street_address": "street", "street_address_2": "street2", "zip_code": "postal_code", "city": "city",
           "region": "region", "country_code": "country"}
SHIPPING = {"name": "shipping_name", "street_address": "shipping_street", "street_address_2": "shipping_street2",
            "zip_code": "shipping_postal_code", "city": "shipping_city", "region": "shipping_region",
            "country_code": "shipping_country"}


class AddressIn(Input):
    street_address: text(200, "Street and number", examples=["Hauptstraße 42"]) = ""
    street_address_2: text(200, "A second address line") = ""
    zip_code: text(20, "Postal code", examples=["50667"]) = ""
    city: text(100, examples=["Köln"]) = ""
    region: text(100, "Region or state") = ""
    country_code: text(2, "ISO 3166 country code", examples=["DE"]) = ""


class ShippingAddressIn(AddressIn):
    name: text(200, "The recipient, if not the customer") = ""


class CustomerIn(Input):
    """A new customer (or supplier). A company or a person's name is needed; the rest is optional. ``locale``
    empty: the organization's."""
    given_name: text(100, "With family_name: the person's name") = ""
    family_name: text(100) = ""
    person_name: text(200, "The person's whole name (instead of given_name and family_name)") = ""
    company: text(200, examples=["Acme Inc"]) = ""
    email: text(254, examples=["jane@example.com"]) = ""
    phone: text(40, "Phone or mobile (seed 002's mobile is taken too)", examples=["+4917612345678"]) = Field(
        "", validation_alias=AliasChoices("phone", "mobile"))
    locale: text(10, "Language of the documents (de, de_AT, fr ...); empty: the organization's",
                 examples=["de"]) = ""
    currency: text(3, "Default currency of new documents; empty: the organization's", examples=["EUR"]) = ""
    vat_number: text(30, examples=["DE123456789"]) = ""
    is_business: Flag | None = Field(None, description=(
        "true: a business (B2B), false: a consumer (B2C); automatic VAT decides by it (reverse charge, distance "
        "sales: docs/vat-rules.md). Not given or null: a new customer is a business, a change leaves it as it is"))
    buyer_reference: text(100, "The reference the buyer wants on its invoices (BT-10, e.g. a Leitweg-ID)") = ""
    e_invoice_format: Literal[*PREFERENCES] = Field(  # type: ignore[valid-type]
        "", description="The e-invoice the customer receives: empty none (the PDF; a Factur-X when the "
                        "organization has it on), facturx-cii, xrechnung-ubl or xrechnung-cii (the invoice e-mail "
                        "attaches the XRechnung XML)")
    notes: text(5000) = ""
    external_id: text(100, "Your own id of this customer (a shop's customer number): unique in the organization; "
                           "invoices find the customer by it (recipient_identifier); empty: none",
                      examples=["shop-customer-4711"]) | None = None
    is_customer: Flag | None = None
    is_supplier: Flag | None = None
    address: AddressIn | None = None
    shipping_address: ShippingAddressIn | None = Field(None, description="Ship to a different address; null: none")
    custom_fields: dict[str, str | int | bool | list[str] | None] = Field(
        default_factory=dict, description="Values by the custom field's key (numbers and dates as strings).")


class CustomerPatch(CustomerIn):
    """A change: only the fields given change (custom fields too: the others keep their values)."""


class AddressOut(Output):
    street_address: str
    street_address_2: str
    zip_code: str
    city: str
    region: str
    country_code: str


class ShippingAddressOut(AddressOut):
    name: str


class CustomerOut(Output):
    id: Id
    object: str = Field(description="customer or supplier")
    person_name: str
    company: str
    display_name: str
    email: str
    phone: str
    locale: str
    currency: str
    vat_number: str
    is_business: bool = Field(description="true: a business (B2B), false: a consumer (B2C), as automatic VAT "
                                          "reads it")
    buyer_reference: str
    e_invoice_format: Literal[*PREFERENCES] = Field(  # type: ignore[valid-type]
        description="The e-invoice the customer receives (empty: none)")
    notes: str
    external_id: str | None = Field(description="Your own id of this customer (recipient_identifier)")
    is_customer: bool
    is_supplier: bool
    archived: bool
    address: AddressOut | None = Field(None, description="Given on a customer's page; in lists with include=address")
    shipping_address: ShippingAddressOut | None = None
    custom_fields: dict[str, str | bool | list[str] | None]
    created_on: datetime
    last_updated_on: datetime


class CustomerList(Output):
    data: list[CustomerOut]
    has_more: bool


class CustomerListQuery(ListQuery):
    model_config = ListQuery.model_config | {"extra": "allow"}  # filter[custom_fields][KEY][...]: checked below

    email: str | None = Field(None, alias="filter[email]", max_length=254,
                              description="Exactly this e-mail address (case does not matter)")
    search: str | None = Field(None, alias="filter[search]", max_length=200,
                               description="Part of the name, company, e-mail or phone")
    external_id: str | None = Field(None, alias="filter[external_id]", max_length=100,
                                    description="The customer with this external_id (recipient_identifier)")
    archived: bool | None = Field(None, alias="filter[archived]",
                                  description="true: archived only; false (default): active only")
    include: str | None = Field(None, pattern=r"^(address)?$", description="address: with each address")


CUSTOM_FILTER = re.compile(r"^filter\[(custom_fields|custom_attributes)\]\[([a-z][a-z0-9_]{0,39})\]\[(f_id|o|v)\]$")
API_OPERATORS = {"=": "eq", "<>": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge", "in": "in"}


def _custom_filters(fields: list[CustomField]) -> list[contact_queries.Filter]:
    return custom_filters(fields, CustomerListQuery, "custom_fields")


def custom_filters(fields: list[CustomField], query_model, group: str) -> list[contact_queries.Filter]:
    """Seed 002's custom field filters: ``filter[<group>][KEY][o]`` (= <> < > <= >= in) and ``[v]``; the
    field is named by its key (``[f_id]``, if given, must be the same key). ``group``: ``custom_fields`` (customers)
    or ``custom_attributes`` (invoices); any other parameter the query model does not know is refused."""
    parts: dict[str, dict[str, str]] = {}
    for name in request.args:
        if name in query_model.model_fields or name in {f.alias for f in query_model.model_fields.values()}:
            continue
        match = CUSTOM_FILTER.match(name)
        if match is None or match.group(1) != group:
            raise problems.Problem(422, "unknown_parameter", gettext("%(name)s is not a parameter of this list.",
                                                                     name=name[:60]),
                                   [{"code": "unknown_parameter", "detail": name[:60], "parameter": name[:60]}])
        parts.setdefault(match.group(2), {})[match.group(3)] = request.args.get(name, "")
    by_key = {f.key: f for f in fields}
    filters = []
    for key, given in parts.items():
        parameter = f"filter[{group}][{key}]"
        field = by_key.get(key)
        if field is None or given.get("f_id", key) != key:
            raise problems.Problem(422, "unknown_custom_field", gettext(
                "There is no custom field '%(key)s'.", key=key), [{"code": "unknown_custom_field",
                                                                   "detail": key, "parameter": parameter}])
        op = API_OPERATORS.get(given.get("o", "="))
        if op is None or "v" not in given:
            raise problems.Problem(422, "invalid_filter", gettext(
                "%(name)s needs [o] (one of = <> < > <= >= in) and [v].", name=parameter),
                [{"code": "invalid_filter", "detail": parameter, "parameter": parameter}])
        try:
            filters.append(contact_queries.make_filter(field, op, given["v"][:500]))
        except ValueError as exc:
            raise problems.Problem(422, "invalid_filter", str(exc.args[0]),
                                   [{"code": "invalid_filter", "detail": str(exc.args[0]),
                                     "parameter": parameter}]) from exc
    return filters


def _address(contact: Contact) -> dict:
    return {api: getattr(contact, column) for api, column in ADDRESS.items()}


def customer_json(contact: Contact, fields: list[CustomField], with_address: bool = True) -> dict:
    values = contacts.custom_values(contact, fields)
    return {
        "id": str(contact.id),
        "object": "customer" if contact.is_customer or not contact.is_supplier else "supplier",
        "person_name": contact.person_name, "company": contact.company_name, "display_name": contact.display_name,
        "email": contact.email, "phone": contact.phone, "locale": contact.locale, "currency": contact.currency,
        "vat_number": contact.vat_id, "is_business": contact.is_business, "buyer_reference": contact.buyer_reference,
        "e_invoice_format": contact.e_invoice_format, "notes": contact.notes,
        "external_id": contact.external_id,
        "is_customer": contact.is_customer, "is_supplier": contact.is_supplier, "archived": contact.archived,
        "address": _address(contact) if with_address else None,
        "shipping_address": ({api: getattr(contact, column) for api, column in SHIPPING.items()}
                             if with_address and contact.has_shipping_address else None),
        "custom_fields": {key: _custom_json(value) for key, value in values.items()},
        "created_on": contact.created_at.isoformat(), "last_updated_on": contact.updated_at.isoformat(),
    }


def _custom_json(value):
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(body: CustomerIn) -> dict:
    """The body's fields given, as the contact's columns."""
    given = body.model_fields_set
    values: dict = {}
    simple = {"person_name": "person_name", "company": "company_name", "email": "email", "phone": "phone",
              "locale": "locale", "currency": "currency", "vat_number": "vat_id", "is_business": "is_business",
              "buyer_reference": "buyer_reference", "e_invoice_format": "e_invoice_format", "notes": "notes",
              "external_id": "external_id",
              "is_customer": "is_customer",
              "is_supplier": "is_supplier"}
    for api, column in simple.items():
        if api in given and getattr(body, api) is not None:
            values[column] = getattr(body, api)
    if ("given_name" in given or "family_name" in given) and "person_name" not in given:
        values["person_name"] = " ".join(p for p in (body.given_name, body.family_name) if p)
    if "address" in given and body.address is not None:
        values.update({column: getattr(body.address, api) for api, column in ADDRESS.items()})
    if "shipping_address" in given:
        values["has_shipping_address"] = body.shipping_address is not None
        shipping = body.shipping_address or ShippingAddressIn()
        values.update({column: getattr(shipping, api) for api, column in SHIPPING.items()})
    return values


def _list(supplier: bool):
    query: CustomerListQuery = request.context.query
    fields = contacts.custom_fields(actor().org.id)
    contact_query = contact_queries.ContactQuery(
        q=(query.search or "").strip(), email=(query.email or "").strip().lower(),
        status="archived" if query.archived else "active", filters=_custom_filters(fields))
    stmt = contact_queries.contact_select(actor().org.id, contact_query).order_by(None).order_by(Contact.id.desc())
    stmt = stmt.where(Contact.is_supplier.is_(True) if supplier else Contact.is_customer.is_(True))
    if query.external_id is not None:
        stmt = stmt.where(Contact.external_id == query.external_id.strip())
    if query.starting_after:
        stmt = stmt.where(Contact.id < int(query.starting_after))
    rows = db.session.scalars(stmt.options(selectinload(Contact.field_values)).limit(query.limit + 1)).all()
    return {"data": [customer_json(c, fields, query.include == "address") for c in rows[:query.limit]],
            "has_more": len(rows) > query.limit}


def _create(supplier: bool):
    body: CustomerIn = request.context.json
    values = _values(body)
    values.setdefault("is_customer", not supplier)
    values.setdefault("is_supplier", supplier)
    g.api_field_map = FIELD_MAP
    saved = usecase.save_customer(actor(), None, usecase.CustomerInput(values=values, custom=body.custom_fields))
    endpoint = "api.get_supplier" if supplier else "api.get_customer"
    answer = _answer(saved.contact, 201)
    answer.headers["Location"] = url_for(endpoint, contact_id=saved.contact.id)
    return answer


def _answer(contact: Contact, status: int = 200) -> Response:
    answer = jsonify(customer_json(contact, contacts.custom_fields(contact.org_id)))
    answer.status_code = status
    return answer


def _one(contact_id: int, supplier: bool) -> Contact:
    contact = load(actor(), Contact, contact_id, "customer")
    if not (contact.is_supplier if supplier else contact.is_customer):
        raise problems.Problem(404, "not_found", gettext("There is no such resource, or it belongs to another "
                                                         "organization."))
    return contact


def _change(contact_id: int, supplier: bool):
    _one(contact_id, supplier)
    body: CustomerPatch = request.context.json
    g.api_field_map = FIELD_MAP
    saved = usecase.save_customer(actor(), contact_id, usecase.CustomerInput(
        values=_values(body), custom=body.custom_fields, custom_partial=True))
    return _answer(saved.contact)


def _archive(contact_id: int, supplier: bool, archived: bool):
    _one(contact_id, supplier)
    return _answer(usecase.set_archived(actor(), contact_id, archived))


def _put_address(contact_id: int, supplier: bool):
    _one(contact_id, supplier)
    body: AddressIn = request.context.json
    g.api_field_map = {column: api for api, column in ADDRESS.items()}
    values = {column: getattr(body, api) for api, column in ADDRESS.items()}
    saved = usecase.save_customer(actor(), contact_id, usecase.CustomerInput(values=values, custom={},
                                                                             custom_partial=True))
    return jsonify(_address(saved.contact))


# --- routes: /customers and /suppliers, one set of views ------------------------------------------

@bp.get("/customers")
@spec.validate(query=CustomerListQuery, resp=Answers(HTTP_200=CustomerList, **ERRORS), tags=TAGS)
def list_customers():
    """List customers

    Newest first. `filter[email]` finds exactly that address (case-insensitive); `filter[external_id]` the
    customer of your own id; `filter[search]` part of the name, company, e-mail or phone; custom fields by key:
    `filter[custom_fields][tier][o]==&filter[custom_fields][tier][v]=Premium` (operators `=`, `<>`, `<`, `>`,
    `<=`, `>=`, `in` with comma-separated values)."""
    return _list(False)


@bp.post("/customers")
@idempotent
@spec.validate(json=CustomerIn, resp=Answers(HTTP_201=CustomerOut, **ERRORS), tags=TAGS)
def create_customer():
    """Create a customer

    The same rules as the web form: a company or a person's name; e-mail, phone, VAT number (checked for the
    address's country), locale, currency and country are checked and normalized."""
    return _create(False)


@bp.get("/customers/<int:contact_id>")
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=TAGS)
def get_customer(contact_id: int):
    """Get a customer"""
    return _answer(_one(contact_id, False))


@bp.patch("/customers/<int:contact_id>")
@spec.validate(json=CustomerPatch, resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=TAGS)
def update_customer(contact_id: int):
    """Change a customer

    Only the fields given change; the address, if given, is replaced as a whole."""
    return _change(contact_id, False)


@bp.post("/customers/<int:contact_id>/archive")
@idempotent
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=TAGS)
def archive_customer(contact_id: int):
    """Archive a customer

    Archived customers leave the lists and pickers; their documents stay."""
    return _archive(contact_id, False, True)


@bp.post("/customers/<int:contact_id>/restore")
@idempotent
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=TAGS)
def restore_customer(contact_id: int):
    """Restore an archived customer"""
    return _archive(contact_id, False, False)


@bp.get("/customers/<int:contact_id>/address")
@spec.validate(resp=Answers(HTTP_200=AddressOut, **ERRORS), tags=TAGS)
def get_customer_address(contact_id: int):
    """Get a customer's address"""
    return jsonify(_address(_one(contact_id, False)))


@bp.put("/customers/<int:contact_id>/address")
@spec.validate(json=AddressIn, resp=Answers(HTTP_200=AddressOut, **ERRORS), tags=TAGS)
def put_customer_address(contact_id: int):
    """Set a customer's address

    Seed 002's address as its own resource: the whole address is replaced."""
    return _put_address(contact_id, False)


SUPPLIER_TAGS = ["Suppliers"]


@bp.get("/suppliers")
@spec.validate(query=CustomerListQuery, resp=Answers(HTTP_200=CustomerList, **ERRORS), tags=SUPPLIER_TAGS)
def list_suppliers():
    """List suppliers

    As the customers' list, for contacts marked as suppliers."""
    return _list(True)


@bp.post("/suppliers")
@idempotent
@spec.validate(json=CustomerIn, resp=Answers(HTTP_201=CustomerOut, **ERRORS), tags=SUPPLIER_TAGS)
def create_supplier():
    """Create a supplier"""
    return _create(True)


@bp.get("/suppliers/<int:contact_id>")
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=SUPPLIER_TAGS)
def get_supplier(contact_id: int):
    """Get a supplier"""
    return _answer(_one(contact_id, True))


@bp.patch("/suppliers/<int:contact_id>")
@spec.validate(json=CustomerPatch, resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=SUPPLIER_TAGS)
def update_supplier(contact_id: int):
    """Change a supplier"""
    return _change(contact_id, True)


@bp.post("/suppliers/<int:contact_id>/archive")
@idempotent
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=SUPPLIER_TAGS)
def archive_supplier(contact_id: int):
    """Archive a supplier"""
    return _archive(contact_id, True, True)


@bp.post("/suppliers/<int:contact_id>/restore")
@idempotent
@spec.validate(resp=Answers(HTTP_200=CustomerOut, **ERRORS), tags=SUPPLIER_TAGS)
def restore_supplier(contact_id: int):
    """Restore an archived supplier"""
    return _archive(contact_id, True, False)


@bp.get("/suppliers/<int:contact_id>/address")
@spec.validate(resp=Answers(HTTP_200=AddressOut, **ERRORS), tags=SUPPLIER_TAGS)
def get_supplier_address(contact_id: int):
    """Get a supplier's address"""
    return jsonify(_address(_one(contact_id, True)))


@bp.put("/suppliers/<int:contact_id>/address")
@spec.validate(json=AddressIn, resp=Answers(HTTP_200=AddressOut, **ERRORS), tags=SUPPLIER_TAGS)
def put_supplier_address(contact_id: int):
    """Set a supplier's address"""
    return _put_address(contact_id, True)
