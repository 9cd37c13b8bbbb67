"""Message templates with ``{placeholders}``: only the listed names are replaced, nothing is evaluated."""
from __future__ import annotations

import re

# name -> what it stands for (shown next to the template fields)
PLACEHOLDERS = {
    "customer_name": "the customer's name",
    "number": "the invoice number",
    "total": "the total amount",
    "due_date": "the due date",
    "link": "the link to the customer's page",
    "company": "your company name",
}
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def unknown_placeholders(template: str) -> list[str]:
    """Placeholder names in ``template`` that would not be filled in (a typo such as ``{nubmer}``)."""
    return sorted({name for name in PLACEHOLDER_RE.findall(template or "") if name not in PLACEHOLDERS})


def fill(template: str, values: dict[str, str]) -> str:
    """Replace the known ``{placeholders}`` with ``values``; anything else stays as written."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template or "")
