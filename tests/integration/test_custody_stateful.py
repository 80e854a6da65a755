"""Random scans by random staff against the real database; the custody invariants always hold:
one state per item (its last event's), unbroken hash chains, no hand-over without a valid code."""

import asyncio
import itertools
import secrets
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from delivery import db
from delivery.custody import chain, log, scans, store
from delivery.custody.bags import new_bag_id
from delivery.custody.context import custody_context
from delivery.custody.model import Role, State
from delivery.custody.scans import HANDHELD_ACTIONS, Scan
from delivery.staff.auth import StaffUser
from delivery.staff.model import hash_password

ITEMS = 3
SCANNERS = (Role.sorting_clerk, Role.branch_clerk, Role.courier)
_SERIAL = itertools.count(1)

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


class CustodyMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    conn = None
    world: dict
    ctx = None

    def __init__(self) -> None:
        super().__init__()
        self.items = [self._run(self._new_item()) for _ in range(ITEMS)]
        self.bag = self._run(self._new_bag())

    def _run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    async def _new_item(self) -> str:
        serial = next(_SERIAL)
        tn = f"HY{serial:09d}IQ"
        item_id = await self.conn.fetchval(INSERT_ITEM, tn, self.world["agency"], f"R-{tn}",
                                           self.world["branch"], secrets.token_bytes(32))
        await log.append_first(self.conn, [log.Event(
            item_id=item_id, action="register", from_state=None, to_state="registered",
            event_code="registered", emsevt="EMA", actor_role="agency", server_at=datetime.now(UTC))])
        return tn

    async def _new_bag(self) -> str:
        bag = new_bag_id(await self.conn.fetchval(store.NEXT_BAG_SERIAL))
        await self.conn.execute(store.INSERT_BAG, bag, self.world["centre"], self.world["branch"],
                                self.world["users"][Role.sorting_clerk].id, datetime.now(UTC))
        return bag

    async def _code(self, tn: str) -> str | None:
        return await self.conn.fetchval(
            "SELECT o.payload->'values'->>'code' FROM outbox o JOIN items i ON i.id = o.item_id "
            "WHERE i.tracking_number = $1 AND o.channel = 'sms' ORDER BY o.id DESC LIMIT 1", tn)

    @rule(index=st.integers(0, ITEMS - 1), action=st.sampled_from(sorted(HANDHELD_ACTIONS)),
          role=st.sampled_from(SCANNERS), good_code=st.booleans(), use_bag=st.booleans())
    def scan(self, index, action, role, good_code, use_bag):
        tn = self.items[index]
        valid = self._run(self._code(tn))
        otp = valid if good_code and valid else "000000"
        code = self.bag if use_bag else tn
        scan = Scan(scan_id=secrets.token_hex(8), code=code, action=str(action),
                    at=datetime.now(UTC), bag=self.bag, courier=str(Role.courier), otp=otp,
                    id_last4="5678", reason="absent")
        result = self._run(scans.apply_scans(self.conn, self.ctx, self.world["users"][role],
                                             [scan], now=datetime.now(UTC)))[0]
        if result.status == "applied" and result.state in (State.delivered, State.collected):
            assert valid is not None and otp == valid, "handed over without the valid code"
        if result.status == "applied" and action == "dispatch":
            self.bag = self._run(self._new_bag())

    @invariant()
    def one_state_per_item_and_it_is_the_last_events(self):
        rows = self._run(self.conn.fetch(
            "SELECT i.state, (SELECT to_state FROM custody_events e WHERE e.item_id = i.id "
            "ORDER BY seq DESC LIMIT 1) AS last FROM items i WHERE i.tracking_number = "
            "ANY($1::text[])", self.items))
        assert len(rows) == ITEMS and all(r["state"] == r["last"] for r in rows)

    @invariant()
    def chains_are_unbroken(self):
        assert chain.verify_chain(self._run(log.load_chain(self.conn))) == []

    @invariant()
    def every_hand_over_carries_proof(self):
        unproven = self._run(self.conn.fetchval(
            "SELECT count(*) FROM custody_events WHERE to_state IN ('delivered', 'collected') "
            "AND NOT payload ? 'proof'"))
        assert unproven == 0


@pytest.mark.usefixtures("settings")
def test_random_scans_keep_the_custody_invariants(base_settings):
    loop = asyncio.new_event_loop()
    try:
        conn = loop.run_until_complete(db.connect(base_settings.database_url))
        CustodyMachine.loop, CustodyMachine.conn = loop, conn
        CustodyMachine.world = loop.run_until_complete(_world(conn))
        CustodyMachine.ctx = custody_context(base_settings)
        runner = CustodyMachine.TestCase
        runner.settings = hsettings(max_examples=25, stateful_step_count=30, deadline=None,
                                    suppress_health_check=list(HealthCheck))
        runner().runTest()
        loop.run_until_complete(conn.close())
    finally:
        loop.close()
