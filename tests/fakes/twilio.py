"""A small real HTTP server that answers like Twilio's Messages API, for tests and benchmarks.

Usable from sync and async code alike: it runs in its own thread. The real `twilio` client
reaches it by setting `client.api.base_url` (TwilioGateway's `api_base_url`).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import email.utils
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

from notifications.segments import count_segments

API_VERSION = "2010-04-01"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
SERVICE_SENDER = "TASHEEL"  # what Twilio reports as From when a Messaging Service picked it
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21614: "'To' number is not a valid mobile number",
}
STATUS_CODES = {429: 20429, 500: 20500, 503: 20503}


def new_sid(prefix: str) -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def twilio_error(status: int, code: int, message: str | None = None) -> dict[str, Any]:
    """An error body the way Twilio's API writes it."""
    return {
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclasses.dataclass(frozen=True, kw_only=True)
class FakeMessage:
    """One message the fake accepted, with the form fields as they arrived."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    validity_period: str | None
    num_segments: int
    date_created: dt.datetime
    form: dict[str, str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignedRequest:
    """A webhook Twilio would POST: where, which form fields, and its signature header."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1 and a port of the system's choosing."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        non_mobile: set[str] | frozenset[str] = frozenset(),
        opted_out: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.non_mobile = set(non_mobile)
        self.opted_out = set(opted_out)
        self.request_count = 0
        self._messages: list[FakeMessage] = []
        self._failures: list[tuple[int, int]] = []
        # Messages to accept and then answer late (seconds) or never (None: connection dropped).
        self._lost_answers: list[float | None] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        """Listen in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What to give the client as its API base URL."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what tests inspect and switch ------------------------------------------------------
    @property
    def messages(self) -> list[FakeMessage]:
        """Accepted messages, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def message(self, sid: str) -> FakeMessage:
        """The accepted message with this sid."""
        return next(message for message in self.messages if message.sid == sid)

    def fail_next(self, count: int, *, status: int = 429, code: int | None = None) -> None:
        """Answer the next `count` message requests with this HTTP status (and Twilio code)."""
        with self._lock:
            self._failures.extend([(status, code or STATUS_CODES.get(status, status))] * count)

    def hold_next(self, count: int, *, seconds: float) -> None:
        """Accept the next `count` messages, then wait `seconds` before answering (past the
        client's timeout: it never learns that they went)."""
        with self._lock:
            self._lost_answers.extend([seconds] * count)

    def drop_next(self, count: int) -> None:
        """Accept the next `count` messages, then close the connection without an answer."""
        with self._lock:
            self._lost_answers.extend([None] * count)

    def _lost_answer(self) -> tuple[bool, float | None]:
        """(whether this accepted message's answer is lost, how long to hold it)."""
        with self._lock:
            if not self._lost_answers:
                return False, None
            return True, self._lost_answers.pop(0)

    def reset(self) -> None:
        """Forget messages, counts and pending failures."""
        with self._lock:
            self._messages.clear()
            self._failures.clear()
            self._lost_answers.clear()
            self.request_count = 0

    # --- webhooks Twilio sends --------------------------------------------------------------
    def sign(self, url: str, params: dict[str, str]) -> str:
        """X-Twilio-Signature for a POST of params to url."""
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def build_status_callback(
        self,
        message_sid: str,
        status: str,
        *,
        url_override: str | None = None,
        error_code: int | None = None,
    ) -> SignedRequest:
        """The delivery receipt Twilio would POST for a message, signed."""
        message = self.message(message_sid)
        url = url_override or message.status_callback
        if not url:
            raise ValueError(f"message {message_sid} has no StatusCallback")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or SERVICE_SENDER,
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if status in ("failed", "undelivered"):
            params["ErrorCode"] = str(error_code or 30003)
        return self._signed(url, params)

    def send_status_callback(
        self,
        message_sid: str,
        status: str,
        url_override: str | None = None,
        *,
        error_code: int | None = None,
    ) -> int:
        """POST a signed delivery receipt to the message's StatusCallback; the HTTP status."""
        request = self.build_status_callback(
            message_sid, status, url_override=url_override, error_code=error_code
        )
        return post_form(request)

    def build_inbound(self, url: str, from_: str, body: str, *, to: str = SERVICE_SENDER):
        """An incoming SMS as Twilio would POST it to the inbound webhook, signed."""
        sid = new_sid("SM")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(count_segments(body).segments),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        return self._signed(url, params)

    def send_inbound(self, url: str, from_: str, body: str, *, to: str = SERVICE_SENDER) -> int:
        """POST a signed incoming SMS to url; the HTTP status."""
        return post_form(self.build_inbound(url, from_, body, to=to))

    def _signed(self, url: str, params: dict[str, str]) -> SignedRequest:
        headers = {
            "X-Twilio-Signature": self.sign(url, params),
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        }
        return SignedRequest(url=url, params=params, headers=headers)

    # --- the API itself ---------------------------------------------------------------------
    def _answer(self, path: str, authorization: str | None, form: dict[str, str]):
        """(HTTP status, JSON body) for one POST."""
        with self._lock:
            self.request_count += 1
        match = MESSAGES_PATH.match(path)
        if not match:
            return 404, twilio_error(404, 20404)
        if not self._authorised(match["account"], authorization):
            return 401, twilio_error(401, 20003)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return failure[0], twilio_error(failure[0], failure[1])
        if refusal := self._refusal(form):
            return 400, twilio_error(400, refusal)
        return 201, self._accept(form)

    def _authorised(self, account: str, authorization: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        given = (authorization or "").removeprefix("Basic ").strip()
        return account == self.account_sid and secrets.compare_digest(given, expected)

    def _refusal(self, form: dict[str, str]) -> int | None:
        to = form.get("To", "")
        if not E164.match(to):
            return 21211
        if not form.get("Body"):
            return 21602
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 21603
        if to in self.non_mobile:
            return 21614
        if to in self.opted_out:
            return 21610
        return None

    def _accept(self, form: dict[str, str]) -> dict[str, Any]:
        message = FakeMessage(
            sid=new_sid("SM"),
            to=form["To"],
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            body=form["Body"],
            status_callback=form.get("StatusCallback"),
            validity_period=form.get("ValidityPeriod"),
            num_segments=count_segments(form["Body"]).segments,
            date_created=dt.datetime.now(dt.UTC),
            form=form,
        )
        with self._lock:
            self._messages.append(message)
        return self._resource(message)

    def _resource(self, message: FakeMessage) -> dict[str, Any]:
        created = email.utils.format_datetime(message.date_created)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": message.body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(message.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": "accepted" if message.messaging_service_sid else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": message.to,
            "uri": f"{uri}.json",
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's clients expect

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
        fake: FakeTwilio = self.server.fake  # type: ignore[attr-defined]
        status, body = fake._answer(self.path, self.headers.get("Authorization"), form)
        if status == 201 and self._answer_lost(fake):
            return
        self._send_json(status, body)

    def _answer_lost(self, fake: FakeTwilio) -> bool:
        """Twilio took the message, but its answer does not reach the client."""
        lost, hold_s = fake._lost_answer()
        if not lost:
            return False
        if hold_s is not None:
            time.sleep(hold_s)  # the client has given up by now; what it would read is dropped
        self.close_connection = True
        return True

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded messages instead."""


def post_form(request: SignedRequest, timeout_s: float = 10.0) -> int:
    """POST a signed webhook with the standard library; the receiver's HTTP status."""
    data = urllib.parse.urlencode(request.params).encode()
    outgoing = urllib.request.Request(request.url, data=data, headers=request.headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
