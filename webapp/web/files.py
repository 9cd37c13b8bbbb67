"""File downloads: the one place that builds their responses (name, type, no caching, no framing)."""
from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, make_response, send_file


def download(data: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    response = make_response(data)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def stored_file(path: Path, filename: str, mimetype: str) -> Response:
    """A file users uploaded: always a download, sandboxed, never cached or framed."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


def upload_limit_mb(reader_limit: int) -> int:
    """What one upload may carry, in MB, as a page says it: the request limit (``MAX_CONTENT_LENGTH``) or the
    reader's own, whichever is smaller."""
    return min(reader_limit, current_app.config.get("MAX_CONTENT_LENGTH") or reader_limit) // (1024 * 1024)
