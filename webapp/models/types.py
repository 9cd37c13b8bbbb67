"""Column types and helpers shared by the models."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def one_of(column: str, values: Iterable[str]) -> str:
    """SQL for a CHECK constraint: ``column IN ('a', 'b')``, from a domain's tuple of allowed values."""
    quoted = []
    for value in values:
        if not value.replace("_", "").isalnum():
            raise ValueError(f"not a plain name for a CHECK constraint: {value!r}")
        quoted.append(f"'{value}'")
    return f"{column} IN ({', '.join(quoted)})"


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    Stored as naive UTC (SQLite keeps no offset); always handed back aware, so
    comparisons with ``utcnow()`` work the same on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class ScaledDecimal(TypeDecorator):
    """An exact Decimal stored as a scaled integer (``scale`` decimal places), never as a float.

    ``ScaledDecimal(4)`` keeps 12.3456 as 123456. Values with more places than ``scale`` are refused
    here; forms reject them with a message before they get this far.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = scale
        self.factor = Decimal(10) ** scale

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ScaledDecimal needs a Decimal, got {type(value).__name__}")
        scaled = value * self.factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / self.factor).quantize(Decimal(1).scaleb(-self.scale))
