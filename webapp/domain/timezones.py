"""Time zones of organizations: IANA names (``Europe/Berlin``), checked with ``zoneinfo``.

Times are stored in UTC; screens show them in the organization's time zone.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global

from webapp.domain.errors import Text

UTC = "UTC"
# Areas of the IANA database people live in; Etc/GMT+1, posix/..., US/Eastern and the like are left out of
# the list (they are still accepted when typed).
AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    """(IANA name, label) of every zone of the list, UTC first, then by name."""
    names = sorted(n for n in available_timezones() if n.split("/", 1)[0] in AREAS and "/" in n)
    return [(UTC, "UTC")] + [(n, n.replace("_", " ")) for n in names]


@lru_cache(maxsize=1)
def _known() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones() | {UTC}}


def normalize_timezone(value: str) -> str:
    """The IANA name as ``zoneinfo`` spells it (``europe/berlin`` -> ``Europe/Berlin``), or ``ValueError`` with a
    message for the person who typed it."""
    name = (value or "").strip()
    if not name:
        raise ValueError(Text("Choose a time zone from the list (an IANA name such as Europe/Berlin)."))
    known = _known().get(name.lower())
    if known is None:
        raise ValueError(Text("{name} is not a time zone: choose one from the list (such as Europe/Berlin).",
                              name=name[:64]))
    return known


def default_timezone(country: str) -> str:
    """The zone a business in ``country`` most likely keeps: the country's zone when all of its zones keep the
    same time (DE: Europe/Berlin, FR: Europe/Paris), else UTC (US, ES with the Canaries, or no country)."""
    zones = get_global("territory_zones").get((country or "").upper(), [])
    if not zones:
        return UTC
    year = datetime.now(timezone.utc).year
    probes = [datetime(year, 1, 15, 12, tzinfo=timezone.utc), datetime(year, 7, 15, 12, tzinfo=timezone.utc)]
    try:
        offsets = {tuple(p.astimezone(ZoneInfo(z)).utcoffset() for p in probes) for z in zones}
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC
    return zones[0] if len(offsets) == 1 else UTC


def zone(name: str | None) -> ZoneInfo:
    """The ``ZoneInfo`` of a stored name; UTC for an empty or unknown one (a page never fails on it)."""
    try:
        return ZoneInfo(name or UTC)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(UTC)
