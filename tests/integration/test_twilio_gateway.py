"""The real twilio client, through TwilioGateway, against the local fake of Twilio's API."""

import asyncio
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twilio.request_validator import RequestValidator

from delivery.platform.privacy import mask_phone
from notifications.render import render_sms
from notifications.sms import (
    ConsoleGateway,
    PermanentSmsError,
    TransientSmsError,
    TwilioGateway,
    UncertainSmsError,
    gateway_from_settings,
)
from tests.fakes.twilio import FakeTwilio

CITIZEN = "+9647701234567"
SERVICE_SID = "MG" + "0" * 32


class WebhookReceiver:
    """Records the POSTs Twilio would make to Tasheel's webhooks."""

    def __init__(self):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
                receiver.requests.append((url, form, self.headers["X-Twilio-Signature"]))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake():
    with FakeTwilio(non_mobile={"+9647301234567"}, opted_out={"+9647811111111"}) as server:
        yield server


@pytest.fixture(scope="module")
def receiver():
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
async def gateway(fake, receiver):
    fake.reset()
    gateway = TwilioGateway(
        fake.account_sid,
        fake.auth_token,
        messaging_service_sid=SERVICE_SID,
        status_callback_url=receiver.base_url + "/hooks/twilio/status?lang=ar",
        validity_period_s=14400,
        api_base_url=fake.base_url,
    )
    yield gateway
    await gateway.aclose()


async def test_message_is_accepted_with_the_form_fields_twilio_expects(gateway, fake, receiver):
    result = await gateway.send(CITIZEN, "Your code is 123456", kind="otp", reference="42")
    assert result.provider_sid.startswith("SM") and len(result.provider_sid) == 34
    assert result.status == "accepted"
    [message] = fake.messages
    assert message.sid == result.provider_sid
    assert message.form["To"] == CITIZEN
    assert message.form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in message.form
    assert message.form["Body"] == "Your code is 123456"
    assert message.form["StatusCallback"] == receiver.base_url + "/hooks/twilio/status?lang=ar"
    assert message.form["ValidityPeriod"] == "14400"


async def test_sender_number_is_sent_as_from_when_there_is_no_messaging_service(fake):
    fake.reset()
    gateway = TwilioGateway(
        fake.account_sid,
        fake.auth_token,
        from_="+15005550006",
        status_callback_url=None,
        validity_period_s=None,
        api_base_url=fake.base_url,
    )
    result = await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    await gateway.aclose()
    assert result.status == "queued"
    [message] = fake.messages
    assert message.form["From"] == "+15005550006"
    assert "MessagingServiceSid" not in message.form
    assert "StatusCallback" not in message.form and "ValidityPeriod" not in message.form


async def test_arabic_body_arrives_intact_and_is_counted_in_ucs2_segments(gateway, fake):
    link = "https://tasheel.iq/t/" + "a" * 22
    sms = render_sms("accepted", "ar", {"document_type": "passport", "link": link})
    await gateway.send(CITIZEN, sms.body, kind=sms.kind, reference="7")
    [message] = fake.messages
    assert message.body == sms.body
    assert message.num_segments == sms.segments.segments == 2


@pytest.mark.parametrize(
    ("to", "code"),
    [("07701234567", 21211), ("+9647301234567", 21614), ("+9647811111111", 21610)],
)
async def test_refused_numbers_are_permanent_errors(gateway, fake, to, code):
    with pytest.raises(PermanentSmsError) as refused:
        await gateway.send(to, "hello", kind="test", reference="1")
    assert refused.value.code == code
    assert fake.messages == []


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
async def test_rate_limit_and_server_errors_are_transient(gateway, fake, status, code):
    fake.fail_next(1, status=status)
    with pytest.raises(TransientSmsError) as later:
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    assert later.value.code == code
    assert later.value.retry_after_s > 0
    result = await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    assert result.provider_sid == fake.messages[0].sid


async def test_queue_overflow_is_transient(gateway, fake):
    fake.fail_next(1, status=400, code=21611)
    with pytest.raises(TransientSmsError) as later:
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    assert later.value.code == 21611


async def test_wrong_credentials_wait_for_an_operator_rather_than_drop_messages(fake):
    gateway = TwilioGateway(
        fake.account_sid,
        "not-the-token",
        messaging_service_sid=SERVICE_SID,
        status_callback_url=None,
        validity_period_s=None,
        api_base_url=fake.base_url,
    )
    with pytest.raises(TransientSmsError) as later:
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    await gateway.aclose()
    assert later.value.code == 20003


async def test_unreachable_api_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gateway = TwilioGateway(
        "AC" + "1" * 32,
        "token",
        messaging_service_sid=SERVICE_SID,
        status_callback_url=None,
        validity_period_s=None,
        api_base_url=f"http://127.0.0.1:{closed_port}",
    )
    with pytest.raises(TransientSmsError):
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    await gateway.aclose()


def quick_gateway(base_url: str, *, fake: FakeTwilio | None = None,
                  timeout_s: float = 0.3) -> TwilioGateway:
    """A gateway that waits `timeout_s` for Twilio's answer."""
    sid, token = (fake.account_sid, fake.auth_token) if fake else ("AC" + "1" * 32, "token")
    return TwilioGateway(sid, token, messaging_service_sid=SERVICE_SID, status_callback_url=None,
                         validity_period_s=None, api_base_url=base_url, timeout_s=timeout_s)


