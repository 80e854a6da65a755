"""`tasheel districts`: an operator adds, changes and imports districts, and intake places
documents known only by words with the table as edited."""

import asyncio

import pytest
from click.testing import CliRunner

from delivery.cli import main
from delivery.platform.db import connect
from delivery.sites import district_book
from tests.helpers import auth, create_agency, document


@pytest.fixture
def cli_env(settings, demo_sites, conn):
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "TASHEEL_DATA_DIR": str(settings.data_dir), "TASHEEL_SECRET_KEY": "test-secret"}
    yield env
    asyncio.run(_reseed(settings.database_url))  # the table is kept between tests


async def _reseed(url: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute("DELETE FROM districts")
        await district_book.seed(conn)
    finally:
        await conn.close()


def _tasheel(env, *args: str):
    return CliRunner().invoke(main, list(args), env=env)


async def _submit(settings, doc) -> dict:
    from litestar.testing import AsyncTestClient

    from delivery.web.app import create_app

    conn = await connect(settings.database_url)
    try:
        key = await create_agency(conn, "MOI-PASSPORTS")
    finally:
        await conn.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        return (await client.post("/v1/documents", json=doc, headers=auth(key))).json()


def test_a_mahalla_added_with_a_branch_takes_documents_naming_it(cli_env, settings):
    added = _tasheel(cli_env, "districts", "set", "IQ-BG", "zayouna", "--name-ar", "الزيونة",
                     "--name-en", "Zayouna", "--lat", "33.325", "--lon", "44.47",
                     "--parent", "rusafa", "--alias", "Ziyouna", "--branch", "BG-009")
    assert added.exit_code == 0, added.output
    listed = _tasheel(cli_env, "districts", "list", "--governorate", "IQ-BG").output
    assert "zayouna\tالزيونة\tZayouna\t33.3250\t44.4700\trusafa\tBG-009\tZiyouna" in listed
    item = asyncio.run(_submit(settings, document(
        "Z-1", district=None, address_text="زيونة، قرب الجامع", location=None)))
    assert (item["branch"]["code"], item["assignment_rule"]) == ("BG-009", "district")


def test_set_changes_only_what_is_given(cli_env):
    moved = _tasheel(cli_env, "districts", "set", "IQ-BG", "karkh", "--lat", "33.30")
    assert moved.exit_code == 0, moved.output
    listed = _tasheel(cli_env, "districts", "list", "--governorate", "IQ-BG").output
    assert "IQ-BG\tkarkh\tالكرخ\tKarkh\t33.3000\t44.3661\t-\t-\tAl-Karkh" in listed


def test_bad_edits_are_refused_with_the_reason(cli_env):
    cases = [
        (("set", "IQ-XX", "a", "--name-ar", "ا", "--name-en", "A", "--lat", "33", "--lon", "44"),
         "unknown governorate IQ-XX"),
        (("set", "IQ-BG", "new_one", "--name-en", "New"), "a new district needs --name-ar"),
        (("set", "IQ-BG", "karkh", "--lat", "51.5"), "is not inside Iraq"),
        (("set", "IQ-BG", "x", "--name-ar", "س", "--name-en", "X", "--lat", "33.3", "--lon",
          "44.4", "--parent", "nowhere"), "no such parent district"),
    ]
    for args, message in cases:
        result = _tasheel(cli_env, "districts", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_import_adds_and_replaces_rows_and_names_a_bad_line(cli_env, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("governorate,key,name_ar,name_en,name_ckb,lat,lon,parent,aliases\n"
                    "IQ-BG,dora,الدورة,Dora,,33.25,44.39,karkh,Doura\n"
                    "IQ-BG,karkh,الكرخ,Karkh,,33.31,44.36,,\n", encoding="utf-8")
    assert _tasheel(cli_env, "districts", "import", str(good)).output == "2 districts imported\n"
    listed = _tasheel(cli_env, "districts", "list", "--governorate", "IQ-BG").output
    assert "dora\tالدورة\tDora\t33.2500\t44.3900\tkarkh" in listed
    assert "karkh\tالكرخ\tKarkh\t33.3100\t44.3600\t-\t-\t\n" in listed
    bad = tmp_path / "bad.csv"
    bad.write_text("governorate,key,name_ar,name_en,name_ckb,lat,lon,parent,aliases\n"
                   "IQ-BG,ok,س,S,,33.3,44.4,,\nIQ-BG,far,س,F,,51.5,0.1,,\n", encoding="utf-8")
    refused = _tasheel(cli_env, "districts", "import", str(bad))
    assert refused.exit_code != 0 and "row 3" in refused.output
