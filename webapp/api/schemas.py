"""The shapes shared by the API's resources: ids, amounts, decimals, lists, problems.

Requests are strict: an unknown field is refused (no mass assignment), an amount in minor units must be an
integer, a decimal is a string or an exactly parsed JSON number. Answers give decimals as strings.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema

# 1 to 2147483647 (the keys are 32-bit): a larger id is refused as input, not sent to the database
ID_PATTERN = (r"^(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
              r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$")
Id = Annotated[str, Field(pattern=ID_PATTERN, description="The object's id: a decimal string.", examples=["42"])]
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value):
    """Dates are ISO 8601 (2026-12-01) only: pydantic alone would also read "0" as a Unix timestamp."""
    if isinstance(value, str) and not ISO_DATE.match(value.strip()):
        raise ValueError("a date is written YYYY-MM-DD")
    return value.strip() if isinstance(value, str) else value


Day = Annotated[date, BeforeValidator(_iso_date)]
Flag = Annotated[bool, Strict()]  # in a body, true or false: not 0, 1 or "yes" (query strings stay lax)


def _whole_number(value):
    """A JSON number with nothing after the point (2900.0) is the integer JSON Schema says it is."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


MinorAmount = Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=-10**13, le=10**13, description=(
    "An amount in the currency's minor unit: 2900 = 29.00 EUR, 1000 = 1,000 JPY."), examples=[2900])]
DecimalString = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["1.5"])]


def decimal_input(places: int, description: str, maximum: int = 10**12):
    """A decimal given as a string or a JSON number (read exactly), with at most ``places`` decimals."""
    digits = len(str(maximum)) - 1
    string = {"type": "string", "pattern": rf"^-?[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?$"}
    number = {"type": "number", "exclusiveMinimum": -maximum, "exclusiveMaximum": maximum}
    return Annotated[Decimal, Field(allow_inf_nan=False, decimal_places=places, max_digits=places + 13,
                                    gt=-maximum, lt=maximum, description=description),
                     WithJsonSchema({"anyOf": [string, number], "description": description})]


def text(max_length: int, description: str = "", **extra):
    return Annotated[str, Field(max_length=max_length, description=description, **extra)]


class Input(BaseModel):
    """A request body: unknown fields are refused."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """A query string (names end in Query: the API's validation hook tells query from body by it)."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    o: Id | None = Field(None, description="The organization's id; must be the token's if given (seed 002).")


class ListQuery(Query):
    limit: int = Field(20, ge=1, le=100, description="At most this many items (1 to 100).")
    starting_after: Id | None = Field(None, description="The last id of the previous page: the page after it.")


def decimal_text(value: Decimal | None) -> str | None:
    """A Decimal as the API writes it: plain digits, no exponent, no trailing zeros ("1.5", "19", "0.00125")."""
    if value is None:
        return None
    text_ = f"{value.normalize():f}"
    return text_


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemItem(Output):
    code: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None


class Problem(Output):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="A stable, machine-readable code: e.g. document_not_draft, amount_zero.")
    errors: list[ProblemItem] | None = None


JSONValue = Any
