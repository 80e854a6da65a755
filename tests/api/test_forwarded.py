"""Per-address limits behind a reverse proxy count the client's address (FORWARDED_ALLOW_IPS),
and nobody else can claim one with X-Forwarded-For."""

from contextlib import asynccontextmanager

import msgspec

from delivery.staff import lockout
from tests.helpers import peer_client, running_app

PROXY = "10.0.0.2"


@asynccontextmanager
async def _app(settings, trusted: str):
    async with running_app(msgspec.structs.replace(settings,
                                                   forwarded_allow_ips=(trusted,))) as app:
        yield app


async def _fail_login(client, forwarded_for: str, username: str = "nobody"):
    return await client.post("/v1/auth/login", headers={"X-Forwarded-For": forwarded_for},
                             json={"username": username, "password": "guess guess guess",
                                   "device_id": "dev-1"})


async def test_clients_behind_a_trusted_proxy_are_limited_apart(settings):
    async with _app(settings, PROXY) as app, peer_client(app, PROXY) as proxy:
        for i in range(lockout.ADDRESS_FAILURES):
            assert (await _fail_login(proxy, "198.51.100.1", f"user{i}")).status_code == 401
        assert (await _fail_login(proxy, "198.51.100.1", "another")).status_code == 429
        assert (await _fail_login(proxy, "198.51.100.2")).status_code == 401


async def test_an_untrusted_peer_cannot_escape_its_limit_by_forwarding(settings):
    async with _app(settings, PROXY) as app, peer_client(app, "203.0.113.9") as direct:
        for i in range(lockout.ADDRESS_FAILURES):
            assert (await _fail_login(direct, f"198.51.100.{i}", f"user{i}")).status_code == 401
        assert (await _fail_login(direct, "198.51.100.200", "another")).status_code == 429


async def test_the_citizen_page_limit_counts_the_forwarded_client(settings):
    limited = msgspec.structs.replace(settings, tracking_page_limit="2/60")
    async with _app(limited, PROXY) as app, peer_client(app, PROXY) as proxy:
        def page(who):
            return proxy.get("/v1/track/no-such-token", headers={"X-Forwarded-For": who})
        assert [(await page("198.51.100.1")).status_code for _ in range(3)][-1] == 429
        assert (await page("198.51.100.2")).status_code != 429
