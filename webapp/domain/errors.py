"""The one error type every use case raises: a refused action with a stable code.

``code`` is a stable, machine-readable name (``document_not_draft``, ``amount_zero`` ...): the web turns the
error into a 422/409 page or partial with ``message`` beside ``field``; the JSON API turns it into a problem
body with the code and a pointer to the field. Pure Python: nothing here knows Flask or SQLAlchemy.

Messages are written in English as templates with ``{name}`` placeholders, never as f-strings, and carry
their values apart (``Text``): the web installs a translator (``use_translator``, see ``webapp/i18n.py``) that
reads the template in the reader's language and formats the values (amounts, numbers, dates) in their locale.
``make translations`` extracts the templates from ``ActionError(code, "...")``, ``Text("...")`` and the
subclasses' message arguments (the keywords are in the Makefile).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable

# codes whose HTTP status is not 422 (the default: the input cannot be processed)
STATUS_BY_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "document_changed": 409,  # a stale version: someone else changed it meanwhile
    "already_done": 409,  # e.g. issued a moment ago by a double click
    "idempotency_key_reused": 409,
}



@dataclass(frozen=True)
class Amount:
    """An amount in minor units of a currency as a message value: shown in the reader's locale."""
    minor: int
    currency: str

    def __str__(self) -> str:
        from webapp.domain.money import from_minor

        return f"{from_minor(self.minor, self.currency)} {self.currency}"


@dataclass(frozen=True)
class Country:
    """A country (ISO 3166 alpha-2 code) as a message value: shown by its name in the reader's language."""
    code: str

    def __str__(self) -> str:
        return self.code

    def name(self, locale: str = "en") -> str:
        from babel import Locale

        try:
            return Locale.parse(locale or "en").territories.get(self.code, self.code)
        except (ValueError, LookupError):
            return self.code


class Text:
    """An English message template with ``{name}`` placeholders and the values to fill them with. ``str()``
    gives it in the reader's language once the web installed a translator, in English otherwise. Values may be
    Text (translated in turn), Amount, Decimal, int or date (formatted in the reader's locale) or plain str."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, **params: Any):
        self.template, self.params = template, params

    def __str__(self) -> str:
        return _translator(self.template, self.params)

    def __html__(self) -> str:  # Jinja escapes str(text); a message never carries markup
        from markupsafe import escape

        return str(escape(str(self)))

    def english(self) -> str:
        return fill(self.template, self.params, str)

    def __eq__(self, other) -> bool:
        if isinstance(other, Text):
            return (self.template, self.params) == (other.template, other.params)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.template)

    def __repr__(self) -> str:
        return f"Text({self.template!r}, **{self.params!r})"


def joined(texts: list, separator: str = " ") -> Text:
    """Messages (Text or str) one after the other as one Text, each read in the reader's language."""
    values = {f"part{i}": text for i, text in enumerate(texts)}
    return Text(separator.join("{" + name + "}" for name in values), **values)


def fill(template: str, params: dict, show: Callable[[Any], str]) -> str:
    """``template`` with its placeholders replaced by ``show(value)``; a missing value stays as ``{name}``."""
    class Values(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    return template.format_map(Values({k: show(v) for k, v in params.items()}))


def _english(template: str, params: dict) -> str:
    def show(value):
        if isinstance(value, Text):
            return value.english()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        if isinstance(value, Country):
            return value.name("en")
        return str(value)
    return fill(template, params, show)


_translator: Callable[[str, dict], str] = _english


def use_translator(translator: Callable[[str, dict], str] | None) -> None:
    """Install the function that reads a template in the reader's language (None: English again)."""
    global _translator
    _translator = translator or _english


class ActionError(Exception):
    """A refused action. ``field`` names the input the message belongs to (None: the whole action)."""

    def __init__(self, code: str, message: "str | Text", field: str | None = None, **params):
        if isinstance(message, Text):
            params = {**message.params, **params}
            message = message.template
        self.code = code
        self.template = message
        self.field = field
        self.params = params
        super().__init__(self.english)

    @property
    def text(self) -> Text:
        return Text(self.template, **self.params)

    @property
    def message(self) -> str:
        """The message in the reader's language (English outside a request)."""
        return str(self.text)

    @property
    def english(self) -> str:
        return _english(self.template, self.params)

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 422)

    def __repr__(self) -> str:
        return f"ActionError({self.code!r}, {self.english!r}, field={self.field!r})"


