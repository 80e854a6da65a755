"""Login limits an attacker cannot turn against a member of staff: failures are counted per
(username, address), with a generous cap per address across usernames; successes never count."""

import pytest

from delivery.staff import lockout
from delivery.staff import services as staff
from tests.helpers import peer_client, running_app

pytestmark = pytest.mark.usefixtures("demo_sites")

PASSWORD = "correct horse battery"
ATTACKER, SARA_AT_WORK = "203.0.113.66", "198.51.100.7"


# The app runs on the test's own loop: its lifespan begins and ends inside the test.
ONE_ADDRESS = "198.51.100.200"


async def _login(client, username, password=PASSWORD):
    return await client.post("/v1/auth/login", json={
        "username": username, "password": password, "device_id": "dev-1"})


async def _sara(conn):
    await staff.create_staff(conn, username="sara", password=PASSWORD, role="courier",
                             site_code="BG-001")


async def test_an_attacker_guessing_cannot_lock_the_real_user_out(settings, conn):
    async with running_app(settings) as app:
        await _sara(conn)
        async with peer_client(app, ATTACKER) as attacker, peer_client(app, SARA_AT_WORK) as sara:
            for _ in range(lockout.PAIR_FAILURES):
                assert (await _login(attacker, "sara", "guess guess guess")).status_code == 401
            assert (await _login(attacker, "sara")).status_code == 429  # the attacker is stopped
            assert (await _login(sara, "sara")).status_code == 200  # Sara, from her address, is not


async def test_the_attacker_is_stopped_with_retry_after(settings, conn):
    async with running_app(settings) as app, peer_client(app, ONE_ADDRESS) as client:
        await _sara(conn)
        for _ in range(lockout.PAIR_FAILURES):
            await _login(client, "sara", "guess guess guess")
        limited = await _login(client, "sara")
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert 0 < int(limited.headers["retry-after"]) <= lockout.WINDOW_S


async def test_successful_logins_do_not_count_against_the_address(settings, conn):
    async with running_app(settings) as app, peer_client(app, ONE_ADDRESS) as client:
        await _sara(conn)
        for _ in range(lockout.ADDRESS_FAILURES + 5):
            assert (await _login(client, "sara")).status_code == 200


async def test_a_success_clears_the_failures_of_that_user_at_that_address(settings, conn):
    async with running_app(settings) as app, peer_client(app, ONE_ADDRESS) as client:
        await _sara(conn)
        for _round in range(3):
            for _ in range(lockout.PAIR_FAILURES - 1):
                assert (await _login(client, "sara", "a typo typo")).status_code == 401
            assert (await _login(client, "sara")).status_code == 200


async def test_spraying_many_usernames_from_one_address_is_capped(settings, conn):
    async with running_app(settings) as app, peer_client(app, ONE_ADDRESS) as client:
        results = [await _login(client, f"user{i}", "whatever whatever")
                   for i in range(lockout.ADDRESS_FAILURES + 1)]
        assert {r.status_code for r in results[:-1]} == {401}
        assert results[-1].status_code == 429


async def test_many_addresses_guessing_one_username_spare_an_address_it_logged_in_from(settings, conn):
    async with running_app(settings) as app:
        await _sara(conn)
        async with peer_client(app, SARA_AT_WORK) as sara:
            assert (await _login(sara, "sara")).status_code == 200
            for i in range(lockout.USERNAME_FAILURES):
                async with peer_client(app, f"192.0.2.{i % 250 + 1}") as bot:
                    await _login(bot, "sara", "guess guess guess")
            async with peer_client(app, "192.0.2.251") as stranger:
                assert (await _login(stranger, "sara")).status_code == 429
            assert (await _login(sara, "sara")).status_code == 200
