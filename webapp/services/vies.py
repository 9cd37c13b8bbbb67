"""The optional online check of EU VAT IDs against the European Commission's VIES, behind a pluggable checker.

Nothing calls out unless ``VIES_CHECK`` is on: ``checker(config)`` is ``None`` by default, and the caller then
keeps to the offline check (python-stdnum, ``domain/identifiers.normalize_vat_id``). A checker answers every
question with a ``VatCheck`` and never raises: ``valid`` is ``True`` or ``False`` when VIES said so, ``None``
when it could not answer (timeout, the member state's service down, busy, a refused or unreadable answer),
with ``error`` saying why; the caller then falls back to the offline check.

- ``ViesRestChecker``: ``POST {VIES_URL}/check-vat-number`` with ``{"countryCode": "DE", "vatNumber": "..."}``
  (Greece is ``EL``, the number without its prefix). The answer's ``userError`` decides first (``VALID``,
  ``INVALID``; anything else, such as ``MS_UNAVAILABLE`` or ``INVALID_INPUT``, is no answer, whatever
  ``valid`` says), then ``valid``; ``{"actionSucceed": false, "errorWrappers": [{"error": ...}]}`` (with any
  HTTP status) and HTTP errors are no answer. A name or address VIES does not disclose (``---``) is "".
- ``FakeChecker``: fixed answers per compact VAT ID for tests; ``app.extensions["vat_checker"]`` installs one
  (or ``None``) over the configuration.

The error texts are short English for logs; they are not shown on screens.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import requests
from flask import current_app
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

log = logging.getLogger(__name__)

DEFAULT_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"
DEFAULT_TIMEOUT = 5
MAX_ANSWER_BYTES = 64 * 1024  # a VIES answer is a few hundred bytes
EXTENSION_KEY = "vat_checker"

# the country codes VIES knows: the member states, Greece as EL, Northern Ireland as XI
VIES_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
})
ISO_TO_VIES = {"GR": "EL"}

# VIES's userError / errorWrappers codes that are no answer about the number
SERVICE_ERRORS = {
    "MS_UNAVAILABLE": "The member state's VAT service is unavailable.",
    "TIMEOUT": "The member state's VAT service did not answer in time.",
    "SERVICE_UNAVAILABLE": "VIES is unavailable.",
    "GLOBAL_MAX_CONCURRENT_REQ": "VIES is busy.",
    "GLOBAL_MAX_CONCURRENT_REQ_TIME": "VIES is busy.",
    "MS_MAX_CONCURRENT_REQ": "The member state's VAT service is busy.",
    "MS_MAX_CONCURRENT_REQ_TIME": "The member state's VAT service is busy.",
    "INVALID_INPUT": "VIES refused the country code or number.",
    "INVALID_REQUESTER_INFO": "VIES refused the requester's VAT ID.",
    "VAT_BLOCKED": "VIES refused to check this number.",
    "IP_BLOCKED": "VIES refused requests from this server.",
}
UNKNOWN_ERROR = "VIES could not check the number ({code})."
NOT_EU = "VIES checks EU VAT IDs only."
NOT_A_NUMBER = "There is no VAT ID to check."
TIMED_OUT = "VIES did not answer in time."
UNREACHABLE = "VIES could not be reached."
HTTP_ERROR = "VIES answered with HTTP {status}."
UNREADABLE = "VIES sent an answer that could not be read."
NO_FAKE_ANSWER = "No answer for this VAT ID."
UNDISCLOSED = {"", "---"}


@dataclass(frozen=True)
class VatCheck:
    """One answer: ``valid`` True/False as the service said, ``None`` when it could not answer (see ``error``)."""

    valid: bool | None
    name: str = ""
    address: str = ""
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: str = field(kw_only=True)  # who answered: "vies", "fake"
    error: str = ""


@runtime_checkable
class VatChecker(Protocol):
    def check(self, country: str, vat_id: str) -> VatCheck:
        """Check ``vat_id`` (with or without its prefix) of ``country`` (ISO code; the prefix wins when it names
        another member state). Never raises."""
        ...


def vies_parts(country: str, vat_id: str) -> tuple[str, str]:
    """(VIES country code, number without its prefix): ``("DE", "DE 136 695 976")`` and ``("DE", "136695976")``
    -> ``("DE", "136695976")``; ``("GR", "EL094259216")``, ``("GR", "GR094259216")`` and ``("GR", "094259216")``
    -> ``("EL", "094259216")``.

    A number that starts with a code VIES knows (or GR) carries its country, which wins over ``country`` (a
    company in Austria with a German VAT ID); else it is ``country``'s, as given."""
    compact = re.sub(r"[\s.\-/]", "", vat_id or "").upper()
    code = (country or "").strip().upper()
    code = ISO_TO_VIES.get(code, code)
    prefix = ISO_TO_VIES.get(compact[:2], compact[:2])
    if prefix in VIES_COUNTRIES:
        return prefix, compact[2:]
    return code, compact


