"""How SMS travel: a gateway protocol, Twilio behind it, and a console gateway for local use."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import re
import secrets
import sys
import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol, TextIO

import aiohttp
import msgspec
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from delivery.platform.privacy import mask_phone

# Twilio error codes that no retry can fix (https://www.twilio.com/docs/api/errors).
PERMANENT_TWILIO_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21408,  # sending to this region is not enabled
        21610,  # the recipient replied STOP
        21612,  # the 'To' number cannot be reached from this sender
        21614,  # 'To' is not a mobile number
        21617,  # body too long
        21602,  # body required
        21606,  # 'From' cannot send SMS
        21603,  # 'From' or 'MessagingServiceSid' required
    }
)
# Queue overflow: the sender is saturated; the same message succeeds later.
QUEUE_OVERFLOW_CODES = frozenset({21611, 30001})
# Credentials are an operator's fix; until then messages wait instead of being dropped.
AUTHENTICATION_CODES = frozenset({20003})

RETRY_AFTER_RATE_LIMITED_S = 5.0
RETRY_AFTER_SERVER_ERROR_S = 30.0
RETRY_AFTER_QUEUE_OVERFLOW_S = 60.0
RETRY_AFTER_TIMEOUT_S = 15.0
RETRY_AFTER_AUTHENTICATION_S = 300.0


class SendResult(msgspec.Struct, frozen=True, kw_only=True):
    """The provider's id for an accepted message and its first status."""

    provider_sid: str
    status: str


