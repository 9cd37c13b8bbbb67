"""Bank statement files (issue 18): a CAMT.053 (ISO 20022 XML), an MT940 (SWIFT) or a CSV export, read into the
same ``Statement`` of ``BankLine`` rows; ``services/bank.py`` stores and matches them.

Amounts are signed as the account sees them: positive money in (a credit), negative money out (a debit), in major
units exactly as the file writes them (``Decimal``). Nothing here touches the database.

``read(data, file_name, format, layout)`` reads CAMT.053 and MT940; a CSV has no standard columns, so without a
``CsvLayout`` it is refused with ``csv_needs_layout``: ``csv_table`` shows its columns for the member to map,
``read_csv`` reads it with the layout (see the CSV section below).

- CAMT.053 (``camt.053.001.02`` to ``.08``): every ``Stmt`` of the file, its ``Ntry`` booked (``Sts`` BOOK; a
  pending entry is no money yet) become lines; an entry with several ``TxDtls`` (a batch) becomes one line per
  transaction when each states its amount and they add up to the entry, else one line for the entry. The sign
  is ``CdtDbtInd``: ISO 20022 defines it as the direction of the entry itself, a reversal (``RvslInd``) included
  (a returned direct debit is a DBIT); the reversal only tells which party was the payer. The counterparty is
  the debtor of money in and the creditor of money out (``Dbtr``/``Cdtr``, under ``Pty`` from ``.08``).
- MT940: parsed by the ``mt-940`` library; the German structured ``:86:`` (``?20``-``?29`` purpose with the SEPA
  keywords ``EREF+``/``SVWZ+``, ``?31`` IBAN, ``?32``/``?33`` name) is split by its detail processor.

Safety: an upload is hostile. Nothing larger than ``MAX_BYTES`` is parsed, nor more than ``MAX_LINES`` lines
kept; XML is parsed by e-invoice reading's locked-down parser (no entities, no DTD, no network, no huge trees)
and a DOCTYPE is refused before parsing (it is how external entities and billion laughs arrive; no bank
statement has one). Every refusal is a ``BankFileError`` with a stable code and a message a bookkeeper can act on.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import mt940
from lxml import etree
from stdnum import iban as stdnum_iban

from webapp.domain.errors import Text
from webapp.services.einvoice_read import _has_doctype, _looks_like_xml, _parser

MAX_BYTES = 20 * 1024 * 1024  # a year of a busy account's CAMT.053 is a few megabytes
MAX_LINES = 20000
FORMATS = ("camt053", "mt940", "csv")

CODES = ("empty", "too_large", "doctype_forbidden", "not_xml", "not_a_statement", "unreadable", "too_many_lines",
         "csv_needs_layout", "invalid_amount", "invalid_date", "not_csv", "csv_column_missing", "csv_no_header")

MESSAGES = {
    "empty": Text("This file is empty."),
    "too_large": Text("This file is larger than {limit} MB, too large for a bank statement: download a shorter "
                      "period from the bank."),
    "doctype_forbidden": Text("The statement XML declares a document type (DOCTYPE), which no bank statement "
                              "has: it was refused unread."),
    "not_xml": Text("The statement XML is malformed (line {line}) and cannot be read."),
    "not_a_statement": Text("This file is neither a CAMT.053 (XML) nor an MT940 bank statement."),
    "not_camt": Text("This XML is not a CAMT.053 bank statement."),
    "other_camt": Text("This is an ISO 20022 {name} message, not an account statement: download the statement "
                       "(CAMT.053) from the bank."),
    "camt_version": Text("This CAMT.053 statement is of version {version}, which cannot be read: versions 02 to "
                         "08 can."),
    "no_statement": Text("This CAMT.053 file holds no statement."),
    "unreadable": Text("The MT940 statement cannot be read: its field :{tag}: is not written as MT940 writes it."),
    "unreadable_entry": Text("Entry {number}: the field :{tag}: is not written as MT940 writes it, the statement "
                             "cannot be read."),
    "unreadable_any": Text("The MT940 statement cannot be read: it is damaged or not written as MT940 writes it."),
    "too_many_lines": Text("This statement has more than {limit} entries: download a shorter period from the "
                           "bank."),
    "csv_needs_layout": Text("This is a CSV file: choose the bank's column layout to read it."),
    "invalid_amount": Text("Entry {number}: the amount \"{value}\" is not a valid amount."),
    "invalid_direction": Text("Entry {number}: the direction \"{value}\" is neither credit (CRDT) nor debit "
                              "(DBIT)."),
    "invalid_balance": Text("The balance \"{value}\" of the statement is not a valid amount."),
    "invalid_date": Text("Entry {number}: the date \"{value}\" is not a valid date."),
    "no_date": Text("Entry {number}: it has no booking date."),
    "not_csv": Text("This file is not a CSV table of a bank statement: download the statement from the bank as "
                    "CSV (a spreadsheet such as .xlsx or a PDF cannot be read)."),
    "csv_no_header": Text("No line naming the columns was found in the first 30 lines of this CSV file: a line "
                          "with at least three column names, followed by rows with as many cells."),
    "csv_column_missing": Text("The column {column} of the layout is not in this file."),
    "csv_invalid_amount": Text("Row {number}: the amount \"{value}\" is not a valid amount (with \"{decimal}\" "
                               "as the decimal separator)."),
    "csv_no_amount": Text("Row {number}: it has a date but no amount."),
    "csv_invalid_date": Text("Row {number}: the date \"{value}\" is not a valid date written {format}."),
}


@dataclass(frozen=True)
class BankLine:
    booked_on: date
    amount: Decimal  # signed: + money in, - money out
    currency: str
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""  # the remittance information as one text (unstructured parts, then a creditor reference)
    reference: str = ""  # the bank's own reference of the entry (CAMT AcctSvcrRef, MT940 :61: bank reference)
    end_to_end_id: str = ""  # the payer's end-to-end id (not "NOTPROVIDED")


@dataclass(frozen=True)
class Statement:
    format: str  # one of FORMATS
    account_iban: str = ""
    currency: str = ""
    statement_id: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    lines: list[BankLine] = field(default_factory=list)
    account_id: str = ""  # the account as the file names it (an IBAN, or e.g. MT940 :25: "10020030/0123456789")


class BankFileError(ValueError):
    """A file that cannot be read as a bank statement: ``code`` names why, ``text`` says it to the member."""

    def __init__(self, code: str, text: Text):
        super().__init__(text)
        self.code, self.text = code, text


def _error(code: str, message: str | None = None, **params) -> BankFileError:
    return BankFileError(code, Text(MESSAGES[message or code].template, **params))


# --- entry point -------------------------------------------------------------------------------------------

def read(data: bytes, file_name: str = "", format: str | None = None, layout: CsvLayout | None = None
         ) -> Statement:
    """The statement in ``data``: ``format`` one of ``FORMATS``, or None to recognise it from the bytes
    (``file_name`` is only a hint: a ``*.csv`` that is no statement is a CSV, a ``*.xml`` malformed XML).
    A CSV is read with ``layout`` (``read_csv``); without one it is refused with ``csv_needs_layout``.
    Raises ``BankFileError``."""
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown bank file format {format!r}")
    if len(data) > MAX_BYTES:
        raise _error("too_large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise _error("empty")
    format = format or _detect(data, file_name.lower())
    if format == "csv":
        if layout is None:
            raise _error("csv_needs_layout")
        return read_csv(data, layout)
    return _camt(data) if format == "camt053" else _mt940(data)


_MT940_TAGS = (re.compile(r"^[ \t]*:20:", re.M), re.compile(r"^[ \t]*:25:", re.M),
               re.compile(r"^[ \t]*:60[FM]:", re.M))
_MT940_ENTRY = re.compile(r"^[ \t]*:61:", re.M)


def _detect(data: bytes, file_name: str) -> str:
    """XML is a CAMT.053 or nothing; text with an MT940 statement's header tags (reference, account, opening
    balance) is MT940 -- a day without movements has no ``:61:``, so it is not required."""
    if _looks_like_xml(data):
        return "camt053"
    head = _decode(data[:65536])
    if all(tag.search(head) for tag in _MT940_TAGS):
        return "mt940"
    if file_name.endswith(".xml"):
        raise _error("not_xml", line=1)
    if file_name.endswith(".csv") or _looks_like_csv(head) or _csv_shape(head) is not None:
        return "csv"
    raise _error("not_a_statement")


def _looks_like_csv(text: str) -> bool:
    """A header of at least three columns and rows with the same separator."""
    rows = [row for row in text.splitlines()[:6] if row.strip()]
    return len(rows) >= 2 and any(rows[0].count(sep) >= 2 and all(sep in row for row in rows)
                                  for sep in (";", "\t", ",", "|"))


def _decode(data: bytes) -> str:
    """UTF-8 first (with or without a byte order mark); then Windows-1252, which German banks' MT940 mostly is;
    Latin-1 last, which decodes any byte."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _iban(value: str) -> str:
    """``value`` compacted when it is a valid IBAN, else ""."""
    compact = stdnum_iban.compact(value or "")
    return compact if compact and stdnum_iban.is_valid(compact) else ""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


