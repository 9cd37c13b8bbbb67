"""Message templates with ``{placeholders}``: only the listed names are replaced, nothing is evaluated."""
from __future__ import annotations

import re

from webapp.domain.units import _n

# name -> what it stands for (shown next to the template fields: translated there, {{ _(meaning) }})
PLACEHOLDERS = {
    "customer_name": _n("the customer's name"),
    "number": _n("the invoice number"),
    "total": _n("the total amount"),
    "due_date": _n("the invoice's due date"),
    "link": _n("the link to the customer's page"),
    "company": _n("your company name"),
}
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def unknown_placeholders(template: str) -> list[str]:
    """Placeholder names in ``template`` that would not be filled in (a typo such as ``{nubmer}``)."""
    return sorted({name for name in PLACEHOLDER_RE.findall(template or "") if name not in PLACEHOLDERS})


def fill(template: str, values: dict[str, str]) -> str:
    """Replace the known ``{placeholders}`` with ``values``; anything else stays as written."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template or "")
