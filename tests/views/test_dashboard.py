"""The dashboard: the money at a glance for every role, the invoices overdue longest, the latest payments, and
the set-up steps only for a member who can still do one (issue 13: a bookkeeper saw the owner's checklist)."""
from __future__ import annotations

import re
from datetime import date, timedelta

from webapp.extensions import db
from webapp.models import Document
from webapp.services import payments


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<article id="{element_id}".*?</article>', html, re.S)
    return match.group(0) if match else ""


def test_a_new_owner_sees_the_set_up_steps_and_empty_lists(login_as):
    owner = login_as("owner")
    html = owner.client.get("/").data.decode()
    assert "Getting started" in section(html, "first-steps")
    assert "Nothing is overdue." in section(html, "overdue-invoices")
    assert "No payments recorded yet." in section(html, "recent-payments")


def test_the_bookkeeper_sees_overdue_invoices_and_payments_not_the_checklist(login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    customer = f.contact(owner.org, "Radhaus Weber")
    late, later, current = (f.issued(owner.org, contact_=customer, lines=[("Rad", "1", "100")]) for _ in range(3))
    today = date.today()
    for doc, days in ((late, 40), (later, 10)):
        db.session.execute(Document.__table__.update().where(Document.id == doc.id)
                           .values(due_date=today - timedelta(days=days)))
    payments.record(owner.org, owner.user, later, payments.PaymentInput(amount=1900, paid_on=today, key="p1"))
    payments.record(owner.org, owner.user, current, payments.PaymentInput(amount=11900, paid_on=today, key="p2"))
    payments.record(owner.org, owner.user, current, payments.PaymentInput(amount=-500, paid_on=today, key="p3"))
    db.session.commit()

    bookkeeper = login_as("bookkeeper", org=owner.org)
    html = bookkeeper.client.get("/").data.decode()
    assert 'id="first-steps"' not in html
    overdue = section(html, "overdue-invoices")
    assert overdue.index(late.number) < overdue.index(later.number) and current.number not in overdue
    assert "119,00\xa0€</strong> due since" in overdue and "(40 days)" in overdue
    assert "100,00\xa0€</strong> due since" in overdue and "(10 days)" in overdue
    latest = section(html, "recent-payments")
    assert "Refund of <strong>5,00\xa0€</strong>" in latest and "<strong>119,00\xa0€</strong> received" in latest
    assert "<strong>19,00\xa0€</strong> received" in latest
    assert today.strftime("%d.%m.%Y") in latest  # the German organization's dates


def test_the_dashboard_in_german_and_french(login_as, f):
    owner = login_as("owner")
    steps = section(owner.client.get("/", headers={"Accept-Language": "de"}).data.decode(), "first-steps")
    assert "Erste Schritte" in steps and "Vervollständigen Sie Ihre Firmendaten" in steps and "Es fehlen: " in steps
    steps = section(owner.client.get("/", headers={"Accept-Language": "fr"}).data.decode(), "first-steps")
    assert "Premiers pas" in steps and "Ajoutez votre premier client" in steps and "Manquant : " in steps
    f.complete_org(owner.org)
    customer = f.contact(owner.org, "Radhaus Weber")
    late = f.issued(owner.org, contact_=customer, lines=[("Rad", "1", "100")])
    db.session.execute(Document.__table__.update().where(Document.id == late.id)
                       .values(due_date=date.today() - timedelta(days=40)))
    payments.record(owner.org, owner.user, late, payments.PaymentInput(amount=1900, paid_on=date.today(), key="p1"))
    db.session.commit()
    german = owner.client.get("/", headers={"Accept-Language": "de"}).data.decode()
    for text in ("<title>Übersicht · Tallybook</title>", "Diesen Monat bezahlt", "<strong>Am längsten überfällig</strong>",
                 "fällig seit", "(40 Tagen)", "<strong>Letzte Zahlungen</strong>", "<strong>19,00\xa0€</strong> erhalten",
                 "<strong>Ihre Firma</strong>", ">Rechnungen</a>", ">Rechnungskorrekturen</a>", ">Abmelden</button>",
                 "<dt>USt-IdNr.</dt>", "Währung · Zahlungsziel"):
        assert text in german, text
    assert "Paid this month" not in german and "Latest payments" not in german
    french = owner.client.get("/", headers={"Accept-Language": "fr"}).data.decode()
    for text in ("<title>Tableau de bord · Tallybook</title>", "Payé ce mois-ci", "En retard depuis le plus longtemps",
                 "dus depuis le", "(40 jours)", "<strong>Derniers paiements</strong>", "<strong>Votre entreprise</strong>",
                 ">Factures</a>", ">Avoirs</a>", ">Se déconnecter</button>", "<strong>19,00\xa0€</strong> reçus"):
        assert text in french, text
