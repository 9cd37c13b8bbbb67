"""Form pieces shared by the blueprints."""
from __future__ import annotations

import re

from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from webapp.domain import identifiers
from webapp.domain.errors import Text
from webapp.domain.placeholders import PLACEHOLDERS, unknown_placeholders
from webapp.models.user import PASSWORD_MIN_LENGTH


# C0 control characters and DEL. Single-line fields lose all of them (a newline in a name would end up
# in e-mail headers); text areas keep line breaks and tabs. PostgreSQL cannot store NUL at all.
LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")  # with Unicode's line separators
PHONE_RE = identifiers.PHONE_RE
TEXT_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


def clean_line(value):
    """Single-line text: control characters become spaces; a field missing from the request is empty."""
    if value is None:
        return ""
    return LINE_CONTROL_RE.sub(" ", value).strip() if isinstance(value, str) else value


def clean_text(value):
    if value is None:
        return ""
    return TEXT_CONTROL_RE.sub("", value).replace("\r\n", "\n") if isinstance(value, str) else value


def with_scheme(value):
    """A web address typed without its scheme (``example.com``) completed to ``https://example.com``."""
    if isinstance(value, str) and value and "://" not in value:
        return "https://" + value.lstrip("/")
    return value


class Form(FlaskForm):
    """Base of every form: control characters never reach the database or an e-mail header."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, TextAreaField):
                options["filters"] = [clean_text, *unbound_field.kwargs.get("filters", ())]
            elif issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                options["filters"] = [clean_line, *unbound_field.kwargs.get("filters", ())]
            elif (issubclass(field_class, SelectField) and not issubclass(field_class, SelectMultipleField)
                  and unbound_field.kwargs.get("coerce", str) is str):
                # a select missing from the request is empty (its default or a message), never None in a column
                options["filters"] = [clean_line, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, **options)


class ButtonForm(Form):
    """A form with nothing but the CSRF token, for POST buttons."""


def email_field(label: str | None = None, **kwargs) -> StringField:
    return StringField(label or _l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                          Email(_l("Enter a valid e-mail address."), check_deliverability=False),
                                          Length(max=254)], **kwargs)


def new_password_field(label: str | None = None) -> PasswordField:
    return PasswordField(label or _l("Password"), validators=[
        DataRequired(_l("Choose a password.")),
        Length(min=PASSWORD_MIN_LENGTH, max=200,
               message=_l("Use at least %(num)d characters.", num=PASSWORD_MIN_LENGTH)),
    ])


def normalized_by(normalize, optional: bool = False):
    """A WTForms validator that runs a domain ``normalize_*`` function and stores its result.

    With ``optional``, an empty value stays empty (meaning "the organization's default").
    """

    def validator(form, field):
        if optional and not field.data:
            return
        try:
            field.data = normalize(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    return validator


def as_choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def tax_code_choices(first: str | None = None) -> list[SelectChoice]:
    """The product tax codes (domain/tax_codes.py) as "label · code" in the reader's language; ``first``: the label
    of a first choice "" (a line's product, the organization's default)."""
    from webapp.domain.tax_codes import TAX_CODES

    pairs = [(code, f"{gettext(c.label)} · {code}") for code, c in TAX_CODES.items()]
    return as_choices(([("", first)] if first is not None else []) + pairs)


def tax_code_label(code: str) -> str:
    """A tax code's label in the reader's language ("" for an unknown code)."""
    from webapp.domain.tax_codes import TAX_CODES

    found = TAX_CODES.get(code)
    return gettext(found.label) if found else ""


def country_choices() -> list[tuple[str, str]]:
    """Every country, named in the reader's language (Babel) and sorted by that name; pycountry's English name
    where Babel has none."""
    from flask_babel import get_locale

    locale = get_locale()
    names = locale.territories if locale else {}
    pairs = [(code, names.get(code, name)) for code, name in identifiers.country_choices()]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def currency_choices() -> list[tuple[str, str]]:
    """Every currency as "EUR - Euro", named in the reader's language."""
    from babel.numbers import get_currency_name
    from flask_babel import get_locale

    locale = get_locale() or "en"
    return [(code, f"{code} - {get_currency_name(code, locale=locale)}") for code, _ in identifiers.currency_choices()]


def locale_choices() -> list[tuple[str, str]]:
    """The document languages (de_DE ...), named in the reader's language."""
    return [(code, locale_name(code)) for code, _ in identifiers.locale_choices()]


def locale_name(code: str) -> str:
    """A locale such as de_AT named in the reader's language ("Deutsch (Österreich)" for a German reader)."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    try:
        return Locale.parse(code).get_display_name(get_locale() or "en") or code
    except (ValueError, UnknownLocaleError):
        return code


def country_field(label: str | None = None) -> SelectField:
    return SelectField(label or _l("Country"), choices=lambda: as_choices([("", gettext("Choose..."))] + country_choices()),
                       validators=[normalized_by(identifiers.normalize_country)], validate_choice=False)


MAX_ID = 2**31 - 1


def date_arg(args, name: str, label: str, errors: list[str]):
    """An ISO date from the query string, None when empty; a value that is not a date adds a message to
    ``errors`` (the list filters answer 422 with it) and reads as None."""
    from datetime import date

    raw = clean_line(args.get(name, ""))
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(Text("{label}: {value} is not a date (YYYY-MM-DD).", label=Text(label), value=raw[:40]))
        return None


def id_arg(args, name: str) -> int | None:
    """An object id from the query string, or None when missing or not a plausible id."""
    value = args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


NO_SUCH_ID = -2  # no row has it: the use case refuses it with its own message


def optional_id(value) -> int:
    """A select's object id: 0 when none is chosen ("" or "0"); ``NO_SUCH_ID`` for anything that is not a
    plausible id (a database integer cannot hold it)."""
    text = "" if value is None else str(value).strip()
    if text in ("", "0"):
        return 0
    if not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        return NO_SUCH_ID
    return int(text)


def known_placeholders(form, field):
    """A message template may use only the placeholders that are filled in."""
    unknown = unknown_placeholders(field.data)
    if unknown:
        raise ValidationError(gettext("Unknown placeholder %(unknown)s. Use %(known)s.",
                                      unknown=", ".join("{" + u + "}" for u in unknown),
                                      known=", ".join("{" + p + "}" for p in PLACEHOLDERS)))
