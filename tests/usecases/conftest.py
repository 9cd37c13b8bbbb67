import pytest

from tests import einvoice_docs as E


@pytest.fixture
def seller(owner):
    """The owner of an organization whose invoices pass the XRechnung rules (tests/einvoice_docs.ready)."""
    E.ready(owner.org)
    return owner
