"""`tasheel seed-demo` (and `serve` on first start): a demo day a newcomer can walk through."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter

import msgspec
import pytest
from click.testing import CliRunner

from delivery.cli import main
from delivery.custody.model import State
from delivery.planning.model import local_day
from delivery.serve import _announce, prepare_database
from delivery.staff.model import StaffRole
from tests.helpers import auth

STAFF_LINE = re.compile(r"^\s+([a-z0-9._-]+)\s+(" + "|".join(r.value for r in StaffRole)
                        + r")\s+(\S+)\s+(\S+)\s*$", re.MULTILINE)
TRACKING_URL = re.compile(r"https?://\S+/t/([A-Za-z0-9_-]{16,64})")


@pytest.fixture
def cli_env(settings):
    return {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
            "TASHEEL_DATA_DIR": str(settings.data_dir), "TASHEEL_SECRET_KEY": "test-secret",
            "ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1"}


async def _invoke(args: list[str], env: dict[str, str]):
    return await asyncio.to_thread(CliRunner().invoke, main, args, env=env)


async def _login(client, username: str, password: str) -> dict[str, str]:
    device = f"test-{username}"
    response = await client.post("/v1/auth/login", json={
        "username": username, "password": password, "device_id": device})
    assert response.status_code == 200, (username, response.text)
    return {"Authorization": f"Bearer {response.json()['access_token']}", "X-Device-Id": device}


async def test_seed_demo_builds_a_day_every_role_can_walk_through(cli_env, client):
    seeded = await _invoke(["seed-demo"], cli_env)
    assert seeded.exit_code == 0, seeded.output
    walk = seeded.output

    staff = STAFF_LINE.findall(walk)
    assert {role for _, role, _, _ in staff} == {r.value for r in StaffRole}
    for username, role, site, password in staff:
        assert len(password) >= 10
        response = await client.post("/v1/auth/login", json={
            "username": username, "password": password, "device_id": f"d-{username}"})
        assert response.status_code == 200, (username, response.text)
        token = response.json()
        assert token["role"] == role and (token["site"] or token["governorate"]) == site

    key = re.search(r"tsk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}", walk).group(0)
    listed = await client.get("/v1/documents?limit=500", headers=auth(key))
    assert listed.status_code == 200
    states = Counter(item["state"] for item in listed.json()["items"])
    assert set(states) == {s.value for s in State}  # lost and damaged too: supervisors mark them
    assert 36 <= sum(states.values()) <= 48
    branches = {item["branch"]["code"] for item in listed.json()["items"]}
    assert len(branches) == 1

    tokens = TRACKING_URL.findall(walk)
    assert tokens
    for token in tokens:
        page = await client.get(f"/t/{token}")
        assert page.status_code == 200 and "RR" in page.text

    verified = await _invoke(["verify-custody"], cli_env)
    assert verified.exit_code == 0 and "custody chains intact" in verified.output

    supervisor = next((u, p) for u, r, _, p in staff if r == "supervisor")
    headers = await _login(client, *supervisor)
    day = dt.date.fromisoformat(re.search(r"route for (\d{4}-\d{2}-\d{2})", walk).group(1))
    today = local_day(dt.datetime.now(dt.UTC))
    assert day in (today, today + dt.timedelta(days=1))  # tomorrow once today's hours are gone
    plan = await client.get(f"/v1/ops/routes/{branches.pop()}/{day.isoformat()}",
                            headers=headers)
    assert plan.status_code == 200, plan.text
    routed = [c for c in plan.json()["couriers"] if c["stops"]]
    assert len(routed) >= 1 and sum(len(c["stops"]) for c in routed) >= 5
    courier = next((u, p) for u, r, _, p in staff if u == routed[0]["username"])
    mine = await client.get(f"/v1/routes/mine?date={day.isoformat()}",
                            headers=await _login(client, *courier))
    assert mine.status_code == 200 and mine.json()["stops"]

    assert (await client.get("/v1/ops/complaints", headers=headers)).status_code == 403
    inspector = next((u, p) for u, r, _, p in staff if r == "inspector")
    complaints = await client.get("/v1/ops/complaints", headers=await _login(client, *inspector))
    assert complaints.status_code == 200
    assert any(c["asked_for_money"] for c in complaints.json()["complaints"])

    again = await _invoke(["seed-demo"], cli_env)
    assert again.exit_code == 0 and "nothing seeded" in again.output
    assert "tsk_" not in again.output


async def test_seed_demo_password_option_sets_every_account(cli_env, client):
    short = await _invoke(["seed-demo", "--password", "short"], cli_env)
    assert short.exit_code != 0 and "at least 10" in short.output

    seeded = await _invoke(["seed-demo", "--password", "demo-password-1"], cli_env)
    assert seeded.exit_code == 0, seeded.output
    staff = STAFF_LINE.findall(seeded.output)
    assert len(staff) >= len(StaffRole)
    for username, _, _, password in staff:
        assert password == "demo-password-1"
        await _login(client, username, password)


async def test_serve_prints_the_demo_walk_on_first_start_only(settings, capsys):
    demo = await prepare_database(settings)
    assert demo is not None
    _announce(settings, "127.0.0.1", 8000, demo)
    printed = capsys.readouterr().out
    assert demo.agency_key in printed
    assert all(s.password in printed for s in demo.staff)
    assert TRACKING_URL.search(printed)
    assert await prepare_database(settings) is None


async def test_with_twilio_configured_only_the_demo_agency_is_made(settings, client, capsys):
    real_sms = msgspec.structs.replace(settings, twilio_account_sid="AC" + "0" * 32,
                                       twilio_auth_token="secret")
    demo = await prepare_database(real_sms)
    _announce(real_sms, "127.0.0.1", 8000, demo)
    printed = capsys.readouterr().out

    assert demo.agency_key in printed and "Twilio" in printed
    assert demo.staff == () and not TRACKING_URL.search(printed)
    listed = await client.get("/v1/documents", headers=auth(demo.agency_key))
    assert listed.status_code == 200 and listed.json()["items"] == []
    refused = await client.post("/v1/auth/login", json={
        "username": "admin", "password": "anything at all", "device_id": "d-1"})
    assert refused.status_code == 401