async def test_a_timeout_after_twilio_took_the_message_is_uncertain_not_transient(fake):
    fake.reset()
    fake.hold_next(1, seconds=1.0)
    gateway = quick_gateway(fake.base_url, fake=fake, timeout_s=0.3)
    with pytest.raises(UncertainSmsError, match="timed out"):
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    await gateway.aclose()
    assert len(fake.messages) == 1  # it went, though the caller cannot know


async def test_a_connection_dropped_after_the_request_is_uncertain(fake):
    fake.reset()
    fake.drop_next(1)
    gateway = quick_gateway(fake.base_url, fake=fake)
    with pytest.raises(UncertainSmsError):
        await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    await gateway.aclose()
    assert len(fake.messages) == 1


async def test_a_connect_that_times_out_proves_nothing_was_sent():
    # A listener that never accepts, its queue already full: the next connect never completes.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
        gateway = quick_gateway(f"http://127.0.0.1:{listener.getsockname()[1]}")
        try:
            with pytest.raises(TransientSmsError, match="timed out"):
                await gateway.send(CITIZEN, "hello", kind="test", reference="1")
        finally:
            await gateway.aclose()
            for filler in fillers:
                filler.close()


async def test_status_callback_signature_validates_and_a_tampered_one_does_not(
    gateway, fake, receiver
):
    result = await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    receiver.requests.clear()
    status = await asyncio.to_thread(fake.send_status_callback, result.provider_sid, "delivered")
    assert status == 204
    [(url, form, signature)] = receiver.requests
    assert form["MessageSid"] == form["SmsSid"] == result.provider_sid
    assert form["MessageStatus"] == "delivered" and form["To"] == CITIZEN
    assert form["AccountSid"] == fake.account_sid and "ErrorCode" not in form
    validator = RequestValidator(fake.auth_token)
    assert validator.validate(url, form, signature)
    assert not validator.validate(url, {**form, "MessageStatus": "failed"}, signature)
    assert not validator.validate(url.replace("lang=ar", "lang=en"), form, signature)
    assert not RequestValidator("another-token").validate(url, form, signature)


async def test_failed_status_callback_carries_the_error_code(gateway, fake, receiver):
    result = await gateway.send(CITIZEN, "hello", kind="test", reference="1")
    receiver.requests.clear()
    await asyncio.to_thread(fake.send_status_callback, result.provider_sid, "undelivered")
    [(url, form, signature)] = receiver.requests
    assert form["ErrorCode"] == "30003"
    assert RequestValidator(fake.auth_token).validate(url, form, signature)


async def test_inbound_reply_is_signed(fake, receiver):
    receiver.requests.clear()
    url = receiver.base_url + "/hooks/twilio/inbound"
    await asyncio.to_thread(fake.send_inbound, url, CITIZEN, "توقف")
    [(got_url, form, signature)] = receiver.requests
    assert form["Body"] == "توقف" and form["From"] == CITIZEN
    assert RequestValidator(fake.auth_token).validate(got_url, form, signature)


async def test_many_concurrent_sends_are_all_recorded_once(gateway, fake):
    results = await asyncio.gather(
        *(gateway.send(CITIZEN, f"message {i}", kind="test", reference=str(i)) for i in range(50))
    )
    assert len({result.provider_sid for result in results}) == 50
    assert sorted(m.body for m in fake.messages) == sorted(f"message {i}" for i in range(50))
    assert fake.request_count == 50


def test_twilio_settings_choose_twilio_and_none_choose_the_console(fake):
    twilio = gateway_from_settings(
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_from="+15005550006",
        twilio_api_base_url=fake.base_url,
    )
    console = gateway_from_settings(twilio_account_sid=None, twilio_auth_token=None)
    assert isinstance(twilio, TwilioGateway)
    assert isinstance(console, ConsoleGateway)
    with pytest.raises(ValueError, match="together"):
        gateway_from_settings(twilio_account_sid=fake.account_sid, twilio_auth_token=None)


async def test_console_gateway_masks_the_phone_and_keeps_messages(tmp_path, capsys):
    path = tmp_path / "sms.jsonl"
    console = ConsoleGateway(path=path, keep=2)
    for i in range(3):
        await console.send(CITIZEN, f"code {i}", kind="otp_reissued", reference=f"r{i}")
    printed = capsys.readouterr().out
    # Masked as on every page and report: one masking for the whole service.
    assert f"to {mask_phone(CITIZEN)}:" in printed and CITIZEN not in printed
    assert mask_phone(CITIZEN) == "+964 *** *** *567"
    assert [m.body for m in console.sent] == ["code 1", "code 2"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and CITIZEN not in path.read_text(encoding="utf-8")
    assert '"reference": "r2"' in lines[2]


async def test_console_gateway_masks_one_time_codes_unless_asked(tmp_path, capsys):
    body = "Your new code is 483920. The old code no longer works. Until 2026-12-20 08:00."
    quiet = ConsoleGateway(path=tmp_path / "quiet.jsonl")
    await quiet.send(CITIZEN, body, kind="otp_reissued", reference="r1")
    printed, written = capsys.readouterr().out, (tmp_path / "quiet.jsonl").read_text()
    for shown in (printed, written):
        assert "483920" not in shown and "code is ******." in shown
        assert "2026-12-20 08:00" in shown
    assert quiet.sent[0].body == body  # kept in memory as sent, for tests and the demo

    demo = ConsoleGateway(path=tmp_path / "demo.jsonl", show_codes=True)
    await demo.send(CITIZEN, body, kind="otp_reissued", reference="r2")
    assert "483920" in capsys.readouterr().out
    assert "483920" in (tmp_path / "demo.jsonl").read_text()