class PermanentSmsError(Exception):
    """The provider refused the message for good: do not retry it."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TransientSmsError(Exception):
    """The message could not be sent now; retry after retry_after_s seconds."""

    def __init__(self, code: int | None, retry_after_s: float, message: str = "") -> None:
        super().__init__(f"{code}: {message} (retry after {retry_after_s:g} s)")
        self.code = code
        self.retry_after_s = retry_after_s
        self.message = message


class UncertainSmsError(Exception):
    """The request may have reached the provider and its answer was lost (a timeout while
    waiting for it, a connection dropped after it was sent): the message may have gone."""

    def __init__(self, message: str, retry_after_s: float = RETRY_AFTER_TIMEOUT_S) -> None:
        super().__init__(f"outcome unknown: {message}")
        self.code: int | None = None
        self.retry_after_s = retry_after_s
        self.message = message


class SmsGateway(Protocol):
    """Anything that can send one SMS."""

    async def send(self, to_e164: str, body: str, *, kind: str, reference: str) -> SendResult:
        """Send body to the number; raise PermanentSmsError, TransientSmsError (nothing was
        sent) or UncertainSmsError (it may have been)."""
        ...


def error_from_twilio(status: int, code: int | None, message: str) -> Exception:
    """The Permanent or Transient error for a Twilio API failure."""
    if code in QUEUE_OVERFLOW_CODES:
        return TransientSmsError(code, RETRY_AFTER_QUEUE_OVERFLOW_S, message)
    if code in AUTHENTICATION_CODES or status == 401:
        return TransientSmsError(code, RETRY_AFTER_AUTHENTICATION_S, message)
    if code in PERMANENT_TWILIO_CODES:
        return PermanentSmsError(code, message)
    if status == 429:
        return TransientSmsError(code, RETRY_AFTER_RATE_LIMITED_S, message)
    if status >= 500 or status == 408:
        return TransientSmsError(code, RETRY_AFTER_SERVER_ERROR_S, message)
    return PermanentSmsError(code, message)


class _Attempt:
    """One call to Twilio: whether its request was handed to the connection yet."""

    written = False


# The call under way in this task, marked by aiohttp's trace when its request goes out.
_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("twilio_attempt", default=None)


async def _note_request_written(*_: object) -> None:
    if (attempt := _ATTEMPT.get()) is not None:
        attempt.written = True


def _request_tracer() -> aiohttp.TraceConfig:
    tracer = aiohttp.TraceConfig()
    tracer.on_request_headers_sent.append(_note_request_written)
    return tracer


def error_without_answer(error: BaseException, *, written: bool) -> Exception:
    """A call that got no answer: it proves nothing was sent only if its request never went
    out (refused, unresolved, a connect that timed out); otherwise Twilio may have the message."""
    reason = "timed out" if isinstance(error, TimeoutError) else repr(error)
    if written and not isinstance(error, aiohttp.ClientConnectorError):
        return UncertainSmsError(f"{reason} after the request was sent")
    return TransientSmsError(None, RETRY_AFTER_TIMEOUT_S, reason)


class TwilioGateway:
    """Sends through Twilio's REST API with the official client on its asyncio path."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_: str | None = None,
        status_callback_url: str | None,
        validity_period_s: int | None,
        api_base_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if bool(messaging_service_sid) == bool(from_):
            raise ValueError("give exactly one of messaging_service_sid and from_")
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._sender = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": from_}
        )
        self._status_callback_url = status_callback_url
        self._validity_period_s = validity_period_s
        self._api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self._timeout_s = timeout_s
        self._client: Any = None

    def _twilio_client(self) -> Any:
        # Built on first use: aiohttp's session belongs to the running event loop.
        if self._client is None:
            http = AsyncTwilioHttpClient(trace_configs=[_request_tracer()])
            client = Client(self._account_sid, self._auth_token, http_client=http)
            if self._api_base_url:
                client.api.base_url = self._api_base_url
            self._client = client
        return self._client

    def _create_arguments(self, to_e164: str, body: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {"to": to_e164, "body": body, **self._sender}
        if self._status_callback_url:
            arguments["status_callback"] = self._status_callback_url
        if self._validity_period_s:
            arguments["validity_period"] = self._validity_period_s
        return arguments

    async def send(self, to_e164: str, body: str, *, kind: str, reference: str) -> SendResult:
        """Send one SMS; Twilio's refusals become Permanent or Transient errors."""
        messages = self._twilio_client().api.account.messages
        attempt = _Attempt()
        token = _ATTEMPT.set(attempt)
        try:
            async with asyncio.timeout(self._timeout_s):
                message = await messages.create_async(**self._create_arguments(to_e164, body))
        except (TwilioRestException, TwilioServiceException) as error:
            detail = getattr(error, "msg", None) or getattr(error, "title", "") or str(error)
            raise error_from_twilio(error.status, error.code, detail) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise error_without_answer(error, written=attempt.written) from error
        finally:
            _ATTEMPT.reset(token)
        return SendResult(provider_sid=message.sid, status=str(message.status or "queued"))

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            await self._client.http_client.close()
            self._client = None


class ConsoleMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One SMS the console gateway pretended to send."""

    provider_sid: str
    to: str
    body: str
    kind: str
    reference: str
    sent_at: dt.datetime


# A one-time code as the templates write it: a run of digits standing alone, not part of a date,
# a time or a tracking number.
_CODE = re.compile(r"(?<![\w\-:/.])\d{4,8}(?![\w\-:/])")


def mask_codes(body: str) -> str:
    """The body with every one-time code replaced by asterisks of its length."""
    return _CODE.sub(lambda m: "*" * len(m.group()), body)


class ConsoleGateway:
    """Prints each SMS (phone and codes masked) and keeps it for demos and tests; sends nothing.

    What it prints and writes may be read by anyone with the terminal or the file, so codes are
    masked unless `show_codes` (SMS_CONSOLE_SHOW_CODES, for demos); `sent` keeps the body as sent.
    """

    def __init__(
        self, *, path: str | Path | None = None, keep: int = 1000, stream: TextIO | None = None,
        show_codes: bool = False,
    ) -> None:
        self.sent: collections.deque[ConsoleMessage] = collections.deque(maxlen=keep)
        self._path = Path(path) if path else None
        self._stream = stream
        self._lock = threading.Lock()
        self._shown = (lambda body: body) if show_codes else mask_codes

    async def send(self, to_e164: str, body: str, *, kind: str, reference: str) -> SendResult:
        """Record and print the message."""
        message = ConsoleMessage(
            provider_sid="CONSOLE" + secrets.token_hex(13),
            to=to_e164,
            body=body,
            kind=kind,
            reference=reference,
            sent_at=dt.datetime.now(dt.UTC),
        )
        with self._lock:
            self.sent.append(message)
            self._print(message)
            if self._path:
                self._append_line(message)
        return SendResult(provider_sid=message.provider_sid, status="delivered")

    def _print(self, message: ConsoleMessage) -> None:
        stream = self._stream or sys.stdout
        print(f"SMS {message.kind} {message.reference} to {mask_phone(message.to)}:", file=stream)
        print(self._shown(message.body), file=stream, flush=True)

    def _append_line(self, message: ConsoleMessage) -> None:
        # The file is readable by anyone on the machine, so the number stays masked here.
        record = msgspec.to_builtins(message) | {"to": mask_phone(message.to),
                                                 "body": self._shown(message.body)}
        with self._path.open("a", encoding="utf-8") as file:  # type: ignore[union-attr]
            file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def messages_to(self, to_e164: str) -> list[ConsoleMessage]:
        """Messages kept in memory for one number, oldest first."""
        with self._lock:
            return [message for message in self.sent if message.to == to_e164]


def read_console_file(path: str | Path) -> list[dict[str, Any]]:
    """The messages a console gateway appended to its file (phone numbers and, unless asked,
    one-time codes masked)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def gateway_from_settings(
    *,
    twilio_account_sid: str | None,
    twilio_auth_token: str | None,
    twilio_messaging_service_sid: str | None = None,
    twilio_from: str | None = None,
    twilio_api_base_url: str | None = None,
    status_callback_url: str | None = None,
    validity_period_s: int | None = 4 * 3600,
    console_path: str | Path | None = None,
    console_show_codes: bool = False,
    timeout_s: float = 10.0,
) -> SmsGateway:
    """Twilio when its settings are present, else the console; half a configuration is an error."""
    twilio_settings = (twilio_account_sid, twilio_auth_token)
    if not any(twilio_settings):
        return ConsoleGateway(path=console_path, show_codes=console_show_codes)
    if not all(twilio_settings):
        raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together")
    return TwilioGateway(
        twilio_account_sid,  # type: ignore[arg-type]
        twilio_auth_token,  # type: ignore[arg-type]
        messaging_service_sid=twilio_messaging_service_sid,
        from_=None if twilio_messaging_service_sid else twilio_from,
        status_callback_url=status_callback_url,
        validity_period_s=validity_period_s,
        api_base_url=twilio_api_base_url,
        timeout_s=timeout_s,
    )
