"""The customer list: search, filters (custom fields too), sorting and pagination."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, exists, not_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from webapp.domain.errors import Text
from webapp.domain.numbers import parse_decimal
from webapp.domain.units import _n
from webapp.forms import clean_line
from webapp.models import Contact, ContactFieldValue, CustomField
from webapp.queries.pagination import PER_PAGE_CHOICES, Page, paginate

SORTS = {
    "name": (Contact.sort_name.asc(), Contact.id.asc()),
    "-name": (Contact.sort_name.desc(), Contact.id.desc()),
    "newest": (Contact.created_at.desc(), Contact.id.desc()),
    "oldest": (Contact.created_at.asc(), Contact.id.asc()),
    "email": (Contact.email.asc(), Contact.id.asc()),
    "city": (Contact.city.asc(), Contact.sort_name.asc(), Contact.id.asc()),
}
# labels: translated where shown
SORT_LABELS = {"name": _n("Name A-Z"), "-name": _n("Name Z-A"), "newest": _n("Newest"), "oldest": _n("Oldest"),
               "email": _n("E-mail"), "city": _n("City")}
STATUSES = {"active": _n("Active"), "archived": _n("Archived"), "all": _n("All")}
OPERATORS = {"eq": _n("equals"), "ne": _n("not equals"), "lt": _n("less than"), "gt": _n("greater than"),
             "le": _n("at most"), "ge": _n("at least"), "in": _n("is one of")}
OPS_BY_TYPE = {
    "text": ("eq", "ne", "in"),
    "number": ("eq", "ne", "lt", "gt", "le", "ge", "in"),
    "date": ("eq", "ne", "lt", "gt", "le", "ge"),
    "checkbox": ("eq", "ne"),
    "choice": ("eq", "ne", "in"),
    "multichoice": ("eq", "ne", "in"),
}


@dataclass
class Filter:
    field: CustomField
    op: str
    values: list  # parsed values; one except for "in"
    raw: str


@dataclass
class ContactQuery:
    q: str = ""
    email: str = ""
    status: str = "active"
    sort: str = "name"
    page: int = 1
    per_page: int = 25
    filters: list[Filter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def url_args(self, **override) -> dict:
        """The query string of this list, for links that keep the search (page, sort...)."""
        args = {"q": self.q, "email": self.email, "status": self.status, "sort": self.sort,
                "per_page": self.per_page, "page": self.page}
        for f in self.filters:
            args[f"cf_{f.field.key}"] = f.raw
            args[f"cfop_{f.field.key}"] = f.op
        args.update(override)
        defaults = {"status": "active", "sort": "name", "per_page": 25, "page": 1}
        return {k: v for k, v in args.items() if v not in ("", None) and defaults.get(k) != v}


def _parse_value(field: CustomField, raw: str, locale: str | None = None):
    raw = raw.strip()
    if field.type == "number":
        return parse_decimal(raw, locale=locale)
    if field.type == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(Text("{value} is not a date (YYYY-MM-DD).", value=raw)) from exc
    if field.type == "checkbox":
        if raw.lower() in {"true", "yes", "1", "on"}:
            return True
        if raw.lower() in {"false", "no", "0", "off"}:
            return False
        raise ValueError(Text("Use yes or no."))
    if field.type in {"choice", "multichoice"} and raw not in field.options:
        raise ValueError(Text("{value} is not one of the options ({options}).", value=raw,
                              options=", ".join(field.options)))
    return raw


def parse_query(args: MultiDict, fields: list[CustomField], locale: str | None = None) -> ContactQuery:
    """The list's search from the query string; numbers typed in ``locale`` too (the member's)."""
    query = ContactQuery(q=clean_line(args.get("q", ""))[:200], email=clean_line(args.get("email", "")).lower()[:254])
    query.status = args.get("status", "active") if args.get("status") in STATUSES else "active"
    query.sort = args.get("sort", "name") if args.get("sort") in SORTS else "name"
    query.page = args.get("page", 1, type=int) or 1
    per_page = args.get("per_page", 25, type=int)
    query.per_page = per_page if per_page in PER_PAGE_CHOICES else 25
    by_key = {f.key: f for f in fields}
    for name in args:
        if not name.startswith("cf_"):
            continue
        key, raw = name[3:], clean_line(args.get(name, ""))[:500]
        if key not in by_key:
            query.errors.append(Text("There is no custom field '{key}' to filter by.", key=key))
            continue
        if raw.strip() == "":
            continue
        try:
            query.filters.append(make_filter(by_key[key], args.get(f"cfop_{key}", "eq"), raw, locale))
        except ValueError as exc:
            query.errors.append(exc.args[0])
    return query


def make_filter(field_: CustomField, op: str, raw: str, locale: str | None = None) -> Filter:
    """A filter of ``field_`` with operator ``op`` (``OPS_BY_TYPE``) and the typed value (comma-separated values
    for "in"); ``ValueError`` with a Text naming the field when the operator or a value does not fit."""
    if op not in OPS_BY_TYPE[field_.type]:
        raise ValueError(Text("{field}: '{op}' is not a filter for this field.", field=field_.label, op=op))
    parts = [p for p in raw.split(",") if p.strip()] if op == "in" else [raw]
    try:
        values = [_parse_value(field_, p, locale) for p in parts]
    except ValueError as exc:
        raise ValueError(Text("{field}: {problem}", field=field_.label,
                              problem=exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc))) from exc
    if not values:
        raise ValueError(Text("{field}: enter a value to filter by.", field=field_.label))
    return Filter(field=field_, op=op, values=values, raw=raw.strip())


def _filter_clause(f: Filter):
    return filter_clause(f, ContactFieldValue, ContactFieldValue.contact_id == Contact.id)


def filter_clause(f: Filter, value_model, link):
    """The WHERE clause of a custom field filter over ``value_model``'s rows (``ContactFieldValue`` or
    ``DocumentFieldValue``) of the row ``link`` ties them to: the customers' list and the invoices' share it."""
    column = {"number": value_model.value_number, "date": value_model.value_date}.get(
        f.field.type, value_model.value_text)
    if f.field.type == "checkbox":  # stored as a "true" row when ticked
        wanted = f.values[0] if f.op == "eq" else not f.values[0]
        has = exists().where(link, value_model.field_id == f.field.id)
        return has if wanted else not_(has)
    base = [link, value_model.field_id == f.field.id]
    if f.op == "in":
        return exists().where(and_(*base, column.in_(f.values)))
    if f.op == "lt":
        return exists().where(and_(*base, column < f.values[0]))
    if f.op == "gt":
        return exists().where(and_(*base, column > f.values[0]))
    if f.op == "le":
        return exists().where(and_(*base, column <= f.values[0]))
    if f.op == "ge":
        return exists().where(and_(*base, column >= f.values[0]))
    equal = exists().where(and_(*base, column == f.values[0]))
    return equal if f.op == "eq" else not_(equal)


def contact_select(org_id: int, query: ContactQuery) -> Select:
    stmt = select(Contact).where(Contact.org_id == org_id)
    if query.status != "all":
        stmt = stmt.where(Contact.archived.is_(query.status == "archived"))
    if query.q:
        stmt = stmt.where(Contact.search_text.contains(query.q.lower(), autoescape=True))
    if query.email:
        stmt = stmt.where(Contact.email == query.email)
    for f in query.filters:
        stmt = stmt.where(_filter_clause(f))
    return stmt.order_by(*SORTS[query.sort])


def search_contacts(org_id: int, query: ContactQuery) -> Page:
    """One page of contacts with their custom values loaded: three queries whatever the size."""
    stmt = contact_select(org_id, query).options(selectinload(Contact.field_values))
    return paginate(stmt, query.page, query.per_page)