class InvalidInput(ActionError):
    """Several inputs refused at once (a form or API body with more than one mistake): ``errors`` holds one
    ActionError per input, each naming its field; the error itself reads as the first."""

    def __init__(self, errors: "list[ActionError]"):
        if not errors:
            raise ValueError("InvalidInput needs at least one error")
        first = errors[0]
        super().__init__(first.code, first.text, first.field)
        self.errors = list(errors)


def from_value_error(code: str, exc: ValueError, field: str | None) -> ActionError:
    """A ``normalize_*`` function's refusal (a ValueError carrying a Text) as an ActionError on ``field``."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else Text(str(exc))
    return ActionError(code, message, field)


# what NotFound names, by the ``what`` the use cases pass
NOT_FOUND = {
    "document": Text("This document does not exist, or you have no access to it."),
    "quote": Text("This quote does not exist, or you have no access to it."),
    "line": Text("This line does not exist, or you have no access to it."),
    "adjustment": Text("This discount or charge does not exist, or you have no access to it."),
    "payment": Text("This payment does not exist, or you have no access to it."),
    "customer": Text("This customer does not exist, or you have no access to it."),
    "supplier": Text("This supplier does not exist, or you have no access to it."),
    "product": Text("This product does not exist, or you have no access to it."),
    "tax rate": Text("This tax rate does not exist, or you have no access to it."),
    "member": Text("This member does not exist, or you have no access to it."),
    "field": Text("This field does not exist, or you have no access to it."),
    "import": Text("This import does not exist, or you have no access to it."),
    "invitation": Text("This invitation does not exist, or you have no access to it."),
    "token": Text("This API token does not exist, or you have no access to it."),
    "note": Text("This note does not exist, or you have no access to it."),
}
NOT_FOUND_OTHER = Text("This does not exist, or you have no access to it.")


class NotFound(ActionError):
    def __init__(self, what: str = "object"):
        super().__init__("not_found", NOT_FOUND.get(what, NOT_FOUND_OTHER), what=what)


FORBIDDEN = Text("Your role in this organization does not allow this.")


class Forbidden(ActionError):
    def __init__(self, message: "str | Text" = FORBIDDEN):
        super().__init__("forbidden", message)


def text_json(text: "Text | str | None"):
    """A message as JSON (to store it and read it later in any language): ``{"t": template, "p": {name: value}}``
    with nested Texts, Decimals and dates tagged; ``text_from_json`` reads it back."""
    if text is None or isinstance(text, str):
        return text

    def value(v):
        if isinstance(v, Text):
            return {"text": text_json(v)}
        if isinstance(v, Amount):
            return {"amount": v.minor, "currency": v.currency}
        if isinstance(v, Country):
            return {"country": v.code}
        if isinstance(v, Decimal):
            return {"decimal": f"{v.normalize():f}"}
        if isinstance(v, date):
            return {"date": v.isoformat()}
        return v
    return {"t": text.template, "p": {k: value(v) for k, v in text.params.items()}}


def text_from_json(data) -> "Text | str | None":
    if data is None or isinstance(data, str):
        return data

    def value(v):
        if isinstance(v, dict):
            if "text" in v:
                return text_from_json(v["text"])
            if "amount" in v:
                return Amount(v["amount"], v["currency"])
            if "country" in v:
                return Country(v["country"])
            if "decimal" in v:
                return Decimal(v["decimal"])
            if "date" in v:
                return date.fromisoformat(v["date"])
        return v
    template = data["t"]
    return Text(template, **{k: value(v) for k, v in (data.get("p") or {}).items()})
