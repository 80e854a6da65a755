import datetime as dt
import hashlib
import hmac

from notifications.signing import new_webhook_secret, sign_webhook, verify_webhook

SECRET = "whsec_test"
BODY = b'{"tracking_number":"RR123456785IQ","state":"delivered"}'
SENT_AT = 1_780_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{SENT_AT}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook(SECRET, BODY, SENT_AT) == f"t={SENT_AT},v1={expected}"


def test_fresh_signature_verifies():
    header = sign_webhook(SECRET, BODY, SENT_AT)
    assert verify_webhook(SECRET, BODY, header, now=SENT_AT + 299)


def test_datetime_timestamps_are_accepted():
    sent = dt.datetime.fromtimestamp(SENT_AT, dt.UTC)
    header = sign_webhook(SECRET, BODY, sent)
    assert header.startswith(f"t={SENT_AT},")
    assert verify_webhook(SECRET, BODY, header, now=sent + dt.timedelta(seconds=10))


def test_changed_body_fails():
    header = sign_webhook(SECRET, BODY, SENT_AT)
    assert not verify_webhook(SECRET, BODY.replace(b"delivered", b"collected"), header, SENT_AT)


def test_other_secret_fails():
    header = sign_webhook(SECRET, BODY, SENT_AT)
    assert not verify_webhook("whsec_other", BODY, header, SENT_AT)


def test_replay_outside_tolerance_fails():
    header = sign_webhook(SECRET, BODY, SENT_AT)
    assert not verify_webhook(SECRET, BODY, header, now=SENT_AT + 301)
    assert not verify_webhook(SECRET, BODY, header, now=SENT_AT - 301)
    assert verify_webhook(SECRET, BODY, header, now=SENT_AT + 600, tolerance_s=600)


def test_moved_timestamp_fails():
    signature = sign_webhook(SECRET, BODY, SENT_AT).split(",")[1]
    assert not verify_webhook(SECRET, BODY, f"t={SENT_AT + 60},{signature}", SENT_AT + 60)


def test_any_of_several_signatures_may_match_during_secret_rotation():
    new = sign_webhook(SECRET, BODY, SENT_AT).split(",")[1]
    old = sign_webhook("whsec_old", BODY, SENT_AT).split(",")[1]
    assert verify_webhook(SECRET, BODY, f"t={SENT_AT},{old},{new}", SENT_AT)


def test_malformed_headers_fail():
    for header in ("", "garbage", f"t={SENT_AT}", "v1=abc", "t=soon,v1=abc"):
        assert not verify_webhook(SECRET, BODY, header, SENT_AT)


def test_new_secrets_are_prefixed_random_and_carry_32_bytes():
    secrets = {new_webhook_secret() for _ in range(100)}
    assert len(secrets) == 100
    secret = secrets.pop()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 43
