"""The VAT rate table (``vat_rates.csv`` beside this module): a rate by country, rate class and date.

The file names its source and how to update it (docs/vat-rules.md). A row holds from its ``valid_from`` until
the next row of the same country and class; ``rate_on`` picks the row in force on a date.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("vat_rates.csv")
EXEMPT = "exempt"


@dataclass(frozen=True)
class Rate:
    country: str
    rate_class: str
    valid_from: date
    percent: Decimal  # 0 for zero rated and for exempt
    exempt: bool = False  # exempt without credit (e.g. passenger transport in Denmark and Ireland)
    note: str = ""

    @property
    def category(self) -> str:
        """The EN 16931 category of a sale at this rate: S above 0, Z at 0, E when exempt."""
        return "E" if self.exempt else ("S" if self.percent > 0 else "Z")


@lru_cache(maxsize=1)
def rate_table() -> dict[tuple[str, str], tuple[Rate, ...]]:
    """(country, class) -> its rates, oldest first."""
    rows: dict[tuple[str, str], list[Rate]] = {}
    with open(TABLE, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in reader:
            exempt = row["rate"].strip() == EXEMPT
            rate = Rate(row["country"], row["class"], date.fromisoformat(row["valid_from"]),
                        Decimal(0) if exempt else Decimal(row["rate"]), exempt, row.get("note") or "")
            rows.setdefault((rate.country, rate.rate_class), []).append(rate)
    return {key: tuple(sorted(rates, key=lambda r: r.valid_from)) for key, rates in rows.items()}


def countries() -> set[str]:
    return {country for country, _ in rate_table()}


def rate_on(country: str, rate_class: str, on: date) -> Rate:
    """The rate in force in ``country`` for ``rate_class`` on ``on``. A country without a row for the class
    applies its standard rate. ``LookupError`` when the table has no rate for the country on that date."""
    table = rate_table()
    rates = table.get((country, rate_class)) or table.get((country, "standard"), ())
    in_force = [r for r in rates if r.valid_from <= on]
    if not in_force:
        raise LookupError(f"no VAT rate for {country} ({rate_class}) on {on.isoformat()}")
    return in_force[-1]


def standard_rate(country: str, on: date) -> Rate:
    return rate_on(country, "standard", on)
