"""Requests released at the same moment: each in its own thread with its own client, app context and database
connection, as two browser tabs or a double click would send them (used by the race tests, marked ``slow``)."""
from __future__ import annotations

import threading
import traceback
from typing import Callable


def at_once(*calls: Callable[[], object]) -> list:
    """Run every call in its own thread, released together by a barrier; their results, in order.

    An exception in a thread fails the test with its traceback (not a silently missing result)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[str] = []

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[0]
    return results


def poster(app, actor) -> Callable[[str, dict | None], Callable[[], int]]:
    """``post(url, data)`` -> a call that POSTs as ``actor`` from a client of its own and returns the status.

    The clients share the actor's session cookie and CSRF token, read here, before the threads start."""
    token = actor.client.csrf_token()
    cookie = actor.client.get_cookie("session").value

    def post(url: str, data: dict | None = None) -> Callable[[], int]:
        client = app.test_client()
        client.set_cookie("session", cookie)
        return lambda: client.post(url, data=data or {}, headers={"X-CSRFToken": token}, csrf=False).status_code

    return post


def post_at_once(app, actor, *requests: tuple[str, dict | None]) -> list[int]:
    """POST every ``(url, data)`` as ``actor`` at the same moment; the status codes, in order."""
    post = poster(app, actor)
    return at_once(*(post(url, data) for url, data in requests))
