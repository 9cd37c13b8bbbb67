"""CSV export and import of customers.

Export neutralizes cells that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``,
tab or carriage return) by prefixing an apostrophe; import takes that apostrophe off again, so an
export imports back unchanged. Import validates every row with the same form as the screen and
saves nothing while any row is invalid, unless the user asks for the valid rows only.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from webapp.contact_form import CustomerForm, customer_form_class
from webapp.domain.errors import ActionError, Text
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models import Contact, CustomField, ImportJob, Organization, User
from webapp.models.types import utcnow
from webapp.services import audit, contacts

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
USE_YES_OR_NO = Text("Use yes or no.")
BOOLEAN_FIELDS = {"is_customer", "is_supplier", "is_business", "has_shipping_address", "archived"}
TRUE_BY_DEFAULT = {"is_business"}  # an empty cell (or no such column): yes
TRUE_WORDS = {"1", "true", "yes", "y", "x", "ja", "oui", "on"}
FALSE_WORDS = {"", "0", "false", "no", "n", "nein", "non", "off"}
STANDARD_COLUMNS = CustomerForm.CONTACT_FIELDS + ("archived",)
COLUMN_LABELS = {
    "person_name": _n("Person"), "company_name": _n("Company"), "is_customer": _n("Customer (yes/no)"),
    "is_supplier": _n("Supplier (yes/no)"), "email": _n("E-mail"), "phone": _n("Phone"), "locale": _n("Language"),
    "currency": _n("Currency"), "vat_id": _n("VAT number"),
    "is_business": _n("Business customer (yes/no; no: a consumer)"), "street": _n("Street"), "street2": _n("Address line 2"),
    "postal_code": _n("Postal code"), "city": _n("City"), "region": _n("Region"), "country": _n("Country"),
    "has_shipping_address": _n("Separate shipping address (yes/no)"), "shipping_name": _n("Shipping recipient"),
    "shipping_street": _n("Shipping street"), "shipping_street2": _n("Shipping address line 2"),
    "shipping_postal_code": _n("Shipping postal code"), "shipping_city": _n("Shipping city"),
    "shipping_region": _n("Shipping region"), "shipping_country": _n("Shipping country"), "notes": _n("Notes"),
    "archived": _n("Archived (yes/no)"), "buyer_reference": _n("Buyer reference (Leitweg-ID)"),
    "e_invoice_format": _n("E-invoice (facturx-cii, xrechnung-ubl, xrechnung-cii or empty)"),
}


def neutralize(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would run as a formula, and to one that starts with
    an apostrophe itself, so that ``unneutralize`` can always take exactly one off again."""
    return "'" + value if value.startswith(FORMULA_PREFIXES + ("'",)) else value


def unneutralize(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES + ("'",)) else value


def columns(fields: list[CustomField]) -> list[str]:
    return list(STANDARD_COLUMNS) + [f"cf:{f.key}" for f in fields]


def export_rows(contact_rows, fields: list[CustomField]):
    """Yield CSV text chunks: the header, then one line per contact."""
    buffer = io.StringIO()
    # Every cell quoted: a spreadsheet that splits on ";" (German, French settings) cannot cut a cell
    # open and expose a formula in the middle of it.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns(fields))
    yield flush()
    for contact in contact_rows:
        values = contacts.custom_values(contact, fields)
        row = []
        for name in STANDARD_COLUMNS:
            value = getattr(contact, name)
            row.append(("yes" if value else "no") if name in BOOLEAN_FIELDS else str(value or ""))
        row += [contacts.format_value(f, values[f.key]) for f in fields]
        writer.writerow([neutralize(cell) for cell in row])
        yield flush()


# --- import ---------------------------------------------------------------------------------------

