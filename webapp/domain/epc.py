"""The EPC QR code ("GiroCode", EPC069-12) a banking app scans to fill in a SEPA credit transfer."""
from __future__ import annotations

from decimal import Decimal

MAX_AMOUNT = Decimal("999999999.99")


def epc_payload(*, name: str, iban: str, amount: Decimal, reference: str, bic: str = "") -> str | None:
    """The text of the code, or None when no code can be made (amount not between 0.01 and 999,999,999.99 EUR)."""
    if not iban or amount < Decimal("0.01") or amount > MAX_AMOUNT:
        return None
    lines = [
        "BCD",  # service tag
        "002",  # version (BIC optional)
        "1",  # UTF-8
        "SCT",  # SEPA credit transfer
        bic,
        name[:70],
        iban.replace(" ", ""),
        f"EUR{amount:.2f}",
        "",  # purpose
        "",  # structured reference
        reference[:140],  # unstructured remittance information
    ]
    return "\n".join(lines)
