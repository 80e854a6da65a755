"""`tasheel staff list | deactivate | role | reset-password`, and each change counting from the
very next request of a token issued before it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import invoke_cli, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")

PASSWORD = "correct horse battery"


async def _login(client, username, password=PASSWORD, device_id="dev-1"):
    return await client.post("/v1/auth/login", json={
        "username": username, "password": password, "device_id": device_id})


async def _admin_call(client, headers):
    # An admin-only route: 404 (no such agency) for an admin, 403 for others, 401 unsigned.
    return (await client.post("/v1/admin/agencies/NOPE/keys", headers=headers)).status_code


async def _scan(client, headers):
    at = dt.datetime.now(dt.UTC).isoformat()
    return await client.post("/v1/scans", headers=headers, json={"scans": [
        {"scan_id": "scan-1", "code": "RR000000000IQ", "action": "take", "at": at}]})


async def test_staff_list_shows_who_works_where_and_never_a_hash(cli_env, client, conn):
    await staff_token(client, conn, username="root", role="admin", site_code=None)
    await staff_token(client, conn, username="sara", role="courier", site_code="BG-001")
    await invoke_cli(["staff", "deactivate", "--username", "sara"], cli_env)

    listed = await invoke_cli(["staff", "list"], cli_env)

    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert "root\tadmin\t-\tactive" in lines
    assert "sara\tcourier\tBG-001\tinactive" in lines
    assert "argon2" not in listed.output


async def test_deactivation_refuses_the_next_request_and_any_login(cli_env, client, conn):
    admin = await staff_token(client, conn, username="root", role="admin", site_code=None)
    courier = await staff_token(client, conn, username="sara", role="courier",
                                site_code="BG-001", device_id="dev-2")
    assert await _admin_call(client, admin) == 404

    for username in ("root", "sara"):
        done = await invoke_cli(["staff", "deactivate", "--username", username], cli_env)
        assert done.exit_code == 0 and "deactivated" in done.output, done.output

    assert await _admin_call(client, admin) == 401
    assert (await _scan(client, courier)).status_code == 401
    assert (await _login(client, "root")).status_code == 401


async def test_a_role_change_counts_from_the_next_request_of_an_earlier_token(cli_env, client,
                                                                               conn):
    admin = await staff_token(client, conn, username="root", role="admin", site_code="SC-BG")
    assert await _admin_call(client, admin) == 404

    changed = await invoke_cli(["staff", "role", "--username", "root", "--role", "supervisor",
                             "--site", "BG-001"], cli_env)

    assert changed.exit_code == 0, changed.output
    assert "root" in changed.output and "supervisor at BG-001" in changed.output
    assert await _admin_call(client, admin) == 401  # the old token no longer speaks for them
    again = await _login(client, "root")
    assert again.json()["role"] == "supervisor" and again.json()["site"] == "BG-001"
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}", "X-Device-Id": "dev-1"}
    assert await _admin_call(client, fresh) == 403


async def test_a_role_change_of_a_courier_stops_their_scans(cli_env, client, conn):
    courier = await staff_token(client, conn, username="sara", role="courier",
                                site_code="BG-001")
    assert (await _scan(client, courier)).status_code == 200
    changed = await invoke_cli(["staff", "role", "--username", "sara", "--role", "branch_clerk",
                             "--site", "BG-001"], cli_env)
    assert changed.exit_code == 0, changed.output
    assert (await _scan(client, courier)).status_code == 401


async def test_a_role_must_fit_its_site_and_the_account_must_exist(cli_env, client, conn):
    await staff_token(client, conn, username="sara", role="courier", site_code="BG-001")
    wrong = await invoke_cli(["staff", "role", "--username", "sara", "--role", "sorting_clerk",
                           "--site", "BG-001"], cli_env)
    assert wrong.exit_code != 0 and "sorting_centre" in wrong.output
    unknown = await invoke_cli(["staff", "role", "--username", "nobody", "--role", "admin"],
                            cli_env)
    assert unknown.exit_code != 0 and "no staff account nobody" in unknown.output
    assert (await _login(client, "sara")).json()["role"] == "courier"


async def test_a_password_reset_ends_earlier_tokens_and_the_old_password(cli_env, client, conn):
    admin = await staff_token(client, conn, username="root", role="admin", site_code=None)

    reset = await invoke_cli(["staff", "reset-password", "--username", "root"], cli_env,
                          "a brand new password\n")

    assert reset.exit_code == 0, reset.output
    assert "a brand new password" not in reset.output
    assert await _admin_call(client, admin) == 401
    assert (await _login(client, "root")).status_code == 401
    assert (await _login(client, "root", "a brand new password")).status_code == 200
    short = await invoke_cli(["staff", "reset-password", "--username", "root"], cli_env, "short\n")
    assert short.exit_code != 0 and "at least" in short.output


async def test_inspectors_and_the_help_desk_answer_for_a_governorate_never_a_site(cli_env):
    created = await invoke_cli(["staff", "create", "--username", "noor", "--role", "inspector",
                                "--governorate", "iq-bg"], cli_env, stdin=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    assert "noor created: inspector at IQ-BG" in created.output
    national = await invoke_cli(["staff", "create", "--username", "hadi", "--role",
                                 "inspector", "--national"], cli_env, stdin=PASSWORD + "\n")
    assert national.exit_code == 0 and "at national" in national.output
    for wrong, why in (
            (["--role", "inspector"], "--national"),
            (["--role", "helpdesk", "--national"], "needs a governorate"),
            (["--role", "inspector", "--branch", "BG-002", "--governorate", "IQ-BG"],
             "no site"),
            (["--role", "supervisor", "--branch", "BG-002", "--governorate", "IQ-BG"],
             "not a governorate"),
            (["--role", "helpdesk", "--governorate", "IQ-XX"], "no governorate IQ-XX")):
        refused = await invoke_cli(["staff", "create", "--username", "someone", *wrong],
                                   cli_env, stdin=PASSWORD + "\n")
        assert refused.exit_code != 0 and why in refused.output, (wrong, refused.output)
    listed = (await invoke_cli(["staff", "list"], cli_env)).output.splitlines()
    assert "noor\tinspector\tIQ-BG\tactive" in listed and "hadi\tinspector\tnational\tactive" in listed
