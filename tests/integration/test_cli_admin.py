"""`tasheel agency list`, `tasheel staff create` and `tasheel sites list` as an operator types them."""

from __future__ import annotations

import datetime as dt

from delivery.agencies import services as agencies
from delivery.agencies.model import key_prefix
from routing.demo_areas import demo_branches
from tests.helpers import auth, document, invoke_cli


def _line(output: str, code: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(code))


async def test_agency_list_shows_active_key_prefixes_and_never_a_key(cli_env, conn):
    _, passports = await agencies.create_agency(conn, code="MOI-PASSPORTS",
                                                name="Passport Directorate", language="ar")
    _, first = await agencies.create_agency(conn, code="MOT-LICENCES", name="Traffic Directorate")
    second = await agencies.rotate_key(conn, "MOT-LICENCES")
    await agencies.revoke_key(conn, "MOT-LICENCES", key_prefix(first))

    listed = await invoke_cli(["agency", "list"], cli_env)

    assert listed.exit_code == 0, listed.output
    today = dt.datetime.now(dt.UTC).date().isoformat()
    moi, mot = _line(listed.output, "MOI-PASSPORTS"), _line(listed.output, "MOT-LICENCES")
    assert "Passport Directorate" in moi and "\tar\t" in moi and today in moi
    assert "1 active key" in moi and f"tsk_{key_prefix(passports)}_" in moi
    assert "Traffic Directorate" in mot and "\t-\t" in mot
    assert "1 active key" in mot and f"tsk_{key_prefix(second)}_" in mot
    assert key_prefix(first) not in mot  # revoked
    for key in (passports, first, second):
        assert key not in listed.output
        assert key.rsplit("_", 1)[1] not in listed.output


async def test_agency_list_on_an_empty_database_says_so(cli_env):
    listed = await invoke_cli(["agency", "list"], cli_env)
    assert listed.exit_code == 0 and "no agencies" in listed.output


async def test_staff_create_at_a_branch_reads_the_password_and_can_log_in(cli_env, client,
                                                                            demo_sites):
    made = await invoke_cli(["staff", "create", "--username", "Layla.Clerk", "--role",
                          "branch_clerk", "--branch", "BG-006"], cli_env, "a long password 1\n")
    assert made.exit_code == 0, made.output
    assert "layla.clerk" in made.output and "BG-006" in made.output
    sorter = await invoke_cli(["staff", "create", "--username", "omar", "--role", "sorting_clerk",
                            "--site", "SC-BG"], cli_env, "another password 2\n")
    assert sorter.exit_code == 0, sorter.output
    wrong = await invoke_cli(["staff", "create", "--username", "kadhim", "--role", "courier",
                           "--branch", "SC-BG"], cli_env, "a third password 3\n")
    assert wrong.exit_code != 0 and "works at a branch" in wrong.output

    for username, password, site in (("layla.clerk", "a long password 1", "BG-006"),
                                     ("omar", "another password 2", "SC-BG")):
        response = await client.post("/v1/auth/login", json={
            "username": username, "password": password, "device_id": "d-1"})
        assert response.status_code == 200, response.text
        assert response.json()["site"] == site
    refused = await client.post("/v1/auth/login", json={
        "username": "kadhim", "password": "a third password 3", "device_id": "d-1"})
    assert refused.status_code == 401


async def test_sites_list_prints_every_site_with_kind_governorate_and_name(cli_env, demo_sites):
    listed = await invoke_cli(["sites", "list"], cli_env)

    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == len(demo_branches()) + 1
    assert lines[0] == "SC-BG\tsorting_centre\tIQ-BG\tBaghdad sorting centre"
    assert "BG-006\tbranch\tIQ-BG\tMansour Post Office" in lines


async def test_agency_create_with_test_makes_a_test_mode_agency(cli_env, conn, client,
                                                                demo_sites):
    created = await invoke_cli(["agency", "create", "--code", "MOI-SANDBOX", "--name",
                                "Passports sandbox", "--test"], cli_env)
    assert created.exit_code == 0, created.output
    assert "test-mode agency MOI-SANDBOX created" in created.output
    key = created.output.strip().splitlines()[-1]
    assert await conn.fetchval("SELECT test_mode FROM agencies WHERE code = 'MOI-SANDBOX'")
    submitted = await client.post("/v1/documents", json=document("SB-1"), headers=auth(key))
    assert submitted.json()["assignment_rule"] == "test_mode"
    listed = await invoke_cli(["agency", "list"], cli_env)
    assert _line(listed.output, "MOI-SANDBOX").endswith("\ttest mode")
