"""Each bank's CSV layout (issue 18): checked from what a member mapped on the column screen, saved once per
organization and header, found again by the header of the bank's next export (docs/bank.md)."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, fields

from sqlalchemy import select

from webapp.domain.errors import ActionError, InvalidInput
from webapp.domain.money import MoneyError, precision
from webapp.extensions import db
from webapp.models import BankCsvLayout, ImportJob, Organization, User
from webapp.services import audit, bank_files

COLUMN_FIELDS = ("date_column", "amount_column", "debit_column", "credit_column", "name_column", "iban_column",
                 "reference_column", "value_date_column", "currency_column")
MAX_NAME = 100


def digest(header: list[str]) -> str:
    return hashlib.sha256(bank_files.header_key(header).encode()).hexdigest()


def find(org_id: int, header: list[str]) -> BankCsvLayout | None:
    """The organization's layout for a CSV with this header, or None."""
    return db.session.scalar(select(BankCsvLayout).where(BankCsvLayout.org_id == org_id,
                                                         BankCsvLayout.header_digest == digest(header)))


def layout_of(row: BankCsvLayout, table: bank_files.CsvTable | None = None) -> bank_files.CsvLayout:
    """The stored layout; with ``table``, read with the encoding and delimiter the file turned out to have."""
    known = {f.name for f in fields(bank_files.CsvLayout)}
    settings = {k: (tuple(v) if k == "text_columns" else v) for k, v in row.settings.items() if k in known}
    if table is not None:
        settings.update(encoding=table.encoding, delimiter=table.delimiter)
    return bank_files.CsvLayout(**settings)


def checked(table: bank_files.CsvTable, values: dict) -> bank_files.CsvLayout:
    """The layout a member mapped, or ``InvalidInput`` naming each wrong choice: every column one of the file's,
    a date column and format, an amount column or a debit and a credit column, a known currency."""
    header = set(table.header)
    errors = []
    for name in COLUMN_FIELDS:
        value = values.get(name) or ""
        if value and value not in header:
            errors.append(ActionError("csv_unknown_column", "Choose one of the file's columns.", name))
    texts = tuple(c for c in values.get("text_columns") or () if c)
    if any(c not in header for c in texts):
        errors.append(ActionError("csv_unknown_column", "Choose one of the file's columns.", "text_columns"))
    if not values.get("date_column"):
        errors.append(ActionError("csv_date_required", "Choose the column with the booking date.", "date_column"))
    if values.get("date_format") not in bank_files.DATE_FORMATS:
        errors.append(ActionError("csv_date_format", "Choose how the dates are written.", "date_format"))
    if values.get("decimal") not in (",", "."):
        errors.append(ActionError("csv_decimal", "Choose the decimal separator.", "decimal"))
    amount, debit, credit = (values.get(k) or "" for k in ("amount_column", "debit_column", "credit_column"))
    if not amount and not (debit and credit):
        errors.append(ActionError("csv_amount_required", "Choose the column with the amount, or the two with money "
                                  "out and money in.", "amount_column"))
    if amount and (debit or credit):
        errors.append(ActionError("csv_amount_twice", "Choose either one amount column or the two with money out "
                                  "and money in.", "amount_column"))
    currency = (values.get("currency") or "").strip().upper()
    try:
        precision(currency)
    except MoneyError:
        errors.append(ActionError("invalid_currency", "Enter a currency code such as EUR.", "currency"))
    if errors:
        raise InvalidInput(errors)
    return bank_files.CsvLayout(
        date_column=values["date_column"], date_format=values["date_format"], decimal=values["decimal"],
        delimiter=table.delimiter, encoding=table.encoding, amount_column=amount, debit_column=debit,
        credit_column=credit, name_column=values.get("name_column") or "", iban_column=values.get("iban_column") or "",
        text_columns=texts, reference_column=values.get("reference_column") or "",
        value_date_column=values.get("value_date_column") or "", currency_column=values.get("currency_column") or "",
        currency=currency)


def save(org: Organization, actor: User, name: str, header: list[str], layout: bank_files.CsvLayout) -> BankCsvLayout:
    """The layout for this header, saved (a layout for the same header is replaced)."""
    name = " ".join((name or "").split())
    if not name:
        raise ActionError("csv_layout_name", "Name the bank, to know its layout again.", "name")
    if len(name) > MAX_NAME:
        raise ActionError("name_too_long", "At most {count} characters.", "name", count=MAX_NAME)
    row = find(org.id, header)
    settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(layout).items()}
    if row is None:
        row = BankCsvLayout(org_id=org.id, name=name, header_digest=digest(header), header=list(header),
                            settings=settings)
        db.session.add(row)
    else:
        row.name, row.settings = name, settings
    db.session.flush()
    audit.record(org, actor, "bank_csv_layout.saved", row, summary=f"{actor.email} saved the CSV layout of {name}")
    return row


def pending(org: Organization, actor: User, file_name: str, data: bytes) -> ImportJob:
    """A CSV kept until its layout is mapped (the bytes as Latin-1 text: every byte kept as it is; the reader
    refused binary files before, and no text column holds a NUL)."""
    if b"\x00" in data:
        raise ActionError("bank_not_csv", "This file is not a CSV text file.", "file")
    job = ImportJob(org_id=org.id, user_id=actor.id, kind="bank_csv", filename=file_name[:255],
                    content=data.decode("latin-1"), mapping={})
    db.session.add(job)
    db.session.flush()
    return job


def pending_bytes(job: ImportJob) -> bytes:
    return job.content.encode("latin-1")


def of(org_id: int) -> list[BankCsvLayout]:
    return list(db.session.scalars(select(BankCsvLayout).where(BankCsvLayout.org_id == org_id)
                                   .order_by(BankCsvLayout.name, BankCsvLayout.id)))


def delete(org: Organization, actor: User, row: BankCsvLayout) -> None:
    """A layout mapped wrong goes: the bank's next CSV asks for its columns again (imported entries stay)."""
    audit.record(org, actor, "bank_csv_layout.deleted", row, summary=f"{actor.email} deleted the CSV layout of {row.name}")
    db.session.delete(row)