def decode_upload(data: bytes) -> str:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ActionError("file_too_large", "The file is larger than 10 MB.")
    if not data.strip():
        raise ActionError("file_empty", "The file is empty.")
    if b"\0" in data:
        raise ActionError("file_binary", "This is not a CSV text file (it contains binary data).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise ActionError("file_encoding", "The file is neither UTF-8 nor Windows-1252 text.")


def read_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows; the delimiter (comma, semicolon, tab) is detected from the header line."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ActionError("csv_unreadable", "The CSV file could not be read: {error}.", error=str(exc)) from exc
    if not rows:
        raise ActionError("file_no_rows", "The file has no rows.")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if len(body) > MAX_ROWS:
        raise ActionError("too_many_rows", "The file has {rows} rows; import at most {max} at a time.", rows=len(body),
                          max=MAX_ROWS)
    return header, body


IGNORE_LABEL = _n("— ignore —")


def target_choices(fields: list[CustomField]) -> list[tuple[str, "str | Text"]]:
    """(target, label) of the mapping's choices: the labels of the standard columns are marked for the catalogs
    (translated where shown), a custom field's is a ``Text``."""
    return [("", IGNORE_LABEL)] + [(n, COLUMN_LABELS[n]) for n in STANDARD_COLUMNS] + \
        [(f"cf:{f.key}", Text("{label} (custom)", label=f.label)) for f in fields]


def guess_mapping(header: list[str], fields: list[CustomField]) -> dict[str, str]:
    targets = {}
    for key, label in target_choices(fields)[1:]:
        targets[key.lower()] = key
        targets[str(label).lower()] = key
    for f in fields:
        targets[f.key.lower()] = f"cf:{f.key}"
        targets[f.label.lower()] = f"cf:{f.key}"
    targets.update({"name": "person_name", "company": "company_name", "e-mail": "email", "zip": "postal_code",
                    "postcode": "postal_code", "vat": "vat_id", "vat number": "vat_id", "vat id": "vat_id"})
    mapping, used = {}, set()
    for index, name in enumerate(header):
        target = targets.get(name.strip().lower(), "")
        if target in used:
            target = ""
        used.add(target)
        mapping[str(index)] = target
    return mapping


@dataclass
class RowError:
    row: int  # the line in the file (the header is line 1)
    column: str
    message: "str | Text"


@dataclass
class Validation:
    header: list[str]
    total: int
    valid: list[tuple[dict, dict]] = field(default_factory=list)  # (contact values, custom values)
    errors: list[RowError] = field(default_factory=list)
    invalid_rows: int = 0


def _formdata(row: list[str], mapping: dict[str, str], fields_by_key: dict[str, CustomField]) -> MultiDict:
    data = MultiDict()
    for index, target in mapping.items():
        if not target or int(index) >= len(row):
            continue
        cell = unneutralize(row[int(index)].strip())
        if target in BOOLEAN_FIELDS:
            word = cell.lower()
            if word in TRUE_WORDS or (word == "" and target in TRUE_BY_DEFAULT):
                data[target] = "y"
            elif word not in FALSE_WORDS:
                data[target] = "?invalid"
            elif target in TRUE_BY_DEFAULT:  # a choice, not a checkbox: "no" is said, not left out
                data[target] = "n"
            continue
        if target.startswith("cf:"):
            f = fields_by_key[target[3:]]
            name = f"cf_{f.key}"
            if f.type == "multichoice":
                for option in (o.strip() for o in cell.split(",")):
                    if option:
                        data.add(name, option)
            elif f.type == "checkbox":
                if cell.lower() in TRUE_WORDS:
                    data[name] = "y"
            else:
                data[name] = cell
            continue
        data[target] = cell
    if "is_customer" not in {t for t in mapping.values()}:
        data["is_customer"] = "y"
    return data


def validate(job: ImportJob, fields: list[CustomField]) -> Validation:
    header, body = read_table(job.content)
    fields_by_key = {f.key: f for f in fields}
    mapping = {i: t for i, t in (job.mapping or {}).items() if t == "" or t in STANDARD_COLUMNS
               or (t.startswith("cf:") and t[3:] in fields_by_key)}
    result = Validation(header=header, total=len(body))
    targets = [t for t in mapping.values() if t]
    if not ({"person_name", "company_name"} & set(targets)):
        result.errors.append(RowError(1, "", Text("Map a column to Person or Company: every customer needs a name.")))
    duplicates = {t for t in targets if targets.count(t) > 1}
    for t in sorted(duplicates):
        result.errors.append(RowError(1, t, Text("Two columns are mapped to the same field.")))
    if result.errors:
        result.invalid_rows = result.total
        return result
    form_class = customer_form_class(fields)
    labels = {f"cf_{f.key}": f.label for f in fields}
    for number, row in enumerate(body, start=2):
        data = _formdata(row, mapping, fields_by_key)
        bad_booleans = [k for k in BOOLEAN_FIELDS - {"archived"} if data.get(k) == "?invalid"]
        archived = data.pop("archived", "")
        form = form_class(formdata=data, meta={"csrf": False})
        ok = form.validate()
        for k in bad_booleans:
            ok = False
            form[k].errors = list(form[k].errors) + [USE_YES_OR_NO]
        if archived == "?invalid":
            ok = False
        if ok:
            result.valid.append(({**form.contact_values(), "archived": archived == "y"}, form.custom_values()))
            continue
        result.invalid_rows += 1
        for name, messages in form.errors.items():
            column = labels.get(name) or COLUMN_LABELS.get(name, name)
            result.errors.extend(RowError(number, column, m) for m in messages)
        if archived == "?invalid":
            result.errors.append(RowError(number, COLUMN_LABELS["archived"], USE_YES_OR_NO))
    return result


def create_job(org: Organization, actor: User, filename: str, data: bytes, fields: list[CustomField]) -> ImportJob:
    text = decode_upload(data)
    header, _ = read_table(text)
    job = ImportJob(org_id=org.id, user_id=actor.id, filename=filename[:255], content=text,
                    mapping=guess_mapping(header, fields))
    db.session.add(job)
    db.session.flush()
    return job


def run_import(org: Organization, actor: User, job: ImportJob, fields: list[CustomField], valid_only: bool) -> int:
    """Save the rows; all or nothing unless ``valid_only``. Returns the number of customers created."""
    # Claim the job with a conditional UPDATE: of two clicks on "Import", only one imports.
    claimed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job.id, ImportJob.finished_at.is_(None)).values(finished_at=utcnow())
    ).rowcount
    if not claimed:
        raise ActionError("already_imported", "This file was already imported.")
    result = validate(job, fields)
    if result.errors and (not valid_only or not result.valid):
        raise ActionError("rows_invalid", "{invalid} of {total} rows have errors; nothing was imported.",
                          invalid=result.invalid_rows, total=result.total)
    new = []
    for values, custom in result.valid:
        contact = Contact(org_id=org.id)
        contacts.apply(contact, values, custom, fields)
        new.append(contact)
    db.session.add_all(new)
    job.imported_count = len(new)
    db.session.flush()
    skipped = f", skipped {result.invalid_rows} invalid" if result.invalid_rows else ""
    audit.record(org, actor, "contact.imported", job,
                 summary=f"{actor.email} imported {len(new)} customers from {job.filename}{skipped}",
                 count=len(new), skipped=result.invalid_rows)
    return len(new)


