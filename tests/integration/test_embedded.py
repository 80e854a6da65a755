"""The embedded path, for real: packaged PostgreSQL and Redis in a temporary folder."""

import tempfile
import warnings
from pathlib import Path

import msgspec
import psutil
import pytest
from litestar.testing import AsyncTestClient

from delivery.platform.embedded import EmbeddedServers, pg_bin_dir, redis_server_bin
from delivery.platform.settings import Settings
from delivery.serve import prepare_database
from delivery.web.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def tmp_path():
    """A folder of our own: pytest prunes old base folders, even those of a session still running."""
    with tempfile.TemporaryDirectory(prefix="tasheel-embedded-") as folder:
        yield Path(folder)


def _live_servers_under(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


async def test_embedded_servers_start_serve_a_request_and_leave_nothing_behind(tmp_path: Path):
    warnings.simplefilter("ignore")
    servers = EmbeddedServers(tmp_path, postgres=True, redis=True)
    pg_url, redis_url = servers.start()
    try:
        postmaster = psutil.Process(servers.postgres.running_pid())
        assert Path(postmaster.exe()).is_relative_to(pg_bin_dir())  # not the system's PostgreSQL
        assert Path(psutil.Process(servers.redis.running_pid()).exe()) == redis_server_bin()
        settings = msgspec.structs.replace(
            Settings.from_env({"TASHEEL_DATA_DIR": str(tmp_path)}),
            database_url=pg_url, redis_url=redis_url)
        demo = await prepare_database(settings)
        async with AsyncTestClient(app=create_app(settings)) as client:
            assert (await client.get("/ready")).json() == {
                "status": "ready", "postgres": "ok", "redis": "ok"}
            listed = await client.get("/v1/documents",
                                      headers={"Authorization": f"Bearer {demo.agency_key}"})
            assert listed.status_code == 200
    finally:
        servers.stop()
    assert _live_servers_under(tmp_path) == []


async def test_second_start_keeps_the_data_of_the_first(tmp_path: Path):
    warnings.simplefilter("ignore")
    first = EmbeddedServers(tmp_path, postgres=True, redis=True)
    pg_url, redis_url = first.start()
    settings = msgspec.structs.replace(
        Settings.from_env({"TASHEEL_DATA_DIR": str(tmp_path)}),
        database_url=pg_url, redis_url=redis_url)
    try:
        assert await prepare_database(settings) is not None
    finally:
        first.stop()
    second = EmbeddedServers(tmp_path, postgres=True, redis=True)
    second.start()
    try:
        assert await prepare_database(settings) is None  # already seeded: nothing new
    finally:
        second.stop()
    assert _live_servers_under(tmp_path) == []


def test_a_second_process_attaches_instead_of_starting_another_server(tmp_path: Path):
    warnings.simplefilter("ignore")
    owner = EmbeddedServers(tmp_path, postgres=True, redis=True)
    owner.start()
    try:
        guest = EmbeddedServers(tmp_path, postgres=True, redis=True)
        guest.start()
        assert not guest.postgres.started and not guest.redis.started
        guest.stop()  # a guest stops nothing
        assert owner.postgres.running_pid() is not None
        assert owner.redis.running_pid() is not None
    finally:
        owner.stop()
