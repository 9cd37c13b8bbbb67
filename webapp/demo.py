"""Demo data for `flask seed-demo`: customers in several countries and languages, products, custom fields."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Contact, CustomField, Organization, Product, TaxRate, User
from webapp.services import catalog, contacts, drafts, issuing, sending

CUSTOMERS = [
    # company, person, email, phone, vat_id, street, postal code, city, country, locale, currency, tier, newsletter
    ("Café Morgenrot GmbH", "Jonas Weber", "einkauf@morgenrot.example", "+49 30 555 0101", "DE136695976",
     "Oranienstraße 44", "10999", "Berlin", "DE", "de_DE", "", "gold", True),
    ("Hotel Alpenblick", "Maria Huber", "office@alpenblick.example", "+43 512 555 020", "",
     "Innrain 7", "6020", "Innsbruck", "AT", "de_AT", "", "silver", False),
    ("Boulangerie du Marché SARL", "Claire Dubois", "contact@dumarche.example", "+33 1 55 50 30 30", "FR40303265045",
     "12 rue de la Paix", "75002", "Paris", "FR", "fr_FR", "", "gold", True),
    ("Koffiehuis De Molen B.V.", "Pieter de Vries", "inkoop@demolen.example", "+31 20 555 4040", "NL004495445B01",
     "Prinsengracht 120", "1015 EA", "Amsterdam", "NL", "nl_NL", "", "bronze", False),
    ("Trattoria Da Luigi S.r.l.", "Luigi Rossi", "ordini@daluigi.example", "+39 06 555 5050", "IT00743110157",
     "Via del Corso 18", "00186", "Roma", "IT", "it_IT", "", "silver", True),
    ("Panadería La Espiga S.L.", "Lucía García", "pedidos@laespiga.example", "+34 91 555 6060", "",
     "Calle Mayor 3", "28013", "Madrid", "ES", "es_ES", "", "", False),
    ("The Daily Crumb Ltd", "Oliver Smith", "accounts@dailycrumb.example", "+44 20 5550 7070", "GB980780684",
     "221 Baker Street", "NW1 6XE", "London", "GB", "en_GB", "GBP", "gold", True),
    ("Brooklyn Bagels Inc.", "Sam Miller", "billing@brooklynbagels.example", "+1 718 555 0180", "",
     "500 Atlantic Ave", "11217", "Brooklyn, NY", "US", "en_US", "USD", "", False),
    ("Maison Dupont SPRL", "Sophie Dupont", "info@maisondupont.example", "+32 2 555 90 90", "BE0776091951",
     "Rue Neuve 5", "1000", "Bruxelles", "BE", "fr_BE", "", "bronze", False),
    ("", "Anna Schmidt", "anna.schmidt@example.com", "+49 170 5550123", "",
     "Gartenweg 3", "14467", "Potsdam", "DE", "de_DE", "", "", True),
]

PRODUCTS = [
    # name, unit, price, tax rate name, sku, description, tax code (domain/tax_codes.py: what automatic VAT reads)
    ("Sourdough loaf 1 kg", "piece", "4.80", "Reduced 7 %", "BR-001", "Rye and wheat, baked daily.", "P10000000"),
    ("Butter croissant", "piece", "1.35", "Reduced 7 %", "PA-010", "", "P10000000"),
    ("Wedding cake, three tiers", "piece", "389.00", "Reduced 7 %", "CK-300", "Designed with the couple.", "P10000000"),
    ("Catering service", "hour", "45.00", "Standard 19 %", "SV-100", "Staff on site, per person and hour.",
     "S40000000"),
    ("Delivery within Berlin", "lump_sum", "12.50", "Standard 19 %", "SV-200", "", "S10000000"),
    ("Flour type 1050", "kg", "0.9875", "Reduced 7 %", "RM-050", "Wholesale, 25 kg bags.", "P10000000"),
    ("Baking course", "day", "180.00", "Standard 19 %", "SV-300", "Bread basics, one day, materials included.",
     "S10000000"),
]


def add_catalog_and_customers(org: Organization, owner: User) -> None:
    tier = CustomField(org_id=org.id, key="tier", label="Customer tier", type="choice",
                       options=["gold", "silver", "bronze"], position=0)
    newsletter = CustomField(org_id=org.id, key="newsletter", label="Newsletter", type="checkbox", position=1)
    db.session.add_all([tier, newsletter])
    db.session.flush()
    fields = [tier, newsletter]
    for company, person, email, phone, vat_id, street, postal, city, country, locale, currency, level, news in CUSTOMERS:
        contact = Contact(org_id=org.id)
        contacts.apply(contact, {
            "company_name": company, "person_name": person, "email": email, "phone": phone, "vat_id": vat_id,
            "street": street, "postal_code": postal, "city": city, "country": country, "locale": locale,
            "currency": currency, "is_customer": True, "is_business": bool(company),
        }, {"tier": level, "newsletter": news}, fields)
        db.session.add(contact)
    rates = {r.name: r for r in db.session.scalars(select(TaxRate).where(TaxRate.org_id == org.id))}
    for name, unit, price, rate_name, sku, description, tax_code in PRODUCTS:
        rate = rates.get(rate_name)
        catalog.save_product(org, owner, None, name=name, unit=unit, unit_price=Decimal(price),
                             tax_rate_id=rate.id if rate else None, sku=sku, description=description,
                             price_includes_tax=False, tax_code=tax_code)
    db.session.flush()


INVOICES = [
    # customer company, days ago issued (None: draft), lines (product name, quantity), discount %
    ("Café Morgenrot GmbH", 75, [("Sourdough loaf 1 kg", "40"), ("Butter croissant", "120")], None),
    ("Hotel Alpenblick", 50, [("Wedding cake, three tiers", "1"), ("Delivery within Berlin", "1")], None),
    ("The Daily Crumb Ltd", 35, [("Baking course", "2")], "5"),
    ("Café Morgenrot GmbH", 20, [("Sourdough loaf 1 kg", "35"), ("Flour type 1050", "25")], None),
    ("Trattoria Da Luigi S.r.l.", 6, [("Catering service", "6"), ("Delivery within Berlin", "1")], None),
    ("Boulangerie du Marché SARL", None, [("Butter croissant", "200")], None),
    ("Brooklyn Bagels Inc.", None, [("Baking course", "1")], None),
]


def add_invoices(org: Organization, owner: User) -> None:
    """Issued invoices (oldest first, so numbers and dates stay in order) and two drafts."""
    contacts_by_name = {c.company_name: c for c in db.session.scalars(select(Contact).where(Contact.org_id == org.id))}
    products = {p.name: p for p in db.session.scalars(select(Product).where(Product.org_id == org.id))}
    for company, days_ago, lines, discount in INVOICES:
        doc = drafts.new_draft(org, owner, contacts_by_name[company])
        for name, quantity in lines:
            line = drafts.add_line(org, doc, products[name])
            drafts.update_line(doc, line, {"quantity": Decimal(quantity)})
        if discount:
            drafts.update_header(doc, {"discount_percent": Decimal(discount)})
        if days_ago is not None:
            drafts.update_header(doc, {"chosen_issue_date": date.today() - timedelta(days=days_ago)})
            issuing.issue(org, owner, doc)
            if days_ago > 10:  # sent by e-mail, in the customer's language, with the PDF attached
                sending.send(org, owner, doc, sending.compose(doc, org))
    db.session.flush()


QUOTES = [
    # customer company, days ago issued (None: draft), valid for days, lines, what the customer did
    ("Trattoria Da Luigi S.r.l.", 60, 30, [("Catering service", "10")], None),  # expired unanswered
    ("The Daily Crumb Ltd", 25, 30, [("Baking course", "4")], "decline"),
    ("Hotel Alpenblick", 12, 30, [("Wedding cake, three tiers", "2")], "accept"),  # and converted
    ("Brooklyn Bagels Inc.", 3, 30, [("Sourdough loaf 1 kg", "100")], None),  # waiting for an answer
    ("Boulangerie du Marché SARL", None, 30, [("Flour type 1050", "50")], None),
]


def add_payments_corrections_and_quotes(org: Organization, owner: User) -> None:
    """Payments (full, partial), a credit note, a cancelled invoice, and quotes in every state."""
    from webapp.models import Document
    from webapp.services import corrections, payments, quotes

    issued = list(db.session.scalars(select(Document).where(Document.org_id == org.id, Document.kind == "invoice",
                                                            Document.status == "issued").order_by(Document.id)))
    paid_full, partly, credited, cancelled = issued[0], issued[1], issued[2], issued[3]
    payments.record(org, owner, paid_full, payments.PaymentInput(
        amount=paid_full.gross_total, paid_on=paid_full.issue_date + timedelta(days=9), method="bank_transfer",
        reference="SEPA 2026-0412", key="demo-payment-1"))
    payments.record(org, owner, partly, payments.PaymentInput(
        amount=partly.gross_total // 2, paid_on=partly.issue_date + timedelta(days=12), method="card",
        reference="ch_3NqL1demo", note="Deposit", key="demo-payment-2"))
    course = credited.lines[0]
    note = corrections.lines_credit_note(org, owner, credited, {course.id: Decimal(1)}, "One participant cancelled")
    issuing.issue(org, owner, note)
    corrections.cancel(org, owner, cancelled, "Ordered twice by mistake")
    db.session.flush()

    contacts_by_name = {c.company_name: c for c in db.session.scalars(select(Contact).where(Contact.org_id == org.id))}
    products = {p.name: p for p in db.session.scalars(select(Product).where(Product.org_id == org.id))}
    for company, days_ago, valid_days, lines, answer in QUOTES:
        quote = drafts.new_draft(org, owner, contacts_by_name[company], kind="quote")
        for name, quantity in lines:
            line = drafts.add_line(org, quote, products[name])
            drafts.update_line(quote, line, {"quantity": Decimal(quantity)})
        if days_ago is None:
            continue
        issued_on = date.today() - timedelta(days=days_ago)
        drafts.update_header(quote, {"chosen_issue_date": issued_on,
                                        "valid_until": issued_on + timedelta(days=valid_days)})
        issuing.issue(org, owner, quote)
        if answer:
            quotes.decide(org, None, quote, answer)
        if answer == "accept":
            quotes.convert(org, owner, quote)
    db.session.flush()


SUPPLIERS = [
    # company, e-mail, VAT ID, street, postal code, city
    ("Mühle Schmidt GmbH", "rechnung@muehle-schmidt.example", "DE811907980", "Mühlenweg 2", "14513", "Teltow"),
    ("Stadtwerke Musterstadt AG", "abrechnung@stadtwerke.example", "DE129273398", "Energieplatz 1", "10117",
     "Berlin"),
    ("Papierhaus Berlin KG", "buchhaltung@papierhaus.example", "", "Friedrichstraße 90", "10117", "Berlin"),
]
PURCHASES = [
    # supplier, supplier's number, days ago dated, (description, quantity, net price, rate %, category), paid
    ("Mühle Schmidt GmbH", "MS-2026-1187", 20, [("Flour type 1050, 25 kg bags", "40", "18.50", 7, "Materials"),
                                                 ("Rye flour, 25 kg bags", "10", "21.90", 7, "Materials")], "full"),
    ("Stadtwerke Musterstadt AG", "E-77120934", 40, [("Electricity, October", "1", "612.40", 19, "Energy")],
     "half"),
]


def add_purchases(org: Organization, owner: User) -> None:
    """Suppliers, the common expense categories, two booked purchases (one paid, one half paid and overdue) and a
    draft typed as net and VAT per rate (issue 17)."""
    from webapp.models import ExpenseCategory
    from webapp.services import expense_categories, payments, purchases

    expense_categories.add_common(org, owner, lambda name: name)
    categories = {c.name: c for c in db.session.scalars(select(ExpenseCategory).where(ExpenseCategory.org_id == org.id))}
    categories["Materials"].account = "3400"
    rates = {r.percent.normalize(): r for r in db.session.scalars(select(TaxRate).where(TaxRate.org_id == org.id))}
    suppliers = {}
    for company, email, vat_id, street, postal_code, city in SUPPLIERS:
        contact = Contact(org_id=org.id, is_customer=False, is_supplier=True, company_name=company, email=email,
                          vat_id=vat_id, street=street, postal_code=postal_code, city=city, country="DE")
        contact.refresh_search()
        db.session.add(contact)
        suppliers[company] = contact
    db.session.flush()
    for company, number, days_ago, lines, paid in PURCHASES:
        doc = purchases.new_purchase(org, owner, suppliers[company])
        drafts.update_header(doc, {"supplier_number": number,
                                   "chosen_issue_date": date.today() - timedelta(days=days_ago)})
        for description, quantity, price, percent, category in lines:
            line = drafts.add_line(org, doc)
            drafts.update_line(doc, line, {"description": description, "quantity": Decimal(quantity),
                                           "unit_price": Decimal(price), "unit": "unit",
                                           "expense_category_id": categories[category].id},
                               rate=rates[Decimal(percent)], set_rate=True)
        issuing.issue(org, owner, doc)
        amount = doc.gross_total if paid == "full" else doc.gross_total // 2
        payments.record(org, owner, doc, payments.PaymentInput(
            amount=amount, paid_on=doc.issue_date + timedelta(days=7), method="bank_transfer",
            reference=f"Transfer {number}", key=f"demo-purchase-{number}"))
    draft = purchases.new_purchase(org, owner, suppliers["Papierhaus Berlin KG"])
    drafts.update_header(draft, {"supplier_number": "PH-44871", "chosen_issue_date": date.today() - timedelta(days=2)})
    purchases.quick_entry(draft, [purchases.QuickRow(rate=rates[Decimal(19)], net=Decimal("84.03"),
                                                     tax=Decimal("15.97"),
                                                     category_id=categories["Office supplies"].id)])
    db.session.flush()


def add_bank_statement(org: Organization, owner: User) -> None:
    """A week of the account as the bank would send it (issue 18): a customer paying an open invoice with its
    number, another paying part of one, a payer named but without a number, a supplier paid, the bank's fee; each
    with the match Tallybook proposes."""
    from webapp.models import Document
    from webapp.services import bank, bank_files

    open_sales = list(db.session.scalars(select(Document).where(
        Document.org_id == org.id, Document.flow == "sales", Document.kind == "invoice", Document.status == "issued",
        Document.amount_due > 0, Document.currency == "EUR").order_by(Document.id).limit(3)))
    owed = db.session.scalar(select(Document).where(
        Document.org_id == org.id, Document.flow == "purchases", Document.status == "issued",
        Document.amount_due > 0).limit(1))
    today = date.today()
    lines = []

    def money(minor: int) -> Decimal:
        return Decimal(minor) / 100

    for index, doc in enumerate(open_sales):
        amount = doc.amount_due if index != 1 else doc.amount_due // 2
        text = f"Rechnung {doc.number}" if index < 2 else "Zahlung Brot und Kuchen"
        lines.append(bank_files.BankLine(booked_on=today - timedelta(days=4 - index), amount=money(amount),
                                         currency="EUR", counterparty_name=doc.buyer_name.upper(),
                                         counterparty_iban=("DE02120300000000202051", "DE12500105170648489890",
                                                            "DE44500105175407324931")[index],
                                         remittance=text, reference=f"DEMO-{index + 1}"))
    if owed is not None:
        lines.append(bank_files.BankLine(booked_on=today - timedelta(days=1), amount=-money(owed.amount_due),
                                         currency="EUR", counterparty_name=owed.buyer_name,
                                         remittance=f"Rechnung {owed.supplier_number}", reference="DEMO-4"))
    lines.append(bank_files.BankLine(booked_on=today - timedelta(days=1), amount=Decimal("-9.90"), currency="EUR",
                                     counterparty_name="Commerzbank", remittance="Kontoführung", reference="DEMO-5"))
    bank.store(org, owner, "demo-statement.xml", bank_files.Statement(
        format="camt053", account_iban=org.iban, currency="EUR", statement_id="DEMO", lines=lines))
