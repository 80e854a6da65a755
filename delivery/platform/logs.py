"""JSON logs, one object per line, with the request id; personal data never reaches them."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time

import msgspec

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Keys whose values are personal data or secrets; a record carrying them is redacted.
SENSITIVE_KEYS = frozenset({
    "name", "citizen_name", "phone", "citizen_phone", "to", "national_id", "address_text",
    "lat", "lon", "location", "otp", "code", "password", "token", "authorization", "body",
})
# Personal data and secrets as they appear inside text (a message, an exception's words in a
# traceback): what each looks like, and what replaces it. A label ("Bearer", "code:") is kept so
# the line still says what was there.
_TEXT_PATTERNS = [(re.compile(pattern), replacement) for pattern, replacement in (
    (r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+", r"\1 [redacted]"),
    (r"\beyJ[\w-]*\.[\w-]+\.[\w-]+", "[redacted]"),  # a JWT
    (r"\btsk_[A-Za-z0-9_-]+", "[redacted]"),  # an agency API key
    (r"(?i)\b(password|secret|token|api_key)(\s*[:=]\s*)[^\s,;)]+", r"\1\2[redacted]"),
    (r"(?i)\b(otp|code|pin)(\s*[:=]\s*|\s+is\s+)\d{4,8}(?!\w)", r"\1\2[redacted]"),
    (r"(?<![\w+])\+\d{8,15}(?!\d)", "[redacted]"),  # a phone, international
    (r"(?<!\w)07\d{9}(?!\w)", "[redacted]"),  # a phone, Iraqi national form
    (r"(?<!\w)\d{12}(?!\w)", "[redacted]"),  # a national ID
)]
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; extra fields are kept, sensitive ones redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact_text(record.getMessage()),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = "[redacted]" if key.lower() in SENSITIVE_KEYS else _scrubbed(value)
        if record.exc_info:
            entry["exc"] = redact_text(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact_text(self.formatStack(record.stack_info))
        return msgspec.json.encode(entry, enc_hook=str).decode()


def redact_text(text: str) -> str:
    """The text with phone numbers, national IDs, codes, tokens and keys replaced."""
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrubbed(value: object) -> object:
    return redact_text(value) if isinstance(value, str) else value


def configure(level: str = "INFO") -> None:
    """Send every log line to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
