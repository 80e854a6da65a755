"""Staff log in from one handheld; tokens bound to it; attempts limited; admins manage keys."""

import asyncio

import pytest

from delivery.platform.errors import Conflict, InvalidInput
from delivery.staff import lockout
from delivery.staff import services as staff
from tests.helpers import auth, create_agency, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")

PASSWORD = "correct horse battery"


async def _login(client, username, password=PASSWORD, device_id="dev-1"):
    return await client.post("/v1/auth/login", json={
        "username": username, "password": password, "device_id": device_id})


async def test_password_is_stored_only_as_an_argon2id_hash(conn):
    await staff.create_staff(conn, username="sara", password=PASSWORD, role="branch_clerk",
                             site_code="BG-001")
    stored = await conn.fetchval("SELECT password_hash FROM staff WHERE username = 'sara'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_login_returns_a_token_that_opens_staff_routes_from_its_device(client, conn):
    headers = await staff_token(client, conn, username="admin1", role="admin", site_code="SC-BG")
    await create_agency(conn, "MOI-PASSPORTS")
    response = await client.post("/v1/admin/agencies/MOI-PASSPORTS/keys", headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["api_key"].startswith("tsk_")


async def test_token_used_from_another_device_is_refused(client, conn):
    headers = await staff_token(client, conn, username="admin1", role="admin", site_code="SC-BG")
    await create_agency(conn, "MOI-PASSPORTS")
    stolen = {**headers, "X-Device-Id": "dev-2"}
    response = await client.post("/v1/admin/agencies/MOI-PASSPORTS/keys", headers=stolen)
    assert response.status_code == 401
    assert "device" in response.json()["detail"]
    missing = {"Authorization": headers["Authorization"]}
    assert (await client.post("/v1/admin/agencies/MOI-PASSPORTS/keys",
                              headers=missing)).status_code == 401


async def test_tampered_or_absent_token_is_refused(client, conn):
    headers = await staff_token(client, conn, username="admin1", role="admin", site_code="SC-BG")
    forged = {**headers, "Authorization": headers["Authorization"][:-3] + "AAA"}
    assert (await client.post("/v1/admin/agencies/X/keys", headers=forged)).status_code == 401
    assert (await client.post("/v1/admin/agencies/X/keys")).status_code == 401


async def test_wrong_password_and_unknown_user_get_the_same_401(client, conn):
    await staff.create_staff(conn, username="sara", password=PASSWORD, role="courier",
                             site_code="BG-001")
    wrong = await _login(client, "sara", "not the password")
    unknown = await _login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_deactivated_account_cannot_log_in_nor_use_its_token(client, conn):
    headers = await staff_token(client, conn, username="admin1", role="admin", site_code="SC-BG")
    await conn.execute("UPDATE staff SET active = false WHERE username = 'admin1'")
    assert (await _login(client, "admin1")).status_code == 401
    assert (await client.post("/v1/admin/agencies/X/keys", headers=headers)).status_code == 401


async def test_concurrent_logins_share_the_limit(client, conn):
    await staff.create_staff(conn, username="sara", password=PASSWORD, role="courier",
                             site_code="BG-001")
    for _ in range(lockout.PAIR_FAILURES):
        await _login(client, "sara", "guess guess guess")
    both = await asyncio.gather(_login(client, "sara"), _login(client, "sara"))
    assert [r.status_code for r in both] == [429, 429]


async def test_role_must_fit_the_kind_of_site(conn):
    with pytest.raises(InvalidInput, match="sorting_centre"):
        await staff.create_staff(conn, username="ali", password=PASSWORD, role="sorting_clerk",
                                 site_code="BG-001")
    with pytest.raises(InvalidInput, match="no site"):
        await staff.create_staff(conn, username="ali", password=PASSWORD, role="courier",
                                 site_code="XX-999")
    with pytest.raises(InvalidInput, match="at least"):
        await staff.create_staff(conn, username="ali", password="short", role="courier",
                                 site_code="BG-001")


async def test_username_is_unique(conn):
    await staff.create_staff(conn, username="ali", password=PASSWORD, role="courier",
                             site_code="BG-001")
    with pytest.raises(Conflict):
        await staff.create_staff(conn, username="ALI", password=PASSWORD, role="courier",
                                 site_code="BG-001")


async def test_only_admins_rotate_and_revoke_agency_keys(client, conn):
    old_key = await create_agency(conn, "MOI-PASSPORTS")
    clerk = await staff_token(client, conn, username="clerk", role="branch_clerk",
                              site_code="BG-001")
    refused = await client.post("/v1/admin/agencies/MOI-PASSPORTS/keys", headers=clerk)
    assert refused.status_code == 403
    admin = await staff_token(client, conn, username="root", role="admin", site_code="SC-BG",
                              device_id="dev-9")
    new_key = (await client.post("/v1/admin/agencies/MOI-PASSPORTS/keys",
                                 headers=admin)).json()["api_key"]
    old_prefix = old_key.split("_")[1]
    revoked = await client.delete(f"/v1/admin/agencies/MOI-PASSPORTS/keys/{old_prefix}",
                                  headers=admin)
    assert revoked.status_code == 204
    assert (await client.get("/v1/webhook/deliveries", headers=auth(old_key))).status_code == 401
    assert (await client.get("/v1/webhook/deliveries", headers=auth(new_key))).status_code == 200
    assert (await client.delete(f"/v1/admin/agencies/MOI-PASSPORTS/keys/{old_prefix}",
                                headers=clerk)).status_code == 403


async def test_unknown_agency_or_key_is_404(client, conn):
    admin = await staff_token(client, conn, username="root", role="admin", site_code=None)
    assert (await client.post("/v1/admin/agencies/NOPE/keys", headers=admin)).status_code == 404
    await create_agency(conn, "MOI-PASSPORTS")
    assert (await client.delete("/v1/admin/agencies/MOI-PASSPORTS/keys/zzzz",
                                headers=admin)).status_code == 404