# --- CAMT.053 ----------------------------------------------------------------------------------------------

_CAMT_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.[0-9]{3})\.001\.([0-9]{2})")
_CAMT_VERSIONS = range(2, 9)
_CAMT_AMOUNT = re.compile(r"[0-9]{1,18}(?:\.[0-9]{0,5})?")  # ActiveOrHistoricCurrencyAndAmount: not negative
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:$|[TZ+-])")  # ISODate, or the date of an ISODateTime


def _camt(data: bytes) -> Statement:
    if not _looks_like_xml(data):
        raise _error("not_a_statement", "not_camt")
    if _has_doctype(data):
        raise _error("doctype_forbidden")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as e:  # ValueError: bytes lxml cannot decode at all
        raise _error("not_xml", line=getattr(e, "lineno", None) or 1) from None
    if root is None:
        raise _error("not_xml", line=1)
    if root.getroottree().docinfo.doctype:  # what the scan could not see (an unusual encoding)
        raise _error("doctype_forbidden")
    qname = etree.QName(root)
    match = _CAMT_NS.fullmatch(qname.namespace or "")
    if match is None or qname.localname != "Document":
        raise _error("not_a_statement", "not_camt")
    if match[1] != "camt.053":
        raise _error("not_a_statement", "other_camt", name=match[1])
    if int(match[2]) not in _CAMT_VERSIONS:
        raise _error("not_a_statement", "camt_version", version=match[2])
    ns = {"c": qname.namespace}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise _error("not_a_statement", "no_statement")
    lines: list[BankLine] = []
    number = 0
    for statement in statements:
        for entry in statement.iterfind("c:Ntry", ns):
            number += 1  # entries are counted as the file has them, pending ones too, so a member can find one
            status = entry.find("c:Sts", ns)
            code = "BOOK" if status is None else (status.findtext("c:Cd", None, ns) or status.text or "")
            if code.strip().upper() != "BOOK":
                continue
            lines.extend(_camt_entry(entry, ns, number))
            if len(lines) > MAX_LINES:
                raise _error("too_many_lines", limit=MAX_LINES)
    first = statements[0]
    currency = _text(first, "c:Acct/c:Ccy", ns) or next(
        (amount.get("Ccy", "") for amount in first.iterfind("c:Bal/c:Amt", ns)), "")
    return Statement(
        format="camt053", account_iban=_iban(_text(first, "c:Acct/c:Id/c:IBAN", ns)), currency=currency.upper(),
        statement_id=_text(first, "c:Id", ns), opening_balance=_camt_balance(first, ns, ("OPBD", "PRCD")),
        closing_balance=_camt_balance(statements[-1], ns, ("CLBD",)), lines=lines,
        account_id=_text(first, "c:Acct/c:Id/c:IBAN", ns) or _text(first, "c:Acct/c:Id/c:Othr/c:Id", ns))


