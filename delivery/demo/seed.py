"""The demo world a fresh database starts with: branches, areas, a sorting centre, an agency, and a
demo day of staff and documents (`day`, `walk`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from delivery.agencies import services as agencies
from delivery.demo import store
from delivery.platform.settings import Settings
from delivery.sites.geo import HALABJA_CODE
from delivery.sites.services import load_reference_data
from routing import store as sites

if TYPE_CHECKING:
    from delivery.demo.walk import DemoDay


DEMO_AGENCY_CODE = "DEMO-PASSPORTS"
DEMO_AGENCY_NAME = "Passport Directorate (demo)"
# With Twilio configured, the demo citizens' SMS (their numbers are made up) would reach real
# phones, and demo accounts would sit in what is likely a real deployment.
REAL_SMS = "Twilio is configured, so the demo citizens' SMS would reach real phones"
SORTING_CENTRE = {
    "code": "SC-BG", "kind": "sorting_centre", "governorate": "IQ-BG",
    "name_ar": "مركز فرز بغداد", "name_en": "Baghdad sorting centre", "name_ckb": "ناوەندی جیاکردنەوەی بەغدا",
    "lat": 33.3128, "lon": 44.3615,
    "opening_hours": [{"days": ["sun", "mon", "tue", "wed", "thu", "sat"],
                       "open": "07:00", "close": "19:00"}],
}


async def seed_demo_sites(conn: asyncpg.Connection) -> None:
    """One sorting centre in Baghdad feeding every demo branch, and the branches' service areas."""
    from routing.areas import area_km2, geometry_to_wkb
    from routing.demo_areas import demo_areas, demo_branches

    centre = await sites.insert_site(conn, **SORTING_CENTRE)
    branches = demo_branches(halabja_code=HALABJA_CODE)
    ids = {}
    for b in branches:
        site = await sites.insert_site(
            conn, code=b.code, kind="branch", governorate=b.governorate, name_ar=b.name_ar,
            name_en=b.name_en, name_ckb=b.name_ckb, lat=b.lat, lon=b.lon,
            opening_hours=list(b.opening_hours), is_main=b.is_main, sorting_centre=centre.id,
        )
        ids[b.code] = site.id
    await sites.save_areas(conn, [
        (ids[area.branch_code], geometry_to_wkb(area.polygon), area_km2(area.polygon))
        for area in demo_areas(branches)
    ])


async def seed_if_empty(conn: asyncpg.Connection, settings: Settings, *,
                        password: str | None = None) -> DemoDay | None:
    """Load the demo world and its demo day into an empty database, all or nothing; None when
    the database already had data. Staff get `password`, or a random one each."""
    from delivery.demo.cast import BRANCH as DEMO_BRANCH
    from delivery.demo.day import make_demo_day  # pulls in the planner: loaded only to seed
    from delivery.demo.walk import DemoDay

    async with conn.transaction():
        await conn.execute(store.ONE_SEEDER)
        await load_reference_data(conn)
        if not await conn.fetchval(store.IS_EMPTY):
            return None
        await seed_demo_sites(conn)
        agency, key = await agencies.create_agency(conn, code=DEMO_AGENCY_CODE,
                                                   name=DEMO_AGENCY_NAME, language="ar")
        if settings.twilio_account_sid and settings.twilio_auth_token:
            return DemoDay(agency_code=agency.code, agency_key=key, branch=DEMO_BRANCH,
                           branch_name="", centre=SORTING_CENTRE["code"], left_out=REAL_SMS)
        return await make_demo_day(conn, settings, agency, key, password=password)
