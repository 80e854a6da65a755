"""Dead letters: supervisors see what stopped and send it again, by HTTP or on the command line."""

import os

import pytest
from click.testing import CliRunner

from delivery.cli import main
from tests.helpers import staff_token
from tests.integration.sms_support import (
    add_item,
    add_sms,
    drain,
    outbox_row,
    phone,
    twilio_settings,
)

pytestmark = pytest.mark.usefixtures("demo_sites")


async def _dead_sms(settings, conn, fake) -> int:
    item = await add_item(conn, phone=phone(51), language="en")
    outbox_id = await add_sms(conn, item, "delivered")
    fake.fail_next(1, status=503)
    await drain(twilio_settings(settings, fake, sms_max_attempts=1), conn)
    assert (await outbox_row(conn, outbox_id))["status"] == "dead"
    return outbox_id


async def _branch_of_row(conn, outbox_id: int) -> str:
    return await conn.fetchval("SELECT s.code FROM outbox o JOIN items i ON i.id = o.item_id "
                               "JOIN sites s ON s.id = i.branch_id WHERE o.id = $1", outbox_id)


async def test_supervisors_list_dead_letters_and_retry_one(client, settings, conn, fake):
    outbox_id = await _dead_sms(settings, conn, fake)
    headers = await staff_token(client, conn, username="sup", role="supervisor",
                                site_code=await _branch_of_row(conn, outbox_id))
    listed = await client.get("/v1/ops/outbox/dead", headers=headers)
    assert listed.status_code == 200
    assert [(d["id"], d["status"], d["sms_status"]) for d in listed.json()] == [
        (outbox_id, "dead", "retry")]
    retried = await client.post(f"/v1/ops/outbox/{outbox_id}/retry", headers=headers)
    assert retried.status_code == 202
    await drain(twilio_settings(settings, fake), conn)
    assert len(fake.messages) == 1 and (await outbox_row(conn, outbox_id))["status"] == "done"
    again = await client.post(f"/v1/ops/outbox/{outbox_id}/retry", headers=headers)
    assert again.status_code == 409


async def test_a_supervisor_sees_and_retries_only_their_own_sites_dead_letters(
        client, settings, conn, fake):
    outbox_id = await _dead_sms(settings, conn, fake)
    elsewhere = await staff_token(client, conn, username="sup-centre", role="supervisor",
                                  site_code="SC-BG", device_id="dev-centre")
    admin = await staff_token(client, conn, username="root", role="admin", site_code=None,
                              device_id="dev-root")
    assert (await client.get("/v1/ops/outbox/dead", headers=elsewhere)).json() == []
    refused = await client.post(f"/v1/ops/outbox/{outbox_id}/retry", headers=elsewhere)
    assert refused.status_code == 404  # another site's citizen: as if there were none
    assert (await outbox_row(conn, outbox_id))["status"] == "dead"
    assert [d["id"] for d in (await client.get("/v1/ops/outbox/dead", headers=admin)).json()] \
        == [outbox_id]
    assert (await client.post(f"/v1/ops/outbox/{outbox_id}/retry",
                              headers=admin)).status_code == 202


async def test_other_roles_may_not_see_or_retry_dead_letters(client, settings, conn, fake):
    outbox_id = await _dead_sms(settings, conn, fake)
    branch = await conn.fetchval("SELECT code FROM sites WHERE kind = 'branch' LIMIT 1")
    headers = await staff_token(client, conn, username="courier", role="courier",
                                site_code=branch)
    assert (await client.get("/v1/ops/outbox/dead", headers=headers)).status_code == 403
    assert (await client.post(f"/v1/ops/outbox/{outbox_id}/retry",
                              headers=headers)).status_code == 403
    assert (await client.get("/v1/ops/outbox/dead")).status_code == 401
    assert (await outbox_row(conn, outbox_id))["status"] == "dead"


async def test_the_command_line_lists_and_retries_dead_letters(settings, conn, fake):
    outbox_id = await _dead_sms(settings, conn, fake)
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "TASHEEL_SECRET_KEY": "test-secret", "TASHEEL_DATA_DIR": str(settings.data_dir)}
    runner = CliRunner()
    listed = await _invoke(runner, ["outbox", "dead"], env)
    assert listed.exit_code == 0 and listed.output.startswith(f"{outbox_id}\tdead\tsms/delivered")
    retried = await _invoke(runner, ["outbox", "retry", str(outbox_id)], env)
    assert retried.exit_code == 0, retried.output
    assert (await outbox_row(conn, outbox_id))["status"] == "pending"
    missing = await _invoke(runner, ["outbox", "retry", "999999"], env)
    assert missing.exit_code != 0 and "no outbox row" in missing.output


async def _invoke(runner, args, env):
    import asyncio

    # The command runs its own event loop, so it runs in a thread of its own.
    return await asyncio.to_thread(runner.invoke, main, args, env={**os.environ, **env})
