"""The command line an operator uses for agencies, keys and service areas."""

import asyncio
import json

import pytest
from click.testing import CliRunner

from delivery.agencies import services
from delivery.cli import main
from delivery.platform.db import connect
from delivery.platform.errors import Unauthenticated


@pytest.fixture
def cli_env(settings, demo_sites):
    return {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
            "TASHEEL_DATA_DIR": str(settings.data_dir), "TASHEEL_SECRET_KEY": "test-secret"}


def _authenticate(url: str, key: str):
    async def check():
        conn = await connect(url)
        try:
            return await services.authenticate(conn, key)
        finally:
            await conn.close()

    return asyncio.run(check())


def test_agency_create_prints_a_working_key_alone_on_its_last_line(cli_env, settings):
    result = CliRunner().invoke(main, ["agency", "create", "--code", "MOI-PP", "--name", "Passports"],
                                env=cli_env)
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert _authenticate(settings.database_url, key).code == "MOI-PP"


def test_rotating_and_revoking_keys(cli_env, settings):
    runner = CliRunner()
    old = runner.invoke(main, ["agency", "create", "--code", "MOI-PP", "--name", "P"],
                        env=cli_env).output.strip().splitlines()[-1]
    new = runner.invoke(main, ["agency", "rotate-key", "--code", "MOI-PP"],
                        env=cli_env).output.strip().splitlines()[-1]
    assert _authenticate(settings.database_url, old).code == "MOI-PP"  # both work until revoked
    assert _authenticate(settings.database_url, new).code == "MOI-PP"
    listing = runner.invoke(main, ["agency", "keys", "--code", "MOI-PP"], env=cli_env).output
    assert old.split("_")[1] in listing and old.split("_")[2] not in listing
    prefix = old.split("_")[1]
    revoked = runner.invoke(main, ["agency", "revoke-key", "--code", "MOI-PP", "--prefix", prefix],
                            env=cli_env)
    assert revoked.exit_code == 0
    with pytest.raises(Unauthenticated):
        _authenticate(settings.database_url, old)
    assert _authenticate(settings.database_url, new).code == "MOI-PP"
    unknown = runner.invoke(main, ["agency", "revoke-key", "--code", "NOPE", "--prefix", prefix],
                            env=cli_env)
    assert unknown.exit_code != 0 and "no agency NOPE" in unknown.output


def _square(lon: float, lat: float, size: float) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def test_area_import_stores_good_areas_and_reports_the_rest(cli_env, settings, tmp_path):
    features = [
        {"type": "Feature", "properties": {"branch_code": "BG-002"},
         "geometry": {"type": "Polygon", "coordinates": _square(44.30, 33.30, 0.05)}},
        {"type": "Feature", "properties": {"branch_code": "BG-003"},
         "geometry": {"type": "Polygon", "coordinates": _square(44.33, 33.33, 0.05)}},
        {"type": "Feature", "properties": {"branch_code": "XX-404"},
         "geometry": {"type": "Polygon", "coordinates": _square(44.5, 33.5, 0.01)}},
    ]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = CliRunner().invoke(main, ["areas", "import", str(path)], env=cli_env)
    assert result.exit_code == 1  # something was refused
    assert "2 areas imported" in result.output
    assert "/features/2" in result.output and "overlap BG-002 / BG-003" in result.output

    async def stored_area():
        conn = await connect(settings.database_url)
        try:
            return await conn.fetchval(
                "SELECT a.area_km2 FROM service_areas a JOIN sites s ON s.id = a.site_id "
                "WHERE s.code = 'BG-002'")
        finally:
            await conn.close()

    assert 20 < asyncio.run(stored_area()) < 30  # 0.05° square at 33° N is about 25 km²
