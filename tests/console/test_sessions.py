"""Signing in to the console: the session cookie, CSRF on every form, idle and changed
accounts, logout, and login limits an attacker cannot turn against a real user."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from delivery.staff import lockout
from delivery.staff import services as staff
from delivery.web.app import create_app
from tests.console_support import PASSWORD, console_login, sign_in
from tests.helpers import peer_client, running_app

pytestmark = pytest.mark.usefixtures("demo_sites")


async def test_a_browser_without_a_session_is_sent_to_the_login_page(client):
    response = await client.get("/ops/complaints?status=all", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ops/login?next=%2Fops%2Fcomplaints%3Fstatus%3Dall"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "تسجيل الدخول" in page.text
    assert 'name="password"' in page.text


async def test_signing_in_sets_a_strict_httponly_cookie_and_opens_the_page_asked_for(client, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    response = await sign_in(client, "noor", next="/ops/complaints")
    assert response.status_code == 303
    assert response.headers["location"] == "/ops/complaints"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("tsk_ops="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/ops" in lowered
    assert "secure" not in lowered  # plain HTTP here; see the HTTPS test below
    home = await client.get("/ops")
    assert home.status_code == 200 and "noor" in home.text and "مفتش" in home.text


async def test_over_https_the_session_cookie_is_secure(settings, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    async with AsyncTestClient(app=create_app(settings), base_url="https://ops.test") as client:
        response = await sign_in(client, "noor")
        cookie = next(c for c in response.headers.get_list("set-cookie")
                      if c.startswith("tsk_ops="))
        assert "secure" in cookie.lower()


async def test_a_wrong_password_says_so_and_opens_nothing(client, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    response = await sign_in(client, "noor", "not the password at all")
    assert response.status_code == 401
    assert "اسم المستخدم أو كلمة المرور غير صحيحة" in response.text
    assert not any(c.startswith("tsk_ops=") for c in response.headers.get_list("set-cookie"))
    assert (await client.get("/ops", follow_redirects=False)).status_code == 303


async def test_the_login_form_is_refused_without_its_csrf_field(client, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    await client.get("/ops/login")
    forged = await client.post("/ops/login", data={"username": "noor", "password": PASSWORD},
                               follow_redirects=False)
    assert forged.status_code == 403
    assert (await client.get("/ops", follow_redirects=False)).status_code == 303


async def test_handheld_roles_cannot_open_the_console(client, conn):
    await staff.create_staff(conn, username="ali", password=PASSWORD, role="courier",
                             site_code="BG-001")
    response = await sign_in(client, "ali")
    assert response.status_code == 403
    assert "تطبيق الجهاز المحمول" in response.text
    assert (await client.get("/ops", follow_redirects=False)).status_code == 303


async def test_after_signing_in_only_local_pages_are_followed(client, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    response = await sign_in(client, "noor", next="//evil.example/ops")
    assert response.headers["location"] == "/ops"


async def test_every_form_needs_the_sessions_csrf_field(client, conn):
    console = await console_login(client, conn, username="noor", role="inspector",
                                  governorate="IQ-BG")
    without = await client.post("/ops/logout", follow_redirects=False)
    assert without.status_code == 403 and "انتهت صلاحية النموذج" in without.text
    wrong = await client.post("/ops/logout", data={"csrf": "x" * 32}, follow_redirects=False)
    assert wrong.status_code == 403
    assert (await console.get("/ops")).status_code == 200  # still signed in


async def test_another_sessions_csrf_field_is_refused(settings, conn):
    async with AsyncTestClient(app=create_app(settings)) as first, \
            AsyncTestClient(app=create_app(settings)) as second:
        mine = await console_login(first, conn, username="noor", role="inspector",
                                   governorate="IQ-BG")
        theirs = await console_login(second, conn, username="huda", role="inspector",
                                     governorate="IQ-BG")
        stolen = await first.post("/ops/logout", data={"csrf": theirs.csrf},
                                  follow_redirects=False)
        assert stolen.status_code == 403
        assert (await mine.get("/ops")).status_code == 200


async def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(client, conn):
    console = await console_login(client, conn, username="noor", role="inspector",
                                  governorate="IQ-BG")
    copied = client.cookies.get("tsk_ops")
    out = await console.post("/ops/logout")
    assert out.status_code == 303 and out.headers["location"] == "/ops/login"
    assert (await client.get("/ops", follow_redirects=False)).status_code == 303
    client.cookies.set("tsk_ops", copied, path="/ops")
    assert (await client.get("/ops", follow_redirects=False)).status_code == 303


async def test_an_idle_session_expires(client, conn, settings):
    console = await console_login(client, conn, username="noor", role="inspector",
                                  governorate="IQ-BG")
    # The session was last used longer ago than the idle limit allows.
    await conn.execute("UPDATE staff_sessions SET last_seen_at = now() - make_interval(secs => $1)",
                       float(settings.console_idle_s + 60))
    response = await console.get("/ops")
    assert response.status_code == 303 and response.headers["location"].startswith("/ops/login")


async def test_a_deactivated_or_changed_account_loses_its_session_at_once(client, conn):
    console = await console_login(client, conn, username="noor", role="inspector",
                                  governorate="IQ-BG")
    await staff.change_role(conn, username="noor", role="inspector", site_code=None,
                            governorate="IQ-BA")
    assert (await console.get("/ops")).status_code == 303
    assert (await sign_in(client, "noor")).status_code == 303  # in again, as the new role
    await staff.deactivate(conn, username="noor")
    assert (await console.get("/ops")).status_code == 303


ATTACKER, NOOR_AT_WORK = "203.0.113.66", "198.51.100.7"


async def test_an_attacker_guessing_cannot_lock_the_inspector_out(settings, conn):
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    async with running_app(settings) as app, peer_client(app, ATTACKER) as attacker, \
            peer_client(app, NOOR_AT_WORK) as noor:
        for _ in range(lockout.PAIR_FAILURES):
            assert (await sign_in(attacker, "noor", "guess guess guess")).status_code == 401
        stopped = await sign_in(attacker, "noor")
        assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 0
        assert (await sign_in(noor, "noor")).status_code == 303
