"""`tasheel serve` and `tasheel worker` refuse to start on settings that would fail later."""

import pytest

from tests.helpers import invoke_cli

TOO_LONG = "https://tracking.tasheel-post.gov.iq/sms"  # 40 characters


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
async def test_a_public_base_url_too_long_for_sms_links_stops_the_start(cli_env, command):
    result = await invoke_cli(command, {**cli_env, "PUBLIC_BASE_URL": TOO_LONG})

    assert result.exit_code != 0
    assert f"PUBLIC_BASE_URL is {len(TOO_LONG)} characters" in result.output
    assert "at most 25" in result.output


async def test_malformed_quiet_hours_stop_the_worker_naming_them(cli_env):
    result = await invoke_cli(["worker"], {**cli_env, "SMS_QUIET_HOURS": "22-8"})

    assert result.exit_code != 0
    assert "SMS_QUIET_HOURS" in result.output
