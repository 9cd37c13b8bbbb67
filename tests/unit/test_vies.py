"""The VIES checker (services/vies.py): the fake, the REST client against a real HTTP server on 127.0.0.1 (every
answer VIES gives, a timeout, an unreadable answer) and the configuration that keeps it off by default.

No test sends anything outside loopback: ``only_loopback`` refuses any other connection."""
from __future__ import annotations

import ipaddress
import json
import socket
import threading
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from tests.webhook_receiver import closed_port
from webapp.config import ConfigError, load_config
from webapp.services import vies
from webapp.services.vies import FakeChecker, VatCheck, VatChecker, ViesRestChecker


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """No proxy from the environment, and any connection outside loopback fails the test (the test database on
    127.0.0.1 or ::1 stays reachable)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    connect = socket.socket.connect

    def guarded(self, address):
        if isinstance(address, tuple) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"a test tried to connect to {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@dataclass
class FakeVies:
    """A VIES stand-in: answers every POST with ``status`` and ``body`` (JSON when not bytes), after waiting
    ``delay`` seconds (cut short when the test ends); keeps the paths and JSON bodies it received."""

    server: ThreadingHTTPServer
    status: int = 200
    body: object = None
    delay: float = 0.0
    received: list[tuple[str, dict]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/rest-api"


@pytest.fixture
def fake_vies():
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            state = holder["state"]
            length = int(self.headers.get("Content-Length") or 0)
            state.received.append((self.path, json.loads(self.rfile.read(length))))
            if state.delay:
                state.stopping.wait(state.delay)
            body = state.body if isinstance(state.body, bytes) else json.dumps(state.body).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = holder["state"] = FakeVies(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def rest_checker(fake: FakeVies, timeout: float = 2) -> ViesRestChecker:
    return ViesRestChecker(fake.url + "/", timeout)


VALID_ANSWER = {
    "countryCode": "DE", "vatNumber": "136695976", "requestDate": "2026-03-02T10:15:00.000Z", "valid": True,
    "requestIdentifier": "", "name": "Muster GmbH", "address": "Hauptstr. 1\n10115 Berlin", "traderName": "---",
    "userError": "VALID",
}


def assert_no_answer(check: VatCheck, error: str) -> None:
    assert (check.valid, check.name, check.address, check.source, check.error) == (None, "", "", "vies", error)


# --- ViesRestChecker against a server on 127.0.0.1 ------------------------------------------------------------

def test_a_valid_number_with_name_and_address(fake_vies):
    fake_vies.body = VALID_ANSWER
    before = datetime.now(UTC)
    check = rest_checker(fake_vies).check("DE", "DE 136 695 976")
    assert check == VatCheck(True, "Muster GmbH", "Hauptstr. 1\n10115 Berlin", check.checked_at, source="vies")
    assert check.error == ""
    assert check.checked_at.tzinfo is UTC and before <= check.checked_at <= datetime.now(UTC)
    assert fake_vies.received == [("/rest-api/check-vat-number", {"countryCode": "DE", "vatNumber": "136695976"})]


def test_an_invalid_number_and_undisclosed_name_and_address(fake_vies):
    fake_vies.body = {"countryCode": "DE", "vatNumber": "136695977", "valid": False, "name": "---",
                      "address": "---", "userError": "INVALID"}
    check = rest_checker(fake_vies).check("DE", "136695977")
    assert (check.valid, check.name, check.address, check.source, check.error) == (False, "", "", "vies", "")
    assert fake_vies.received[0][1] == {"countryCode": "DE", "vatNumber": "136695977"}


def test_a_valid_answer_without_user_error_reads_valid(fake_vies):
    fake_vies.body = {"valid": True, "name": " Muster GmbH ", "address": None}
    check = rest_checker(fake_vies).check("DE", "136695976")
    assert (check.valid, check.name, check.address, check.error) == (True, "Muster GmbH", "", "")


@pytest.mark.parametrize("country, vat_id", [("GR", "EL094259216"), ("GR", "GR 094259216"), ("GR", "094259216"),
                                             ("EL", "094259216"), ("AT", "EL094259216")])
def test_greece_is_sent_as_el_without_its_prefix(fake_vies, country, vat_id):
    fake_vies.body = {"valid": True, "name": "---", "address": "---", "userError": "VALID"}
    assert rest_checker(fake_vies).check(country, vat_id).valid is True
    assert fake_vies.received == [("/rest-api/check-vat-number", {"countryCode": "EL", "vatNumber": "094259216"})]


def test_the_prefix_of_another_member_state_wins_over_the_country(fake_vies):
    fake_vies.body = {"valid": True, "userError": "VALID"}
    rest_checker(fake_vies).check("AT", "de136695976")
    assert fake_vies.received[0][1] == {"countryCode": "DE", "vatNumber": "136695976"}


def test_member_state_unavailable_is_no_answer_whatever_valid_says(fake_vies):
    fake_vies.body = {"countryCode": "DE", "vatNumber": "136695976", "valid": False, "name": "---",
                      "address": "---", "userError": "MS_UNAVAILABLE"}
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "The member state's VAT service is unavailable.")


@pytest.mark.parametrize("status", [200, 400, 500])
def test_error_wrappers_are_no_answer_with_any_status(fake_vies, status):
    fake_vies.status = status
    fake_vies.body = {"actionSucceed": False, "errorWrappers": [{"error": "INVALID_INPUT", "message": "..."}]}
    assert_no_answer(rest_checker(fake_vies).check("DE", "1"), "VIES refused the country code or number.")


def test_an_unknown_error_code_is_named(fake_vies):
    fake_vies.body = {"actionSucceed": False, "errorWrappers": [{"error": "SOMETHING_NEW"}]}
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "VIES could not check the number (SOMETHING_NEW).")


def test_action_not_succeeded_without_wrappers(fake_vies):
    fake_vies.body = {"actionSucceed": False}
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "VIES could not check the number (UNKNOWN).")


def test_an_http_500_without_a_json_body(fake_vies):
    fake_vies.status, fake_vies.body = 500, b"<html>Internal Server Error</html>"
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "VIES answered with HTTP 500.")


def test_a_redirect_is_not_followed(fake_vies):
    fake_vies.status, fake_vies.body = 302, b""
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "VIES answered with HTTP 302.")
    assert len(fake_vies.received) == 1


def test_a_timeout(fake_vies):
    fake_vies.delay, fake_vies.body = 3, VALID_ANSWER
    started = datetime.now(UTC)
    check = rest_checker(fake_vies, timeout=0.2).check("DE", "136695976")
    assert_no_answer(check, "VIES did not answer in time.")
    assert (datetime.now(UTC) - started).total_seconds() < 2


@pytest.mark.parametrize("body", [b"{not json", b"", b"[true]", json.dumps({"valid": "yes"}).encode(),
                                  json.dumps({"name": "Muster GmbH"}).encode(),
                                  json.dumps({"valid": True, "userError": 7}).encode()])
def test_an_unreadable_answer(fake_vies, body):
    fake_vies.body = body
    assert_no_answer(rest_checker(fake_vies).check("DE", "136695976"), "VIES sent an answer that could not be read.")


def test_nothing_listening():
    checker = ViesRestChecker(f"http://127.0.0.1:{closed_port()}/rest-api", 0.5)
    assert_no_answer(checker.check("DE", "136695976"), "VIES could not be reached.")


@pytest.mark.parametrize("country, vat_id, error", [
    ("CH", "CHE123456789", "VIES checks EU VAT IDs only."),
    ("GB", "GB123456789", "VIES checks EU VAT IDs only."),
    ("", "123456789", "VIES checks EU VAT IDs only."),
    ("DE", "", "There is no VAT ID to check."),
    ("DE", "DE", "There is no VAT ID to check."),
    ("DE", "DE12_34", "There is no VAT ID to check."),
])
def test_what_vies_cannot_check_is_not_sent(fake_vies, country, vat_id, error):
    assert_no_answer(rest_checker(fake_vies).check(country, vat_id), error)
    assert fake_vies.received == []


def test_northern_ireland_is_sent_as_xi(fake_vies):
    fake_vies.body = {"valid": False, "userError": "INVALID"}
    assert rest_checker(fake_vies).check("GB", "XI123456789").valid is False
    assert fake_vies.received[0][1] == {"countryCode": "XI", "vatNumber": "123456789"}


# --- FakeChecker and VatCheck ---------------------------------------------------------------------------------

def test_fake_checker_answers_by_compact_id():
    fake = FakeChecker({"DE136695976": True, "de 136695977": False, "EL094259216": None, "GR999999999": True})
    assert isinstance(fake, VatChecker) and isinstance(ViesRestChecker(), VatChecker)
    assert fake.check("DE", "DE 136.695.976").valid is True
    assert fake.check("DE", "136695977").valid is False
    greek = fake.check("GR", "094259216")
    assert greek == VatCheck(None, checked_at=greek.checked_at, source="fake", error="No answer for this VAT ID.")
    assert fake.check("GR", "EL999999999").valid is True  # a key written with GR is Greece's EL
    unknown = fake.check("FR", "FR40303265045")
    assert (unknown.valid, unknown.source, unknown.error) == (None, "fake", "No answer for this VAT ID.")
    assert fake.calls == ["DE136695976", "DE136695977", "EL094259216", "EL999999999", "FR40303265045"]


def test_a_vat_check_is_frozen():
    check = VatCheck(True, source="fake")
    with pytest.raises(FrozenInstanceError):
        check.valid = False  # type: ignore[misc]
    assert (check.name, check.address, check.error, check.checked_at.tzinfo) == ("", "", "", UTC)


# --- configuration: off unless VIES_CHECK ---------------------------------------------------------------------

@pytest.fixture
def environment(monkeypatch):
    for name in ("VIES_CHECK", "VIES_URL", "VIES_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_checker_by_default(environment, tmp_path):
    config = load_config(tmp_path)
    assert (config["VIES_CHECK"], config["VIES_URL"], config["VIES_TIMEOUT"]) == (False, "", 5)
    assert vies.checker(config) is None
    assert vies.checker(config, {}) is None
    assert vies.checker({}) is None


def test_vies_check_on_uses_the_commissions_address_and_5_seconds(environment, tmp_path):
    environment.setenv("VIES_CHECK", "1")
    checker = vies.checker(load_config(tmp_path))
    assert isinstance(checker, ViesRestChecker)
    assert (checker.url, checker.timeout) == (
        "https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number", 5)


def test_vies_url_and_timeout_from_the_environment(environment, tmp_path):
    environment.setenv("VIES_CHECK", "yes")
    environment.setenv("VIES_URL", " http://127.0.0.1:8999/vies/ ")
    environment.setenv("VIES_TIMEOUT", "2")
    checker = vies.checker(load_config(tmp_path))
    assert (checker.url, checker.timeout) == ("http://127.0.0.1:8999/vies/check-vat-number", 2)


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_timeout_below_one_second_or_not_a_number_is_refused(environment, tmp_path, value):
    environment.setenv("VIES_TIMEOUT", value)
    with pytest.raises(ConfigError, match="VIES_TIMEOUT"):
        load_config(tmp_path)


def test_an_installed_checker_wins_over_the_configuration():
    fake = FakeChecker({"DE136695976": True})
    assert vies.checker({"VIES_CHECK": False}, {"vat_checker": fake}) is fake
    assert vies.checker({"VIES_CHECK": True}, {"vat_checker": None}) is None
    app = Flask(__name__)
    app.config["VIES_CHECK"] = False
    with app.app_context():
        assert vies.current_checker() is None
        app.extensions["vat_checker"] = fake
        assert vies.current_checker() is fake
