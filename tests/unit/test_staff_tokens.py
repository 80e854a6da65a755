"""A staff token's signature is checked once and remembered; expiry and the device it is bound
to are checked on every use all the same."""

import time
from datetime import UTC, datetime

import msgspec
import pytest

from delivery.platform.errors import Unauthenticated
from delivery.platform.settings import Settings
from delivery.staff.auth import issue_token, read_token
from delivery.staff.model import StaffMember

MEMBER = StaffMember(id=7, username="sorter", role="sorting_clerk", site_id=1, site_code="SC-BG",
                     site_kind="sorting_centre", active=True)


def _settings(ttl_s: int = 3600, secret: str = "token-tests") -> Settings:
    return msgspec.structs.replace(Settings.from_env({"TASHEEL_SECRET_KEY": secret}),
                                   jwt_ttl_s=ttl_s)


def test_a_token_read_once_is_still_refused_once_it_expires():
    settings = _settings(ttl_s=1)
    token = issue_token(settings, MEMBER, "dev-1", datetime.now(UTC))
    assert read_token(settings, token, "dev-1").id == MEMBER.id
    time.sleep(max(0.0, int(time.time()) + 1 - time.time()) + 0.05)  # past `exp` (whole seconds)
    with pytest.raises(Unauthenticated, match="expired"):
        read_token(settings, token, "dev-1")


def test_a_token_read_once_is_still_refused_from_another_device():
    settings = _settings()
    token = issue_token(settings, MEMBER, "dev-1", datetime.now(UTC))
    assert read_token(settings, token, "dev-1").device_id == "dev-1"
    with pytest.raises(Unauthenticated, match="another device"):
        read_token(settings, token, "dev-2")
    with pytest.raises(Unauthenticated, match="another device"):
        read_token(settings, token, None)


def test_a_token_read_once_is_refused_by_a_server_with_another_secret():
    token = issue_token(_settings(), MEMBER, "dev-1", datetime.now(UTC))
    assert read_token(_settings(), token, "dev-1").username == "sorter"
    with pytest.raises(Unauthenticated, match="invalid"):
        read_token(_settings(secret="another secret"), token, "dev-1")
