"""Logs keep personal data and secrets out of message text and tracebacks too, as written by
the real logging setup."""

import io
import json
import logging

import pytest

from delivery.platform import logs


@pytest.fixture
def written(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("INFO")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


SECRETS = ["+9647701234567", "07701234567", "199012345678", "483920",
           "tsk_ab12cd_Zq9sXf0aLmNoPqRsTuVwXyZ012345", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"]


def test_message_text_is_redacted(written):
    logging.getLogger("tasheel.test").warning(
        "sms to %s (%s), nid %s, code: %s, key %s, Authorization: Bearer %s", *SECRETS)
    line = written()[-1]
    for secret in SECRETS:
        assert secret not in line["msg"], secret
    assert "sms to" in line["msg"] and "[redacted]" in line["msg"]


def test_tracebacks_are_redacted(written):
    try:
        raise ValueError(f"bad phone {SECRETS[0]} for national id {SECRETS[2]}, otp={SECRETS[3]}")
    except ValueError:
        logging.getLogger("tasheel.test").exception("could not send")
    line = written()[-1]
    assert "ValueError" in line["exc"] and "Traceback" in line["exc"]
    for secret in SECRETS[:4]:
        assert secret not in line["exc"], secret


def test_ordinary_numbers_survive(written):
    logging.getLogger("tasheel.test").info("relayed %d rows in %d ms for RR123456785IQ", 500, 1234)
    assert written()[-1]["msg"] == "relayed 500 rows in 1234 ms for RR123456785IQ"