def compact_id(country: str, vat_id: str) -> str:
    """The compact VAT ID with its VIES prefix: ``("GR", "094 259 216")`` -> ``"EL094259216"``."""
    code, number = vies_parts(country, vat_id)
    return code + number


class ViesRestChecker(VatChecker):
    """Asks the European Commission's VIES REST API (``base_url`` such as ``DEFAULT_URL``), ``timeout`` seconds
    for connecting and for each read."""

    source = "vies"

    def __init__(self, base_url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT):
        self.url = base_url.rstrip("/") + "/check-vat-number"
        self.timeout = timeout

    def check(self, country: str, vat_id: str) -> VatCheck:
        code, number = vies_parts(country, vat_id)
        if code not in VIES_COUNTRIES:
            return self._no_answer(NOT_EU)
        if not number or not number.isalnum():
            return self._no_answer(NOT_A_NUMBER)
        try:
            status, body = self._post({"countryCode": code, "vatNumber": number})
        except (requests.Timeout, ReadTimeoutError):
            return self._no_answer(TIMED_OUT)
        except (requests.RequestException, Urllib3Error) as exc:
            log.warning("VIES check of %s%s failed: %s", code, number, exc)
            return self._no_answer(UNREACHABLE)
        except Exception:  # a checker never raises; the caller falls back to the offline check
            log.exception("VIES check of %s%s failed", code, number)
            return self._no_answer(UNREACHABLE)
        return self._read(status, body)

    def _post(self, payload: dict) -> tuple[int, bytes]:
        with requests.post(self.url, json=payload, timeout=self.timeout, allow_redirects=False, stream=True,
                           headers={"Accept": "application/json"}) as response:
            return response.status_code, response.raw.read(MAX_ANSWER_BYTES, decode_content=True)

    def _read(self, status: int, body: bytes) -> VatCheck:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            code = _error_code(answer)
            if code:
                return self._no_answer(SERVICE_ERRORS.get(code) or UNKNOWN_ERROR.format(code=code))
        if status != 200:
            return self._no_answer(HTTP_ERROR.format(status=status))
        if not isinstance(answer, dict):
            return self._no_answer(UNREADABLE)
        user_error = answer.get("userError")
        valid = answer.get("valid")
        if user_error in ("VALID", "INVALID"):
            valid = user_error == "VALID"
        elif user_error not in (None, ""):
            return self._no_answer(UNREADABLE)
        if not isinstance(valid, bool):
            return self._no_answer(UNREADABLE)
        return VatCheck(valid, name=_disclosed(answer.get("name")), address=_disclosed(answer.get("address")),
                        source=self.source)

    def _no_answer(self, error: str) -> VatCheck:
        return VatCheck(None, source=self.source, error=error)


def _error_code(answer: dict) -> str:
    """The code of an error answer: ``errorWrappers[0].error`` (when ``actionSucceed`` is false or errors are
    listed), else a ``userError`` other than VALID/INVALID; "" for an answer about the number."""
    wrappers = answer.get("errorWrappers")
    if answer.get("actionSucceed") is False or wrappers:
        first = wrappers[0] if isinstance(wrappers, list) and wrappers and isinstance(wrappers[0], dict) else {}
        return str(first.get("error") or "UNKNOWN")
    user_error = answer.get("userError")
    if isinstance(user_error, str) and user_error not in ("", "VALID", "INVALID"):
        return user_error
    return ""


def _disclosed(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return "" if text in UNDISCLOSED else text


class FakeChecker(VatChecker):
    """Fixed answers for tests, keyed by the compact VAT ID with its prefix (``"DE136695976"``; Greece ``EL``);
    an ID without an answer is no answer (``valid=None``). ``calls`` lists the compact IDs asked, in order."""

    source = "fake"

    def __init__(self, answers: Mapping[str, bool | None]):
        self.answers = {compact_id("", key): value for key, value in answers.items()}
        self.calls: list[str] = []

    def check(self, country: str, vat_id: str) -> VatCheck:
        key = compact_id(country, vat_id)
        self.calls.append(key)
        valid = self.answers.get(key)
        return VatCheck(valid, source=self.source, error="" if valid is not None else NO_FAKE_ANSWER)


def checker(app_config: Mapping[str, Any], extensions: Mapping[str, Any] | None = None) -> VatChecker | None:
    """The checker to use, ``None`` for none (the default: nothing calls out unless ``VIES_CHECK`` is on).

    A checker installed as ``app.extensions["vat_checker"]`` (pass ``app.extensions``) wins, ``None`` included."""
    if extensions is not None and EXTENSION_KEY in extensions:
        return extensions[EXTENSION_KEY]
    if not app_config.get("VIES_CHECK"):
        return None
    return ViesRestChecker(app_config.get("VIES_URL") or DEFAULT_URL,
                           app_config.get("VIES_TIMEOUT") or DEFAULT_TIMEOUT)


def current_checker() -> VatChecker | None:
    """``checker`` of the current Flask app (its configuration and ``extensions``)."""
    return checker(current_app.config, current_app.extensions)
