"""Stored files (note attachments today; supplier PDFs and bank files later): the one place that knows where
their bytes live.

Today that is a folder (``ATTACHMENT_DIR/<organization id>/<key>``, outside ``static/``); keeping them in the
database or an S3-compatible store is a change of this module only. A file is written when its row is added
and removed again if that transaction rolls back; a deleted row's file goes once the deletion is committed.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app

from webapp.services.transaction import after_commit, after_rollback


def _path(org_id: int, key: str) -> Path:
    if not key or not key.isalnum():
        raise ValueError("invalid storage key")
    return Path(current_app.config["ATTACHMENT_DIR"]) / str(int(org_id)) / key


def put(org_id: int, data: bytes) -> str:
    """Store ``data`` for the organization under a new random key (removed again if the transaction rolls
    back); returns the key."""
    key = secrets.token_hex(16)
    path = _path(org_id, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    after_rollback(lambda: path.unlink(missing_ok=True))
    return key


def local_path(org_id: int, key: str) -> Path | None:
    """The file to send for ``key``, or None when it is gone."""
    if not key:
        return None
    path = _path(org_id, key)
    return path if path.is_file() else None


def delete_after_commit(org_id: int, key: str) -> None:
    """Remove the file once the transaction that deletes its row is committed."""
    if key:
        path = _path(org_id, key)
        after_commit(lambda: path.unlink(missing_ok=True))
