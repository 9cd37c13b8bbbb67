"""The column screen of a bank's CSV: which of the file's columns holds what, pre-chosen from the header's words
(services/bank_layouts.checked has the rules)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from webapp.contact_form import MultiCheckboxField
from webapp.forms import Form, as_choices
from webapp.services import bank_files

# a column's role -> words its header has at several banks (German, English, French), for the first guess
GUESSES = {
    "date_column": ("buchungstag", "buchungsdatum", "booking date", "date", "datum", "date opération", "date"),
    "value_date_column": ("valuta", "wertstellung", "value date", "date de valeur"),
    "amount_column": ("betrag", "amount", "umsatz", "montant"),
    "debit_column": ("soll", "debit", "débit", "ausgang", "paid out"),
    "credit_column": ("haben", "credit", "crédit", "eingang", "paid in"),
    "name_column": ("begünstigter", "zahlungspflichtiger", "auftraggeber", "empfänger", "payee", "name",
                    "counterparty", "bénéficiaire"),
    "iban_column": ("iban", "kontonummer"),
    "reference_column": ("referenz", "reference", "end-to-end", "mandat", "référence"),
    "currency_column": ("währung", "waehrung", "currency", "devise"),
}
TEXT_WORDS = ("verwendungszweck", "buchungstext", "description", "purpose", "details", "libellé", "memo")


def _guess(header: list[str], words: tuple[str, ...], taken: set[str]) -> str:
    for word in words:
        for cell in header:
            if cell not in taken and word in cell.lower():
                return cell
    return ""


class CsvLayoutForm(Form):
    name = StringField(_l("Bank"), description=_l("To know the layout again: the bank's next export with the same "
                                                  "columns is read without asking."))
    date_column = SelectField(_l("Booking date"), choices=[], validate_choice=False)
    date_format = SelectField(_l("Dates are written"), choices=[], validate_choice=False)
    value_date_column = SelectField(_l("Value date"), choices=[], validate_choice=False)
    amount_column = SelectField(_l("Amount (+ in, − out)"), choices=[], validate_choice=False)
    debit_column = SelectField(_l("Or: money out"), choices=[], validate_choice=False)
    credit_column = SelectField(_l("and money in"), choices=[], validate_choice=False)
    decimal = SelectField(_l("Decimal separator"), choices=as_choices([(",", "1.234,56"), (".", "1,234.56")]),
                          validate_choice=False)
    name_column = SelectField(_l("Payer or payee"), choices=[], validate_choice=False)
    iban_column = SelectField(_l("Their IBAN"), choices=[], validate_choice=False)
    text_columns = MultiCheckboxField(_l("Text (the purpose of the payment)"), choices=[], validate_choice=False)
    reference_column = SelectField(_l("Reference"), choices=[], validate_choice=False)
    currency_column = SelectField(_l("Currency column"), choices=[], validate_choice=False)
    currency = StringField(_l("Currency"), description=_l("Where the file names none."))

    COLUMNS = ("date_column", "value_date_column", "amount_column", "debit_column", "credit_column", "name_column",
               "iban_column", "reference_column", "currency_column")

    def __init__(self, header: list[str] | None = None, currency: str = "EUR", rows: list[list[str]] | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        header = header or []
        none = [("", "—")]
        for name in self.COLUMNS:
            getattr(self, name).choices = as_choices(none + [(c, c) for c in header if c])
        self.text_columns.choices = as_choices([(c, c) for c in header if c])
        self.date_format.choices = as_choices([(key, key) for key in bank_files.DATE_FORMATS])
        if self.is_submitted():
            return
        taken: set[str] = set()
        for name, words in GUESSES.items():
            found = _guess(header, words, taken)
            if found:
                taken.add(found)
                getattr(self, name).data = found
        if self.amount_column.data:
            self.debit_column.data = self.credit_column.data = ""
        self.text_columns.data = [c for c in header if c not in taken and any(w in c.lower() for w in TEXT_WORDS)]
        self.currency.data = currency
        self.date_format.data, self.decimal.data = _formats(header, rows or [], self.date_column.data,
                                                            self.amount_column.data or self.debit_column.data)

    def values(self) -> dict:
        return {**{name: getattr(self, name).data or "" for name in self.COLUMNS},
                "text_columns": list(self.text_columns.data or []), "date_format": self.date_format.data,
                "decimal": self.decimal.data, "currency": self.currency.data or ""}


def _formats(header: list[str], rows: list[list[str]], date_column: str, amount_column: str) -> tuple[str, str]:
    """The date format and decimal separator the preview rows suggest (a first guess the member checks)."""
    date_format, decimal = "dd.mm.yyyy", ","
    if date_column in header:
        sample = next((r[header.index(date_column)] for r in rows if len(r) > header.index(date_column)), "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", sample.strip()):
            date_format = "yyyy-mm-dd"
        elif re.fullmatch(r"\d{2}\.\d{2}\.\d{2}", sample.strip()):
            date_format = "dd.mm.yy"
        elif re.fullmatch(r"\d{2}/\d{2}/\d{4}", sample.strip()):
            date_format = "dd/mm/yyyy"
    if amount_column in header:
        samples = [r[header.index(amount_column)] for r in rows if len(r) > header.index(amount_column)]
        if any(re.search(r"\.\d{2}\s*$", s.strip().rstrip("€$£ ").strip()) for s in samples if s.strip()):
            decimal = "."
    return date_format, decimal