def _text(element, path: str, ns: dict) -> str:
    return _clean(element.findtext(path, "", ns)) if element is not None else ""


def _camt_amount(element, number: int) -> tuple[Decimal, str]:
    """The amount (not signed: ``CdtDbtInd`` beside it says the direction) and the currency of an ``Amt``."""
    value = (element.text or "").strip()
    if not _CAMT_AMOUNT.fullmatch(value):
        raise _error("invalid_amount", number=number, value=value)
    return Decimal(value), (element.get("Ccy") or "").strip().upper()


def _credit(element, number: int, ns: dict, default: bool | None = None) -> bool:
    value = _text(element, "c:CdtDbtInd", ns)
    if not value and default is not None:
        return default
    if value not in ("CRDT", "DBIT"):
        raise _error("invalid_amount", "invalid_direction", number=number, value=value)
    return value == "CRDT"


def _camt_date(element, path: str, number: int, ns: dict) -> date | None:
    value = _text(element, f"{path}/c:Dt", ns) or _text(element, f"{path}/c:DtTm", ns)
    if not value:
        return None
    match = _ISO_DATE.match(value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise _error("invalid_date", number=number, value=value)


def _camt_balance(statement, ns: dict, codes: tuple[str, ...]) -> Decimal | None:
    """The first balance of the ``codes`` (in their order), signed by its ``CdtDbtInd``."""
    balances = {_text(bal, "c:Tp/c:CdOrPrtry/c:Cd", ns): bal for bal in reversed(statement.findall("c:Bal", ns))}
    for code in codes:
        bal = balances.get(code)
        amount = bal.find("c:Amt", ns) if bal is not None else None
        if amount is not None:
            value = (amount.text or "").strip()
            if not _CAMT_AMOUNT.fullmatch(value):
                raise _error("invalid_amount", "invalid_balance", value=value)
            return Decimal(value) if _text(bal, "c:CdtDbtInd", ns) != "DBIT" else -Decimal(value)
    return None


def _camt_entry(entry, ns: dict, number: int) -> list[BankLine]:
    """The lines of a booked ``Ntry``: one, or one per transaction of a batch that states each amount."""
    amount_element = entry.find("c:Amt", ns)
    if amount_element is None:
        raise _error("invalid_amount", number=number, value="")
    amount, currency = _camt_amount(amount_element, number)
    credit = _credit(entry, number, ns)
    booked_on = _camt_date(entry, "c:BookgDt", number, ns)
    value_date = _camt_date(entry, "c:ValDt", number, ns)
    if booked_on is None and value_date is None:
        raise _error("invalid_date", "no_date", number=number)
    common = dict(booked_on=booked_on or value_date, value_date=value_date, currency=currency)
    signed = amount if credit else -amount
    entry_reference = _text(entry, "c:AcctSvcrRef", ns)
    transactions = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if not transactions:
        return [BankLine(amount=signed, reference=entry_reference, **common)]
    # the payer was the debtor of the original movement: of this one, unless this one reverses it
    reversal = _text(entry, "c:RvslInd", ns).lower() in ("true", "1")
    side = "Dbtr" if credit != reversal else "Cdtr"
    details = [_camt_details(tx, ns, side, entry_reference) for tx in transactions]
    if len(transactions) == 1:
        return [BankLine(amount=signed, **common, **details[0])]
    amounts = [_camt_tx_amount(tx, ns, number, credit) for tx in transactions]
    if all(a is not None and a[1] == currency for a in amounts) and sum(a[0] for a in amounts) == signed:
        return [BankLine(amount=a[0], **common, **d) for a, d in zip(amounts, details)]
    # a batch without its amounts (or not adding up): the entry is what hit the account, it stays one line
    same = {key: values[0] if len(set(values)) == 1 else ""
            for key in ("counterparty_name", "counterparty_iban", "end_to_end_id")
            for values in [[d[key] for d in details]]}
    remittance = " ".join(d["remittance"] for d in details if d["remittance"])
    return [BankLine(amount=signed, remittance=remittance, reference=entry_reference, **same, **common)]


def _camt_tx_amount(tx, ns: dict, number: int, credit: bool) -> tuple[Decimal, str] | None:
    """A transaction's own amount (``Amt`` from ``.03``, else ``AmtDtls/TxAmt``), signed; None if it has none."""
    element = tx.find("c:Amt", ns)
    if element is None:
        element = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
    if element is None:
        return None
    amount, currency = _camt_amount(element, number)
    return (amount if _credit(tx, number, ns, default=credit) else -amount), currency


def _camt_details(tx, ns: dict, side: str, entry_reference: str) -> dict:
    """What a ``TxDtls`` says of the payment: the counterparty, the remittance, the references."""
    party = tx.find(f"c:RltdPties/c:{side}", ns)
    ustrd = [_clean(u.text) for u in tx.iterfind("c:RmtInf/c:Ustrd", ns)]
    creditor_references = [_text(s, "c:CdtrRefInf/c:Ref", ns) for s in tx.iterfind("c:RmtInf/c:Strd", ns)]
    end_to_end = _text(tx, "c:Refs/c:EndToEndId", ns)
    return dict(
        counterparty_name=_text(party, "c:Pty/c:Nm", ns) or _text(party, "c:Nm", ns),  # .08 wraps it in Pty
        counterparty_iban=stdnum_iban.compact(_text(tx, f"c:RltdPties/c:{side}Acct/c:Id/c:IBAN", ns)),
        remittance=" ".join(part for part in ustrd + creditor_references if part),
        reference=_text(tx, "c:Refs/c:AcctSvcrRef", ns) or entry_reference,
        end_to_end_id="" if end_to_end.upper() == "NOTPROVIDED" else end_to_end)


# --- MT940 -------------------------------------------------------------------------------------------------

# the library's fixes of its 5.0.0 behaviour that matter here: ?31 is the IBAN (not part of the name), a :61:
# reference survives an :86: without one, a reversal of a credit (RC) is money out, lowercase marks count, a
# byte order mark does not hide the first tag, long :86: details are not cut
_MT940_OPTIONS = mt940.Options(applicant_iban=True, merge_keeps_values=True, reversal_sign=True,
                               case_insensitive_marks=True, strip_bom=True, unbounded_details=True)
# the library logs a tag it cannot match at ERROR, with its value: bank data (names, IBANs) has no place in the
# log, and the refusal is reported to the member anyway
logging.getLogger("mt940").setLevel(logging.CRITICAL)
_MT940_AMOUNT = re.compile(r"[0-9]+(?:,[0-9]*)?")
_MT940_BALANCES = ("opening_balance", "final_opening_balance", "intermediate_opening_balance", "closing_balance",
                   "final_closing_balance", "intermediate_closing_balance", "available_balance",
                   "forward_available_balance")
_NO_REFERENCE = ("", "NONREF", "NOTPROVIDED")


def _mt940(data: bytes) -> Statement:
    text = _decode(data)
    if not all(tag.search(text) for tag in _MT940_TAGS):
        raise _error("not_a_statement")
    if len(_MT940_ENTRY.findall(text)) > MAX_LINES:
        raise _error("too_many_lines", limit=MAX_LINES)
    entries = [0]  # the :61: read so far, over every statement of the file

    def check_entry(transactions, tag, tag_dict, *args):
        """Refuses a :61: amount or date the library would turn into an exception (or read wrongly)."""
        entries[0] += 1
        amount, kind = tag_dict.get("amount") or "", tag_dict.get("id") or ""
        if not _MT940_AMOUNT.fullmatch(amount):
            raise _error("invalid_amount", number=entries[0], value=amount)
        if kind[:1] not in ("", "N", "S", "F"):  # the type code is S, N or F: "12,3xNTRF" is no 12.3
            raise _error("invalid_amount", number=entries[0], value=amount + kind[:1])
        value = f"{tag_dict['year']}{tag_dict['month']}{tag_dict['day']}"
        try:
            date(2000 + int(tag_dict["year"]), int(tag_dict["month"]), int(tag_dict["day"]))
            if (tag_dict.get("entry_month") or "").strip():
                value = f"{tag_dict['entry_month']}{tag_dict['entry_day']}"
                date(2000, int(tag_dict["entry_month"]), int(tag_dict["entry_day"]))  # a leap year: 0229 is a date
        except ValueError:
            raise _error("invalid_date", number=entries[0], value=value) from None
        return tag_dict

    def check_balance(transactions, tag, tag_dict, *args):
        if not _MT940_AMOUNT.fullmatch(tag_dict.get("amount") or ""):
            raise _error("invalid_amount", "invalid_balance", value=tag_dict.get("amount") or "")
        return tag_dict

    processors = {"pre_statement": [mt940.processors.date_fixup_pre_processor, check_entry],
                  **{f"pre_{slug}": [check_balance] for slug in _MT940_BALANCES}}
    try:  # a file object: the library reads a str that names an existing file as that file
        blocks = mt940.parse_statements(io.StringIO(text), processors=processors, options=_MT940_OPTIONS)
    except BankFileError:
        raise
    except RuntimeError as e:  # a tag its pattern does not match: (message, tag, value)
        tag = str(getattr(e.args[1], "id", "")) if len(e.args) > 1 else ""
        if tag in ("61", "86"):  # a :61: not read yet, or the :86: of the last one read
            raise _error("unreadable", "unreadable_entry", tag=tag, number=entries[0] + int(tag == "61")) from None
        raise _error("unreadable", "unreadable" if tag else "unreadable_any", tag=tag) from None
    except Exception:  # whatever else the library trips over in a damaged file
        raise _error("unreadable", "unreadable_any") from None
    if not blocks:
        raise _error("not_a_statement")
    lines = [_mt940_line(t, block.currency or "") for block in blocks for t in block]
    first, last = blocks[0].data, blocks[-1].data
    account = _clean(first.get("account_identification"))
    statement_id = first.get("transaction_reference") or ""
    if first.get("statement_number"):
        statement_id = "/".join(filter(None, (first["statement_number"], first.get("sequence_number"))))
    iban = re.fullmatch(r"([A-Z]{2}[0-9]{2}[A-Z0-9]+?)(?:[A-Z]{3})?", account.replace(" ", "").upper())
    return Statement(
        format="mt940", account_iban=_iban(account) or (_iban(iban[1]) if iban else ""),
        currency=(blocks[0].currency or "").upper(), statement_id=_clean(statement_id), lines=lines,
        opening_balance=_mt940_balance(first, "final_opening_balance", "intermediate_opening_balance",
                                       "opening_balance"),
        closing_balance=_mt940_balance(last, "final_closing_balance", "intermediate_closing_balance",
                                       "closing_balance"),
        account_id=account)


def _mt940_balance(data: dict, *keys: str) -> Decimal | None:
    for key in keys:
        balance = data.get(key)
        if balance is not None and isinstance(balance.amount, mt940.models.Amount):
            return balance.amount.amount
    return None


def _mt940_line(transaction, currency: str) -> BankLine:
    """A :61: with its :86:. A structured :86: (``166?00...``) gives purpose, name and IBAN apart (the library
    took ``transaction_details`` off); any other :86: is the remittance as it stands, its lines joined."""
    d = transaction.data
    value_date = date(d["date"].year, d["date"].month, d["date"].day)
    entry_date = d.get("entry_date")
    structured = "transaction_details" not in d
    end_to_end = _clean(d.get("end_to_end_reference"))
    reference = next((r for r in (_clean(d.get("bank_reference")), _clean(d.get("customer_reference")))
                      if r.upper() not in _NO_REFERENCE), "")
    return BankLine(
        booked_on=date(entry_date.year, entry_date.month, entry_date.day) if entry_date else value_date,
        amount=d["amount"].amount, currency=currency.upper(), value_date=value_date,
        counterparty_name=_clean(d.get("applicant_name")) if structured else "",
        counterparty_iban=_iban(d.get("applicant_iban") or d.get("gvc_applicant_iban") or "") if structured else "",
        remittance=_clean(d.get("purpose") if structured else d.get("transaction_details")),
        reference=reference, end_to_end_id="" if end_to_end.upper() in _NO_REFERENCE else end_to_end)


# --- CSV ---------------------------------------------------------------------------------------------------
# A bank's CSV export has its own columns: ``csv_table`` finds the header (after a preamble of account, period
# and balance lines, as Sparkasse, Deutsche Bank, comdirect and DKB write) for the member to map, and ``read_csv``
# reads the file with the ``CsvLayout`` mapped. Columns are named by the header's text, compared without case and
# surplus spaces (``header_key``), so a layout saved for a header is found, and applies, again.

DATE_FORMATS = {"dd.mm.yyyy": "%d.%m.%Y", "dd.mm.yy": "%d.%m.%y", "yyyy-mm-dd": "%Y-%m-%d",
                "dd/mm/yyyy": "%d/%m/%Y", "mm/dd/yyyy": "%m/%d/%Y"}
CSV_DELIMITERS = (";", ",", "\t", "|")
CSV_ENCODINGS = ("utf-8", "cp1252")
CSV_HEADER_LINES = 30  # the header is one of the file's first 30 lines
CSV_PREVIEW_ROWS = 5


@dataclass(frozen=True)
class CsvLayout:
    """How one bank writes its CSV export: which column holds what (by the header's text)."""
    date_column: str
    date_format: str  # one of DATE_FORMATS
    decimal: str = ","  # "," or "."
    delimiter: str = ";"  # ";", ",", "\t" or "|"
    encoding: str = "utf-8"  # "utf-8" or "cp1252"
    amount_column: str = ""  # signed amounts (+ in, - out) ...
    debit_column: str = ""  # ... or money out and money in in two columns (either may be empty per row;
    credit_column: str = ""  # a debit is taken as money out whatever its sign as written)
    name_column: str = ""
    iban_column: str = ""
    text_columns: tuple[str, ...] = ()  # joined with a space into the remittance
    reference_column: str = ""
    value_date_column: str = ""
    currency_column: str = ""
    currency: str = "EUR"  # when there is no currency column (or a row's is empty)


@dataclass(frozen=True)
class CsvTable:
    """What the column-mapping screen shows of an uploaded CSV."""
    encoding: str
    delimiter: str
    header_row: int  # 0-based index of the header line in the file
    header: list[str]  # the header's cells, stripped
    rows: list[list[str]]  # up to 5 data rows after the header (for the preview)


def header_key(header: list[str]) -> str:
    """A stable signature of a header, to find a saved layout again: its cells lowercased, without surplus
    spaces (and without empty cells at the end), joined with "|"."""
    cells = [_column(cell) for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    return "|".join(cells)


def _column(name: str) -> str:
    return " ".join((name or "").split()).lower()


def csv_table(data: bytes) -> CsvTable:
    """The encoding, delimiter, header and first rows of a CSV export. Raises ``BankFileError``."""
    _check_csv_bytes(data)
    encoding, text = next(((e, t) for e in CSV_ENCODINGS if (t := _csv_decode(data, e)) is not None),
                          (None, None))
    if text is None or _looks_binary(text):
        raise _error("not_csv")
    shape = _csv_shape(text)
    if shape is None:
        split = any(len(cells) >= 2 for d in CSV_DELIMITERS for _, cells in _csv_head(text, d))
        raise _error("csv_no_header" if split else "not_csv")
    delimiter, records, index = shape
    header = [cell.strip() for cell in records[index][1]]
    while header and not header[-1]:
        header.pop()
    rows = []
    for _, cells in itertools.islice(_csv_records(text, delimiter), index + 1, None):
        if len(rows) == CSV_PREVIEW_ROWS:
            break
        cells = [cell.strip() for cell in cells]
        if any(cells):
            rows.append((cells + [""] * len(header))[:len(header)])
    return CsvTable(encoding=encoding, delimiter=delimiter, header_row=records[index][0] - 1, header=header,
                    rows=rows)


def read_csv(data: bytes, layout: CsvLayout) -> Statement:
    """The statement in a CSV export read with ``layout``: each row after the header with a date and an amount
    is a line; a row whose date cell holds no date (empty lines, footers such as "Kontostand ...", a pending
    entry's "offen") is no entry, nor is one of amount 0 (it moves nothing). The account is the first IBAN of
    the lines before the header (DKB: "Kontonummer:"), if any. Raises ``BankFileError``; ``ValueError`` for a
    layout that is not one (``bank_layouts.checked`` makes them)."""
    encoding = _check_layout(layout)
    _check_csv_bytes(data)
    texts = [t for e in dict.fromkeys((encoding, *CSV_ENCODINGS)) if (t := _csv_decode(data, e)) is not None]
    if not texts or _looks_binary(texts[0]):
        raise _error("not_csv")
    wanted = [_column(c) for c in _layout_columns(layout)]
    # the layout's encoding and delimiter first; then the others (a file saved again by a spreadsheet)
    found = next(((text, delimiter, number) for text in texts
                  for delimiter in dict.fromkeys((layout.delimiter, *CSV_DELIMITERS))
                  for number, cells in _csv_head(text, delimiter, quiet=True)
                  if number <= CSV_HEADER_LINES and set(wanted) <= {_column(c) for c in cells}), None)
    if found is None:  # name the first column the likeliest header line lacks
        best = max((set(wanted) & {_column(c) for c in cells} for _, cells in _csv_head(texts[0], layout.delimiter)),
                   key=len, default=set())
        missing = next(c for c in _layout_columns(layout) if _column(c) not in best)
        raise _error("csv_column_missing", column=missing)
    text, delimiter, header_line = found
    records = _csv_records(text, delimiter)
    account = ""
    for number, cells in records:
        if number == header_line:
            position = {}
            for i, cell in enumerate(cells):
                position.setdefault(_column(cell), i)
            break
        account = account or next(filter(None, map(_preamble_iban, cells)), "")
    lines: list[BankLine] = []
    for number, cells in records:
        line = _csv_line(layout, position, number, cells)
        if line is not None:
            lines.append(line)
            if len(lines) > MAX_LINES:
                raise _error("too_many_lines", limit=MAX_LINES)
    currency = layout.currency.strip().upper()
    return Statement(format="csv", account_iban=account, currency=currency, lines=lines, account_id=account)


def _check_layout(layout: CsvLayout) -> str:
    """The layout's encoding as ``CSV_ENCODINGS`` names it; ``ValueError`` for a layout that is not one."""
    try:
        encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "cp1252": "cp1252"}[codecs.lookup(layout.encoding).name]
    except (LookupError, KeyError):
        raise ValueError(f"unknown CSV encoding {layout.encoding!r}") from None
    if layout.date_format not in DATE_FORMATS:
        raise ValueError(f"unknown date format {layout.date_format!r}")
    if layout.decimal not in (",", ".") or layout.delimiter not in CSV_DELIMITERS:
        raise ValueError(f"unknown decimal separator {layout.decimal!r} or delimiter {layout.delimiter!r}")
    if not layout.date_column.strip():
        raise ValueError("a CSV layout names its date column")
    if bool(layout.amount_column.strip()) == bool(layout.debit_column.strip() and layout.credit_column.strip()) or (
            layout.amount_column.strip() and (layout.debit_column.strip() or layout.credit_column.strip())):
        raise ValueError("a CSV layout names an amount column, or a debit and a credit column")
    return encoding


def _layout_columns(layout: CsvLayout) -> list[str]:
    named = (layout.date_column, layout.amount_column, layout.debit_column, layout.credit_column,
             layout.name_column, layout.iban_column, *layout.text_columns, layout.reference_column,
             layout.value_date_column, layout.currency_column)
    return list(dict.fromkeys(c for c in named if _column(c)))


def _check_csv_bytes(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise _error("too_large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip() or not data.removeprefix(codecs.BOM_UTF8).strip():
        raise _error("empty")
    if b"\x00" in data:  # a spreadsheet, a PDF, an image -- or UTF-16, which no bank's CSV is
        raise _error("not_csv")


def _csv_decode(data: bytes, encoding: str) -> str | None:
    """``data`` as ``encoding`` ("utf-8": with or without a byte order mark), or None if it is not."""
    if encoding != "utf-8" and data.startswith(codecs.BOM_UTF8):
        return None
    try:
        return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    """Control characters (other than tab, line breaks, form feed and a DOS end-of-file mark) in more than 1% of
    the first 64 KB: a binary file, whatever decoded it."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\x1a") or ord(ch) == 0x7f)
    return controls * 100 > len(sample)


def _csv_records(text: str, delimiter: str):
    """(line, cells) of each record of the CSV text: ``line`` the 1-based number of the file's line it starts on
    (a quoted cell may hold a line break). An empty line is a record with no cells."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            yield start, cells
    except csv.Error:  # a cell beyond the csv module's limit (128 KB): no bank writes one
        raise _error("not_csv") from None


def _csv_head(text: str, delimiter: str, quiet: bool = False) -> list[tuple[int, list[str]]]:
    """The records of the first ``CSV_HEADER_LINES`` lines and a few after them (the rows after a header);
    ``quiet``: those before a record the csv module cannot read, instead of refusing the file."""
    head = []
    try:
        for record in itertools.islice(_csv_records(text, delimiter), CSV_HEADER_LINES + 20):
            if record[0] > CSV_HEADER_LINES + 20:
                break
            head.append(record)
    except BankFileError:
        if not quiet:
            raise
    return head


_DATA_LIKE = re.compile(r"[-+(]?\s*(?:[A-Z]{3}\s*|[€$£¥]\s*)?[0-9]")  # a cell that is a number or a date


def _csv_header(head: list[tuple[int, list[str]]]) -> int | None:
    """The index in ``head`` of the header: of the records of the first 30 lines with at least three non-empty
    cells, none a number or a date, and followed by a row with as many cells, the first with the most."""
    best, most = None, 2
    for index, (number, cells) in enumerate(head):
        if number > CSV_HEADER_LINES:
            break
        count = sum(1 for cell in cells if cell.strip())
        if count <= most or any(_DATA_LIKE.match(cell.strip()) for cell in cells):
            continue
        following = next((c for _, c in head[index + 1:] if any(cell.strip() for cell in c)), None)
        named = max(i + 1 for i, cell in enumerate(cells) if cell.strip())
        if following is not None and named <= len(following) <= len(cells) + 1:  # a ";" at the end, or not
            best, most = index, count
    return best


def _csv_shape(text: str) -> tuple[str, list, int] | None:
    """(delimiter, head, index of the header in head) of the delimiter whose header has the most columns (then
    the most rows of as many cells), or None: no delimiter gives a header."""
    best, score = None, None
    for delimiter in CSV_DELIMITERS:
        head = _csv_head(text, delimiter, quiet=True)
        index = _csv_header(head)
        if index is None:
            continue
        header = head[index][1]
        rows = sum(1 for _, cells in head[index + 1:] if len(cells) in (len(header), len(header) + 1))
        if score is None or (sum(1 for c in header if c.strip()), rows) > score:
            best, score = (delimiter, head, index), (sum(1 for c in header if c.strip()), rows)
    return best


_IBAN_IN_TEXT = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def _preamble_iban(cell: str) -> str:
    """The first valid IBAN written in ``cell`` (spaces allowed, text after it), compacted; else ""."""
    for match in _IBAN_IN_TEXT.finditer(cell.upper()):
        compact = match[0].replace(" ", "")
        for end in range(len(compact), 14, -1):
            if stdnum_iban.is_valid(compact[:end]):
                return compact[:end]
    return ""


def _cell(cells: list[str], position: dict, column: str) -> str:
    index = position.get(_column(column)) if _column(column) else None
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _csv_line(layout: CsvLayout, position: dict, number: int, cells: list[str]) -> BankLine | None:
    """The line of a row after the header, or None for a row that is no entry."""
    written = _cell(cells, position, layout.date_column)
    if not written[:1].isdigit():  # empty, or words: "Kontostand am 31.03.2026", "offen", a repeated header
        return None
    booked_on = _csv_date(written, layout, number)
    if layout.amount_column:
        parts = [(_cell(cells, position, layout.amount_column), False)]
    else:
        parts = [(_cell(cells, position, layout.debit_column), True),
                 (_cell(cells, position, layout.credit_column), False)]
    if not any(value for value, _ in parts):
        raise _error("invalid_amount", "csv_no_amount", number=number)
    amount = Decimal(0)
    for value, debit in parts:
        if value:
            parsed = _csv_amount(value, layout.decimal, number)
            amount += -abs(parsed) if debit else parsed
    if amount == 0:
        return None
    value_date = _cell(cells, position, layout.value_date_column)
    return BankLine(
        booked_on=booked_on, amount=amount,
        currency=(_cell(cells, position, layout.currency_column) or layout.currency).strip().upper(),
        value_date=_csv_date(value_date, layout, number) if value_date else None,
        counterparty_name=_clean(_cell(cells, position, layout.name_column)),
        counterparty_iban="".join(_cell(cells, position, layout.iban_column).split()).upper(),
        remittance=" ".join(filter(None, (_clean(_cell(cells, position, c)) for c in layout.text_columns))),
        reference=_clean(_cell(cells, position, layout.reference_column)))


def _csv_date(value: str, layout: CsvLayout, number: int) -> date:
    try:
        return datetime.strptime(value, DATE_FORMATS[layout.date_format]).date()
    except ValueError:
        raise _error("invalid_date", "csv_invalid_date", number=number, value=value[:40],
                     format=layout.date_format) from None


_CURRENCY = r"(?:[A-Z]{3}|[€$£¥])"
_CSV_AMOUNT = re.compile(rf"([+-]?)\s*(?:{_CURRENCY}\s*)?([+-]?)\s*([0-9][0-9.,'’\s]*?)\s*([+-]?)\s*"
                         rf"(?:{_CURRENCY}\s*)?([+-]?)")
_CSV_NUMBER = {decimal: re.compile(rf"([0-9]{{1,3}}(?:([{re.escape(other)} \u00a0\u202f'’])[0-9]{{3}}"
                                   rf"(?:\2[0-9]{{3}})*)?|[0-9]+)(?:{re.escape(decimal)}([0-9]+))?")
               for decimal, other in ((",", "."), (".", ","))}


def _csv_amount(value: str, decimal: str, number: int) -> Decimal:
    """An amount as a bank's CSV writes it: ``decimal`` the decimal separator, the other (or a space, an
    apostrophe) grouping thousands; a sign before or after it, or parentheses for money out; a currency code or
    symbol before or after it."""
    text, negative = value.strip(), False
    if text.startswith("(") and text.endswith(")"):
        text, negative = text[1:-1].strip(), True
    shape = _CSV_AMOUNT.fullmatch(text)
    number_match = _CSV_NUMBER[decimal].fullmatch(shape[3].strip()) if shape else None
    signs = [s for s in (shape[1], shape[2], shape[4], shape[5]) if s] if shape else []
    if number_match is None or len(signs) > 1 or (negative and signs):
        raise _error("invalid_amount", "csv_invalid_amount", number=number, value=value[:40], decimal=decimal)
    digits = re.sub(r"[^0-9]", "", number_match[1])
    amount = Decimal(f"{digits}.{number_match[3]}" if number_match[3] else digits)
    return -amount if negative or signs == ["-"] else amount
