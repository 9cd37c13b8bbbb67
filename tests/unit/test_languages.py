"""Which language the app speaks (``i18n.ui_language``: the member's setting, else the browser's Accept-Language,
else the organization's locale), which one an e-mail to a member is written in (``i18n.user_language``), and the
locale numbers and dates follow (``i18n.locale_for``)."""
from types import SimpleNamespace

import pytest
from flask import session
from flask_login import login_user

from tests import factories
from webapp.i18n import locale_for, ui_language, user_language


def _org(locale: str):
    org = factories.organization()
    org.locale = locale
    return org


def speaks(app, accept_language: str | None, user=None, org=None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    with app.test_request_context(headers=headers):
        if user is not None:
            login_user(user)
            if org is not None:
                session["org_id"] = org.id
        return ui_language()


@pytest.mark.parametrize("setting,accept,org_locale,expected", [
    ("fr", "de-DE,de;q=0.9", "de_DE", "fr"),  # the setting beats the browser and the organization
    ("en", None, "de_DE", "en"),
    ("", "fr-CH, fr;q=0.9, en;q=0.8", "de_DE", "fr"),  # no setting: the browser's best supported language
    ("", "es, de;q=0.5", "fr_FR", "de"),  # an unsupported language is skipped, the next one the browser reads taken
    ("", None, "de_AT", "de"),  # nothing from the browser: the organization's locale
    ("", "es, it", "fr_CH", "fr"),  # nothing supported from the browser either
    ("", "es", "es_ES", "en"),  # neither: English
    ("it", "de", "fr_FR", "de"),  # a stored setting the app does not speak counts as none
])
def test_ui_language(app, setting, accept, org_locale, expected):
    org = _org(org_locale)
    user = org.memberships[0].user
    user.language = setting
    assert speaks(app, accept, user, org) == expected


def test_a_visitor_reads_the_browsers_language_else_english(app):
    assert speaks(app, "de-AT,de;q=0.9") == "de"
    assert speaks(app, "fr") == "fr"
    assert speaks(app, "es") == "en"
    assert speaks(app, None) == "en"


def test_user_language_for_e_mails_ignores_the_browser(app):
    org = _org("de_DE")
    user = org.memberships[0].user
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert user_language(user, org) == "de"  # the organization's, not the browser of whoever triggered it
        assert user_language(user) == "de"  # without an organization: the user's first one
        user.language = "fr"
        assert user_language(user, org) == "fr"
        user.language = ""
        assert user_language(user, _org("es_ES")) == "en"
        assert user_language(factories.user()) == "en"  # no organization at all
        assert user_language(None) == "fr"  # no account: the language the app speaks now (the inviter's)
    assert user_language(None) == "en"  # outside a request


@pytest.mark.parametrize("org_locale,language,expected", [
    ("de_DE", "fr", "fr"),  # Babel knows no fr_DE: the language's own locale
    ("de_CH", "fr", "fr_CH"),  # French as written in Switzerland
    ("de_DE", "", "de_DE"),  # no setting: the organization's locale
    ("de_AT", "de", "de_AT"),  # the organization's language: its locale as it is
    ("fr_FR", "en", "en_FR"),
    ("", "", "en"),
    ("", "de", "de"),
])
def test_locale_for(org_locale, language, expected):
    org = SimpleNamespace(locale=org_locale)
    assert locale_for(org, SimpleNamespace(language=language)) == expected


def test_locale_for_without_org_or_user():
    assert locale_for(None, None) == "en"
    assert locale_for(SimpleNamespace(locale="de_CH"), None) == "de_CH"
    assert locale_for(None, SimpleNamespace(language="fr")) == "fr"
