"""Hand-made custody rows for tests of the scan machinery itself (uploads, batches): an item
inserted straight into `items`, and a small world of sites and staff, without intake, areas or
logins. Tests of custody as agencies and staff drive it use `tests.custody_world` (and the
stateful test its twin worlds) instead.

Moved here from the stateful test, which now registers its items through intake.
"""

from delivery.custody.model import Role
from delivery.staff.auth import StaffUser
from delivery.staff.model import hash_password

INSERT_ITEM = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, national_id_last4, governorate, branch_id, assignment_rule, token_hash)
VALUES ($1, $2, $3, '\\x00', '{}', 'passport', 'registered', '5678', 'IQ-BG', $4, 'area', $5)
RETURNING id
"""


async def _world(conn) -> dict:
    """An agency, a branch fed by a sorting centre, one account per scanning role."""
    await conn.execute("INSERT INTO agencies (code, name) VALUES ('HYP', 'H') "
                       "ON CONFLICT DO NOTHING")
    centre = await conn.fetchval("INSERT INTO sites (code, kind, governorate, name_ar, name_en, "
                                 "name_ckb, lat, lon) VALUES ('SC-HY', 'sorting_centre', "
                                 "'IQ-BG', 'c', 'c', 'c', 33, 44) RETURNING id")
    branch = await conn.fetchval("INSERT INTO sites (code, kind, governorate, name_ar, name_en, "
                                 "name_ckb, lat, lon, sorting_centre) VALUES ('HY-001', 'branch',"
                                 " 'IQ-BG', 'b', 'b', 'b', 33, 44, $1) RETURNING id", centre)
    users, pw = {}, hash_password("correct horse battery")
    for role, site, code in ((Role.sorting_clerk, centre, "SC-HY"),
                             (Role.branch_clerk, branch, "HY-001"),
                             (Role.courier, branch, "HY-001")):
        staff_id = await conn.fetchval("INSERT INTO staff (username, password_hash, role, site_id)"
                                       " VALUES ($1, $2, $3, $4) RETURNING id", str(role), pw,
                                       role, site)
        users[role] = StaffUser(id=staff_id, username=str(role), role=role, site_id=site,
                                site_code=code, site_kind="x", device_id=f"d-{role}")
    agency = await conn.fetchval("SELECT id FROM agencies WHERE code = 'HYP'")
    return {"agency": agency, "centre": centre, "branch": branch, "users": users}
