"""The purchases inbox (issue 17): each official example becomes a draft with the file's exact figures and
supplier; a Factur-X PDF issued by Tallybook imports back into another organization with the same figures; other
PDFs and images are attached to an empty draft; duplicates and hostile files are refused with a clear message,
nothing stored and no request made. SQLite and PostgreSQL."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from tests.unit.test_einvoice_read import BILLION_LAUGHS, no_network, plain_pdf, xxe  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import AuditEvent, Contact, Document, DocumentFile, DocumentLine
from webapp.services import purchases
from webapp.usecases import Actor
from webapp.usecases.inbox import Upload, receive_files

FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"
EXAMPLE4 = (FIXTURES / "CII_example4.xml").read_bytes()


@pytest.fixture
def actor(owner) -> Actor:
    return Actor(org=owner.org, user=owner.user, role=owner.role)


def upload(actor: Actor, name: str, data: bytes):
    (outcome,) = receive_files(actor, [Upload(name, data)])
    return outcome


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (
        Document, DocumentLine, Contact, DocumentFile, AuditEvent))


def stored_files(org_id: int) -> list[str]:
    folder = Path(current_app.config["ATTACHMENT_DIR"]) / str(org_id)
    return sorted(os.listdir(folder)) if folder.is_dir() else []


# (file, kind, currency, supplier's number, supplier, its VAT ID as matched, invoice date,
#  (BT-106, BT-107, BT-108, BT-109, BT-110, BT-112, BT-113), VAT breakdown, line nets, where the calculator differs)
EXAMPLES = [
    ("CII_business_example_02.xml", "invoice", "EUR", "INV000013", "xxxx", "", "2013-08-25",
     (1000, 0, 0, 1000, 190, 1190, 0), [("S", "19", 1000, 190)], [126, 126, 748], []),
    ("CII_example4.xml", "invoice", "DKK", "TOSL110", "SellerCompany", "", "2013-04-10",
     (400000, 0, 0, 400000, 67500, 467500, 0), [("S", "25", 150000, 37500), ("S", "12", 250000, 30000)],
     [100000, 50000, 250000], []),
    ("ubl-tc434-creditnote1.xml", "credit_note", "EUR", "018304 / 28865", "My Supplier Company", "BE0000000196",
     "2019-09-23", (-10011, 0, 0, -10011, 0, -10011, 0), [("E", "0", -10011, 0)], [-10011], []),
    # the example's line 20 (6 x 18.33) states -109.98, a return: kept as stated, the difference named
    ("ubl-tc434-example1.xml", "invoice", "EUR", "12115118", "De Koksmaat", "NL820098395B01", "2015-01-09",
     (22960, 0, 0, 22960, 2073, 25033, 0), [("S", "6", 18323, 1099), ("S", "21", 4637, 974)],
     [1990, 985, 829, 1446, 3500, 3500, 1065, 155, 1437, 829, 1658, 995, 330, 1080, 390, 760, 934, 1863, 10212,
      -10998],
     [("Line 20", -10998, 10998), ("Sum of the lines (BT-106)", 22960, 44956),
      ("Total without VAT (BT-109)", 22960, 44956), ("VAT (BT-110)", 2073, 3393),
      ("Total with VAT (BT-112)", 25033, 48349), ("VAT S 6 %: base", 18323, 40319), ("VAT S 6 %: VAT", 1099, 2419)]),
    ("xrechnung-01.01a-INVOICE_ubl.xml", "invoice", "EUR", "123456XX", "[Seller name]", "", "2016-04-04",
     (31486, 0, 0, 31486, 2204, 33690, 0), [("S", "7", 31486, 2204)], [28879, 2607], []),
    ("xrechnung-01.01a-INVOICE_uncefact.xml", "invoice", "EUR", "123456XX", "[Seller name]", "", "2016-04-04",
     (31486, 0, 0, 31486, 2204, 33690, 0), [("S", "7", 31486, 2204)], [28879, 2607], []),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_official_example_becomes_a_draft_with_its_exact_figures(actor, example):
    name, kind, currency, number, supplier, vat_id, date, totals, breakdown, nets, diffs = example
    outcome = upload(actor, name, (FIXTURES / name).read_bytes())
    assert outcome.error is None, outcome.error
    doc = outcome.document
    assert (doc.flow, doc.status, doc.kind, doc.currency, doc.supplier_number) == (
        "purchases", "draft", kind, currency, number)
    assert (doc.contact.display_name, doc.contact.vat_id, doc.contact.is_supplier) == (supplier, vat_id, True)
    assert str(doc.chosen_issue_date) == date
    assert (doc.line_total, doc.allowance_total, doc.charge_total, doc.net_total, doc.tax_total, doc.gross_total,
            doc.prepaid_total) == totals
    assert [(g["category"], g["rate"], g["base"], g["tax"]) for g in doc.tax_breakdown] == breakdown
    assert [line.net_amount for line in doc.lines] == nets == [line.stated_net for line in doc.lines]
    assert [(str(d.where), d.stated, d.calculated) for d in purchases.differences(doc)] == diffs
    assert doc.payable_total == totals[5]
    file = outcome.file
    assert (file.file_name, file.syntax, file.file_mime, file.file_size) == (
        name, "ubl" if name.startswith(("ubl", "xrechnung-01.01a-INVOICE_ubl")) else "cii", "application/xml",
        (FIXTURES / name).stat().st_size)
    assert file.rules.startswith("XRechnung 3.0" if name.startswith("xrechnung") else "EN 16931")
    assert not [x for x in file.findings if x["flag"] == "fatal"]  # the official examples pass the rules
    assert file.file_key in stored_files(actor.org.id)


def test_the_supplier_is_matched_by_vat_id_then_by_name(actor, f):
    known = f.contact(actor.org, company="Koksmaat Holding", country="NL")
    known.vat_id = "NL820098395B01"
    by_name = f.contact(actor.org, company="SellerCompany", country="DK")
    first = upload(actor, "a.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes()).document
    second = upload(actor, "b.xml", (FIXTURES / "CII_example4.xml").read_bytes()).document
    assert (first.contact_id, second.contact_id) == (known.id, by_name.id)
    assert known.is_supplier and by_name.is_supplier


def test_a_draft_keeps_what_it_could_not_take_as_notes(actor):
    outcome = upload(actor, "x.xml", (FIXTURES / "xrechnung-01.01a-INVOICE_ubl.xml").read_bytes())
    notes = [n["t"] for n in outcome.file.notes]
    assert "The supplier's {field} {value} was left out: {reason}" in notes  # the example's VAT ID is invalid
    assert 'The unit codes {codes} are shown as "unit".' in notes


# --- a Tallybook Factur-X PDF, imported by another organization -------------------------------------------

ROUND_TRIP = ["standard 19 %", "document allowance and charge, two rates, inclusive", "line allowances and charges",
              "price per 100 units", "mixed S 19 %, S 7 %, Z and E with its exemption note", "full credit note"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_a_factur_x_pdf_by_tallybook_imports_into_another_organization_with_the_same_figures(actor, name):
    from tests.einvoice.test_matrix import CASES, make

    case = next(c for c in CASES if c.name == name)
    seller, documents = make(case)
    assert seller.id != actor.org.id
    for sale in documents:
        outcome = upload(actor, f"{sale.number}.pdf", sale.pdf)
        assert outcome.error is None, outcome.error
        bought = outcome.document
        assert (bought.org_id, bought.flow, bought.kind, bought.supplier_number, bought.currency) == (
            actor.org.id, "purchases", sale.kind, sale.number, sale.currency)
        assert bought.contact.display_name == seller.legal_name and bought.contact.vat_id == seller.vat_id
        assert bought.chosen_issue_date == sale.issue_date
        figures = ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total")
        assert [getattr(bought, n) for n in figures] == [getattr(sale, n) for n in figures]
        assert sorted((g["category"], Decimal(g["rate"]), g["base"], g["tax"]) for g in bought.tax_breakdown) == \
            sorted((g["category"], Decimal(g["rate"]), g["base"], g["tax"]) for g in sale.tax_breakdown)
        assert sorted(line.net_amount for line in bought.lines) == sorted(line.net_amount for line in sale.lines)
        assert purchases.differences(bought) == []  # Tallybook's calculator agrees with itself
        assert outcome.file.file_mime == "application/pdf" and outcome.file.syntax == "cii"
        assert not [x for x in outcome.file.findings if x["flag"] == "fatal"]


# --- files that are not e-invoices --------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize("name, data, mime", [("scan.pdf", None, "application/pdf"), ("photo.png", PNG, "image/png")])
def test_another_pdf_or_an_image_is_attached_to_an_empty_draft(actor, name, data, mime):
    data = plain_pdf() if data is None else data
    outcome = upload(actor, name, data)
    assert outcome.error is None
    doc = outcome.document
    assert (doc.flow, doc.status, doc.contact_id, doc.lines, doc.stated_totals) == ("purchases", "draft", None, [], None)
    assert (outcome.file.file_mime, outcome.file.syntax, outcome.file.findings) == (mime, "", None)
    assert len(outcome.file.notes) == 1
    assert purchases.book_problems(doc)  # the supplier and the lines are entered by hand first


def test_duplicates_are_refused_with_the_existing_draft(actor):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    first = upload(actor, "one.xml", data).document
    before = counts()
    again = upload(actor, "again.xml", data).error
    assert (again.code, again.params["document_id"]) == ("duplicate_file", first.id)
    # the same supplier's number in other bytes (the CII and UBL forms of one XRechnung)
    upload(actor, "x-ubl.xml", (FIXTURES / "xrechnung-01.01a-INVOICE_ubl.xml").read_bytes())
    before = counts()
    same = upload(actor, "x-cii.xml", (FIXTURES / "xrechnung-01.01a-INVOICE_uncefact.xml").read_bytes()).error
    assert same.code == "duplicate_number" and "123456XX" in same.english
    assert counts() == before


def test_one_bad_file_among_good_ones_leaves_the_good_ones(actor):
    files = stored_files(actor.org.id)
    outcomes = receive_files(actor, [Upload("a.xml", (FIXTURES / "CII_example4.xml").read_bytes()),
                                     Upload("bad.xml", b"<not-closed"),
                                     Upload("b.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes())])
    assert [o.error.code if o.error else "ok" for o in outcomes] == ["ok", "file_not_xml", "ok"]
    assert db.session.scalar(select(func.count()).select_from(Document).where(
        Document.org_id == actor.org.id)) == 2
    assert set(stored_files(actor.org.id)) - set(files) == {o.file.file_key for o in outcomes if o.file}


# --- hostile and broken input: a clear message, nothing stored, no request ---------------------------------

def test_hostile_and_broken_files_are_refused_and_leave_nothing(actor, no_network):  # noqa: F811
    truncated = plain_pdf()[:200]
    cases = [
        ("xxe.xml", xxe(no_network.url), "file_doctype_forbidden"),
        ("laughs.xml", BILLION_LAUGHS, "file_doctype_forbidden"),
        ("big.xml", b"<x>" + b" " * (50 * 1024 * 1024) + b"</x>", "file_too_large"),
        ("cut.pdf", truncated, "file_unreadable_pdf"),
        ("feed.xml", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "file_not_an_invoice"),
        ("empty.xml", b"", "file_empty"),
        ("notes.txt", b"just some text", "file_unsupported"),
        # well-formed e-invoices whose figures cannot be booked: an unknown VAT category, an absurd rate or amount
        ("odd.xml", EXAMPLE4.replace(b"<ram:CategoryCode>S</ram:CategoryCode>",
                                     b"<ram:CategoryCode>XX</ram:CategoryCode>", 1), "file_unknown_vat_category"),
        ("rate.xml", EXAMPLE4.replace(b"<ram:RateApplicablePercent>25</ram:RateApplicablePercent>",
                                      b"<ram:RateApplicablePercent>250</ram:RateApplicablePercent>", 1),
         "file_invalid_vat_rate"),
        ("huge.xml", EXAMPLE4.replace(b"<ram:BilledQuantity unitCode=\"C62\">1000</ram:BilledQuantity>",
                                      b"<ram:BilledQuantity unitCode=\"C62\">99999999999999</ram:BilledQuantity>", 1),
         "file_number_too_large"),
        # more digits than a Decimal context holds, or than a BIGINT column: refused before any arithmetic
        ("price.xml", EXAMPLE4.replace(b"<ram:ChargeAmount>1</ram:ChargeAmount>",
                                       b"<ram:ChargeAmount>" + b"9" * 40 + b"</ram:ChargeAmount>", 1),
         "file_number_too_large"),
        ("total.xml", EXAMPLE4.replace(b"<ram:GrandTotalAmount>4675</ram:GrandTotalAmount>",
                                       b"<ram:GrandTotalAmount>4675000000000000000</ram:GrandTotalAmount>", 1),
         "file_number_too_large"),
        # each number within bounds, their product not
        ("product.xml", EXAMPLE4.replace(b"<ram:BilledQuantity unitCode=\"C62\">1000</ram:BilledQuantity>",
                                         b"<ram:BilledQuantity unitCode=\"C62\">999999999999</ram:BilledQuantity>", 1)
         .replace(b"<ram:ChargeAmount>1</ram:ChargeAmount>", b"<ram:ChargeAmount>999999999</ram:ChargeAmount>", 1),
         "amount_too_large"),
        ("year1.xml", EXAMPLE4.replace(b">20130410<", b">00010410<", 1), "file_implausible_date"),
    ]
    before, files = counts(), stored_files(actor.org.id)
    for name, data, code in cases:
        assert data != EXAMPLE4, name
        error = upload(actor, name, data).error
        assert error is not None and error.code == code, (name, error)
        assert error.field in ("file", None) and error.english and "{" not in error.english
    assert counts() == before and stored_files(actor.org.id) == files
    assert not no_network.reached()


def test_staff_may_upload_but_not_book(login_as):
    staff = login_as("staff")
    actor = Actor(org=staff.org, user=staff.user, role="staff")
    outcome = upload(actor, "x.xml", (FIXTURES / "CII_example4.xml").read_bytes())
    assert outcome.error is None and outcome.document.flow == "purchases"


def test_booking_an_imported_purchase_freezes_the_stated_figures(actor):
    from webapp.usecases.issuing import issue

    doc = upload(actor, "x.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes()).document
    db.session.commit()
    issue(actor, doc.id, doc.version)
    db.session.commit()
    doc = db.session.get(Document, doc.id)
    assert doc.status == "issued" and doc.number.startswith("PUR-")
    assert (doc.gross_total, doc.tax_total, doc.amount_due, doc.payment_state) == (25033, 2073, 25033, "unpaid")
    assert str(doc.due_date) == "2015-01-09"  # no due date stated: the invoice date with 0 days' terms


def test_a_supplier_credit_note_corrects_the_purchase_it_names_and_books_in_its_own_series(actor):
    from tests.einvoice.test_matrix import CASES, make
    from webapp.usecases.issuing import issue

    seller, (sale, sale_credit) = make(next(c for c in CASES if c.name == "full credit note"))
    bought = upload(actor, "invoice.pdf", sale.pdf).document
    credit = upload(actor, "credit.pdf", sale_credit.pdf).document
    assert (credit.kind, credit.related_id, credit.gross_total) == ("credit_note", bought.id, -bought.gross_total)
    db.session.commit()
    issue(actor, bought.id, bought.version)
    db.session.commit()
    issue(actor, credit.id, db.session.get(Document, credit.id).version)
    db.session.commit()
    bought, credit = db.session.get(Document, bought.id), db.session.get(Document, credit.id)
    assert bought.number.startswith("PUR-") and credit.number.startswith("PCN-")
    assert (bought.credited_total, bought.amount_due, bought.payment_state) == (bought.gross_total, 0, "credited")


def test_a_credit_note_for_an_invoice_not_here_stands_alone(actor):
    outcome = upload(actor, "cn.xml", (FIXTURES / "ubl-tc434-creditnote1.xml").read_bytes())
    assert outcome.document.related_id is None
