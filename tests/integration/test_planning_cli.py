"""`tasheel couriers …` and `tasheel routes …` as an operator types them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from click.testing import CliRunner

from delivery.cli import main
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    tomorrow,
)


@pytest.fixture
def cli_env(settings, demo_sites):
    return {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
            "TASHEEL_DATA_DIR": str(settings.data_dir), "TASHEEL_SECRET_KEY": "test-secret",
            "ROUTE_PLAN_SECONDS": "0.2"}


async def test_couriers_set_and_off_are_stored(cli_env, conn, settings):
    await add_courier(conn, "ali")
    runner = CliRunner()
    day = tomorrow().isoformat()

    set_result = await asyncio.to_thread(runner.invoke, main, [
        "couriers", "set", "--username", "ali", "--vehicle", "car", "--capacity", "25",
        "--start", "09:00", "--end", "16:00"], env=cli_env)
    off_result = await asyncio.to_thread(runner.invoke, main, [
        "couriers", "off", "--username", "ali", "--date", day], env=cli_env)
    bad = await asyncio.to_thread(runner.invoke, main, [
        "couriers", "set", "--username", "ali", "--vehicle", "car", "--capacity", "25",
        "--start", "16:00", "--end", "09:00"], env=cli_env)

    assert set_result.exit_code == 0, set_result.output
    assert off_result.exit_code == 0, off_result.output
    assert bad.exit_code != 0 and "shift" in bad.output
    profile = await conn.fetchrow("SELECT vehicle, capacity_items, shift_start, shift_end "
                                  "FROM courier_profiles")
    assert (profile["vehicle"], profile["capacity_items"]) == ("car", 25)
    assert (profile["shift_start"], profile["shift_end"]) == (dt.time(9), dt.time(16))
    off = await conn.fetchrow("SELECT day, off, reason FROM courier_days")
    assert (off["day"].isoformat(), off["off"], off["reason"]) == (day, True, "sick")


async def test_routes_plan_then_show_with_a_picture(cli_env, conn, settings, tmp_path):
    await add_courier(conn, "ali")
    lat, lon = await branch_point(conn)
    await add_item(conn, lat=lat + 0.01, lon=lon)
    await add_item(conn, lat=None, lon=None, district=None)
    runner = CliRunner()
    day = tomorrow().isoformat()

    planned = await asyncio.to_thread(runner.invoke, main, [
        "routes", "plan", "--branch", BRANCH, "--date", day], env=cli_env)
    again = await asyncio.to_thread(runner.invoke, main, [
        "routes", "plan", "--branch", BRANCH, "--date", day], env=cli_env)
    picture = tmp_path / "plan.svg"
    shown = await asyncio.to_thread(runner.invoke, main, [
        "routes", "show", "--branch", BRANCH, "--date", day, "--svg", str(picture)], env=cli_env)
    unknown = await asyncio.to_thread(runner.invoke, main, [
        "routes", "plan", "--branch", "NOPE", "--date", day], env=cli_env)

    assert planned.exit_code == 0, planned.output
    assert "version 1" in planned.output and "1 items routed, 1 left out" in planned.output
    assert "no_location" in planned.output
    assert "unchanged (version 1)" in again.output
    assert shown.exit_code == 0 and "ali (motorcycle): 1 stops" in shown.output
    assert picture.read_text().startswith("<svg")
    assert unknown.exit_code != 0 and "no branch NOPE" in unknown.output
