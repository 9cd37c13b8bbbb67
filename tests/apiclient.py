"""The API tests' client: a program with a token of some role in an organization (``api_as``, ``api``)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories


@dataclass
class ApiClient:
    """A test client that sends the token with every request, as a program would (no cookies, no CSRF)."""
    client: object
    org: object
    token: str
    role: str
    row: object

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, headers=None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(headers), csrf=False, **kwargs)

    def patch(self, path, json=None, headers=None, **kwargs):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self._headers(headers), csrf=False, **kwargs)

    def put(self, path, json=None, headers=None, **kwargs):
        return self.client.put(f"/api/v1{path}", json=json, headers=self._headers(headers), csrf=False, **kwargs)

    def delete(self, path, headers=None, **kwargs):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers), csrf=False, **kwargs)


@pytest.fixture
def api_as(app):
    """api_as("staff") -> an ApiClient with a token of that role in a fresh organization whose company details
    are complete (org= for another token in the same organization)."""

    def _make(role: str = "owner", org=None) -> ApiClient:
        if org is None:
            org = factories.complete_org(factories.organization())
        row, token = factories.api_token(org, role)
        return ApiClient(client=app.test_client(), org=org, token=token, role=role, row=row)

    return _make


@pytest.fixture
def api(api_as) -> ApiClient:
    return api_as("owner")
