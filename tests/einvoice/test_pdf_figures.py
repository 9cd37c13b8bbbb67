"""The PDF says what the Factur-X XML says: for every document of the e-invoice matrix (tests/einvoice/test_matrix.py),
the text of the PDF stored at issue (``pdftotext -layout``) carries every money figure of its Factur-X CII -- the sum
of the lines (BT-106), the total without VAT (BT-109), the VAT (BT-110), the total (BT-112), the amount due (BT-115)
and each VAT group's taxable amount and VAT (BT-116/117) -- written as the PDF writes money (``i18n.format_money`` in
the document's locale), each on its own row, and the document's number (BT-1) and, on a credit note, the number of
the invoice it corrects (BT-25).

What the PDF prints (templates/pdf/invoice.html, macros/document_body.html): the totals table ("Sum of lines",
"Total without VAT", "VAT", "Total") and one VAT breakdown row per group (rate, taxable amount, VAT). A credit note
prints its amounts negative, as they are stored, where the XML (type 381) states them positive; the amount it
credits is printed positive in its closing sentence. An invoice has no separate "amount due" row: the amount due is
the total, and the payment box asks for it ("Please transfer <amount> by <date> to:").
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from flask_babel import gettext
from lxml import etree

from tests.einvoice.test_matrix import CASES, RAM, figures, make
from webapp.domain.money import to_minor
from webapp.i18n import customer_language, document_locale, format_money, format_number
from webapp.services import einvoice_xml

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS = {"ram": RAM, "rsm": RSM}
LONG = 100  # a case with this many lines renders a long PDF: it runs with the slow tests (the PostgreSQL pass)
GAP = r"[^\S\n]+"  # the space between two cells of one text line
NOT_PART_OF_A_NUMBER_BEFORE = r"(?<![\d.,'\u2019\u00a0\u202f\-\u2212])"
NOT_PART_OF_A_NUMBER_AFTER = r"(?![\d])"


def pdf_text(pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        message = "pdftotext not installed (apt-get install poppler-utils)"
        if os.environ.get("REQUIRE_BROWSER") == "1":  # CI: nothing is skipped silently
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def loose(text: str, across_lines: bool = False) -> str:
    """``text`` as a pattern in which any run of spaces may be wider, narrower or gone (pdftotext lays characters
    out by position: "7 %" may come out as "7%"); with ``across_lines`` it may also wrap onto the next line."""
    space = r"\s*" if across_lines else r"[^\S\n]*"
    return space.join(re.escape(part) for part in text.split())


def money_pattern(text: str) -> str:
    """A formatted amount that is not part of a longer number ("100,00 €" does not match "1.100,00 €" or
    "-100,00 €")."""
    return NOT_PART_OF_A_NUMBER_BEFORE + loose(text) + NOT_PART_OF_A_NUMBER_AFTER


def xml_facts(xml: bytes) -> dict:
    """What the Factur-X states besides ``figures``: BT-1, BT-25, BT-113, BT-111 (the VAT in the seller's currency,
    when that is another) and each VAT group's category and rate."""
    root = etree.fromstring(xml)
    groups = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    currency = root.xpath("string(//ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode)", namespaces=NS)
    taxes = root.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", namespaces=NS)
    return {
        "accounting_vat": [(t.get("currencyID"), t.text) for t in taxes if t.get("currencyID") not in (None, currency)],
        "number": root.xpath("string(/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID)", namespaces=NS),
        "preceding": root.xpath("string(//ram:InvoiceReferencedDocument/ram:IssuerAssignedID)", namespaces=NS),
        "prepaid": root.xpath("string(//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                              "ram:TotalPrepaidAmount)", namespaces=NS),
        "groups": [(g.findtext(f"{{{RAM}}}CategoryCode"), g.findtext(f"{{{RAM}}}RateApplicablePercent"),
                    g.findtext(f"{{{RAM}}}BasisAmount"), g.findtext(f"{{{RAM}}}CalculatedAmount")) for g in groups],
    }


def cases():
    return [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if len(c.lines) >= LONG else [])
            for c in CASES]


@pytest.mark.parametrize("case", cases())
def test_the_stored_pdf_prints_every_figure_and_number_of_the_facturx(case):
    check(case)


# the matrix's customers read German; a few of its cases again for customers reading English and French (other
# separators, "€1,234.56" before the number, a narrow no-break space in "1 234,56 €", other labels)
OTHER_LANGUAGES = ([c for c in CASES if len({line.get("rate", "S19") for line in c.lines}) > 1][:1]
                   + [c for c in CASES if c.credit][:1])


@pytest.mark.parametrize("locale", ["en", "fr_FR"])
@pytest.mark.parametrize("case", OTHER_LANGUAGES, ids=[c.name for c in OTHER_LANGUAGES])
def test_the_pdf_prints_the_figures_in_the_customers_language(case, locale):
    documents = check(replace(case, buyer={**case.buyer, "locale": locale}))
    assert {document_locale(doc) for doc in documents} == {locale}


def check(case):
    """Issue ``case`` and compare each document's stored PDF with its Factur-X; returns the documents."""
    org, documents = make(case)
    for doc in documents:
        where = f"{case.name} / {doc.kind} {doc.number}"
        assert doc.pdf, f"{where}: no PDF stored at issue"
        text = pdf_text(doc.pdf)
        xml = einvoice_xml.build(doc, org, "facturx-cii")
        xml_figures, facts = figures(xml, "CII"), xml_facts(xml)
        locale = document_locale(doc, org)
        # a credit note's PDF shows its amounts as they are stored, negative; its XML (type 381) positive
        sign = -1 if doc.kind == "credit_note" else 1

        def shown(amount: str, signed: bool = True) -> str:
            """An XML amount as the PDF writes it: the app's own formatting in the document's locale."""
            return format_money(to_minor(Decimal(amount), doc.currency) * (sign if signed else 1), doc.currency,
                                locale)

        def found(pattern: str, what: str) -> None:
            assert re.search(pattern, text, re.M), f"{where}: the PDF does not show {what}\n{text}"

        with customer_language(locale):
            label = {key: gettext(msgid) for key, msgid in (("line", "Sum of lines"), ("net", "Total without VAT"),
                                                            ("tax", "VAT"), ("gross", "Total"))}
            corrects = gettext("Corrects invoice")
            pay = gettext("Please transfer %(amount)s by %(date)s to:").split("%(amount)s")[0]
            credit = gettext("This credit note reduces invoice %(number)s by %(amount)s. An amount already paid is "
                             "refunded or set off.").split("%(amount)s")[0]

        # the totals: each figure on the row of its label, at the end of the line (the totals table is on the right)
        for key in ("line", "net", "tax", "gross"):
            figure = shown(xml_figures[key])
            found(rf"(?<!\S){loose(label[key])}{GAP}{money_pattern(figure)}[^\S\n]*$",
                  f"{label[key]!r} {figure!r} (BT-{dict(line=106, net=109, tax=110, gross=112)[key]})")

        # the VAT breakdown: one row per group with its rate, taxable amount and VAT, in that order, on one line
        groups = facts["groups"]
        assert [g[2] for g in groups] == xml_figures["bases"] and [g[3] for g in groups] == xml_figures["taxes"]
        rows = Counter()
        for category, rate, base, tax in groups:
            percent = loose(f"{format_number(Decimal(rate), locale)} %") + GAP if rate is not None else ""
            rows[NOT_PART_OF_A_NUMBER_BEFORE + percent + money_pattern(shown(base)) + GAP
                 + money_pattern(shown(tax)), (category, rate, base, tax)] += 1
        for (pattern, group), count in rows.items():
            matches = len(re.findall(pattern, text, re.M))
            assert matches >= count, (f"{where}: the PDF's VAT breakdown shows {matches} row(s) of group {group} "
                                      f"(BT-118/119/116/117), the XML {count}\n{text}")

        # BT-111: the VAT in the seller's currency, when the document is in another (formatted in that currency)
        for currency, amount in facts["accounting_vat"]:
            figure = format_money(to_minor(Decimal(amount), currency) * sign, currency, locale)
            found(money_pattern(figure), f"the VAT total in {currency} {figure!r} (BT-111)")

        # the amount due (BT-115): the total (nothing is prepaid), which the closing sentence names
        due = xml_figures["due"]
        assert not facts["prepaid"] or Decimal(facts["prepaid"]) == 0, f"{where}: prepaid amounts need a PDF row"
        assert Decimal(due) == Decimal(xml_figures["gross"]), where
        if doc.kind == "credit_note":
            sentence = credit % {"number": facts["preceding"]}
            found(loose(sentence, across_lines=True) + r"\s*" + money_pattern(shown(due, signed=False)),
                  f"the amount credited {shown(due, signed=False)!r} after {sentence!r} (BT-115)")
        elif (doc.seller or {}).get("iban"):
            found(loose(pay, across_lines=True) + r"\s*" + money_pattern(shown(due)),
                  f"the amount to transfer {shown(due)!r} after {pay!r} (BT-115)")

        # BT-1: the number, in the heading and the facts; BT-25: the invoice a credit note corrects
        assert facts["number"] == doc.number
        found(rf"(?<!\S){re.escape(facts['number'])}(?!\S)", f"the number {facts['number']!r} (BT-1)")
        if doc.kind == "credit_note":
            assert facts["preceding"] and facts["preceding"] == doc.related.number, where
            found(rf"(?<!\S){loose(corrects)}{GAP}{re.escape(facts['preceding'])}(?!\S)",
                  f"{corrects!r} {facts['preceding']!r} (BT-25)")
    return documents
