"""Batches judged in memory and written set-based give exactly what the per-scan path gives,
even on random mixes of scans; an item another upload changed meanwhile is judged again."""

import asyncio
import itertools
import secrets
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from delivery.custody import chain, log, scans, store
from delivery.custody.bags import new_bag_id
from delivery.custody.context import custody_context
from delivery.custody.model import Role, State, allowed_actions
from delivery.custody.scans import HANDHELD_ACTIONS, Scan
from delivery.platform import db
from delivery.staff.auth import StaffUser
from tests.custody_rows import INSERT_ITEM, _world

ITEMS = 3
SCANNERS = (Role.sorting_clerk, Role.branch_clerk, Role.courier)
_SERIAL = itertools.count(1)
OLD_NUMBER = "A1234567"  # the old document item 1 replaces
# What a scan says of the old document, by its `use_bag` draw: none, a wrong number, lost, or
# (otherwise) the right number.
_OLD_DOCUMENT = {1: {}, 2: {"old_document_number": "B7654321"}, 3: {"old_document_lost": True}}

# Where each item starts: its state and the hand-over left open, if any.
START = st.lists(st.tuples(st.sampled_from(sorted(State)),
                           st.sampled_from([None, None, None, "dispatch", "to_courier", "return",
                                            "send_back"])), min_size=ITEMS, max_size=ITEMS)


def _batches(data, start: list[tuple]) -> list[tuple]:
    """Batches of one role's scans, often of an action the role may take from the start state."""
    batches = []
    for _ in range(data.draw(st.integers(1, 6))):
        role = data.draw(st.sampled_from(SCANNERS))
        batch = []
        for _ in range(data.draw(st.integers(1, 6))):
            index = data.draw(st.integers(0, ITEMS - 1))
            allowed = sorted(allowed_actions(start[index][0], role) & HANDHELD_ACTIONS)
            likely = allowed if allowed and data.draw(st.booleans()) else sorted(HANDHELD_ACTIONS)
            batch.append((index, data.draw(st.sampled_from(likely)), data.draw(st.booleans()),
                          data.draw(st.integers(0, 5))))
        batches.append((role, batch))
    return batches


class Twin:
    """Items, a bag and a handheld per role, scanned through one of the two paths."""

    def __init__(self, conn, world, name: str, set_based: bool) -> None:
        self.conn, self.world, self.name, self.set_based = conn, world, name, set_based
        self.items: list[str] = []
        self.bag = ""
        self.users = {role: StaffUser(**{**_fields(user), "device_id": f"{name}-{role}"})
                      for role, user in world["users"].items()}

    async def setup(self, start: list[tuple] = ()) -> None:
        self.items = [await self._new_item() for _ in range(ITEMS)]
        self.bag = await self._new_bag()
        courier = self.world["users"][Role.courier].id
        for tn, (state, handover) in zip(self.items, start, strict=False):
            await self.conn.execute(
                "UPDATE items SET state = $2, handover_action = $3, courier_id = $4, "
                "handover_since = CASE WHEN $3::text IS NULL THEN NULL ELSE now() END "
                "WHERE tracking_number = $1", tn, state, handover, courier)
        await self.conn.execute("UPDATE items SET old_document_number = $2 "
                                "WHERE tracking_number = $1", self.items[1], OLD_NUMBER)

    async def _new_item(self) -> str:
        tn = f"HZ{next(_SERIAL):09d}IQ"
        item_id = await self.conn.fetchval(INSERT_ITEM, tn, self.world["agency"], f"R-{tn}",
                                           self.world["branch"], secrets.token_bytes(32))
        await log.append_first(self.conn, [log.Event(
            item_id=item_id, action="register", from_state=None, to_state="registered",
            event_code="registered", emsevt="EMA", actor_role="agency",
            server_at=datetime.now(UTC))])
        return tn

    async def _new_bag(self) -> str:
        bag = new_bag_id(await self.conn.fetchval(store.NEXT_BAG_SERIAL))
        await self.conn.execute(store.INSERT_BAG, bag, self.world["centre"],
                                self.world["branch"],
                                self.world["users"][Role.sorting_clerk].id, datetime.now(UTC))
        return bag

    async def _code(self, tn: str) -> str | None:
        return await self.conn.fetchval(
            "SELECT o.payload->'values'->>'code' FROM outbox o JOIN items i ON i.id = o.item_id "
            "WHERE i.tracking_number = $1 AND o.channel = 'sms' ORDER BY o.id DESC LIMIT 1", tn)

    async def upload(self, role: Role, batch: list[tuple]) -> list[tuple]:
        """Results, with this twin's own codes replaced by neutral names (use_bag 0: the bag)."""
        now = datetime.now(UTC)
        sent = [await self._scan(index, action, good, use_bag, now)
                for index, action, good, use_bag in batch]
        results = await scans.apply_scans(self.conn, self.ctx, self.users[role], sent, now=now,
                                          set_based=self.set_based)
        if any(r.status == "applied" and s.action == "dispatch"
               for r, s in zip(results, sent, strict=True)):
            self.bag = await self._new_bag()
        return [(r.status, r.state, r.reason, self._neutral(r.error), r.items, r.clock_flags)
                for r in results]

    async def _scan(self, index: int, action: str, good: bool, use_bag: int, now) -> Scan:
        tn = self.items[index]
        valid = await self._code(tn)
        return Scan(scan_id=f"{self.name}-{secrets.token_hex(6)}",
                    code=self.bag if use_bag == 0 else tn, action=str(action), at=now,
                    bag=self.bag, courier=str(Role.courier),
                    otp=valid if good and valid else "000000", id_last4="5678",
                    reason="absent",
                    **_OLD_DOCUMENT.get(use_bag, {"old_document_number": OLD_NUMBER.lower()}))

    def _neutral(self, text: str | None) -> str | None:
        for index, tn in enumerate(self.items):
            text = text.replace(tn, f"ITEM{index}") if text else text
        return text.replace(self.bag, "BAG") if text else text

    async def states(self) -> list[tuple]:
        rows = await self.conn.fetch(
            "SELECT i.state, i.handover_action, i.failed_attempts, i.otp_wrong, "
            "(SELECT count(*) FROM custody_events e WHERE e.item_id = i.id) AS events, "
            "(SELECT count(*) FROM outbox o WHERE o.item_id = i.id) AS outbox, "
            "(SELECT count(*) FROM items o WHERE o.old_document_of = i.id) AS old_documents "
            "FROM items i WHERE i.tracking_number = ANY($1::text[]) ORDER BY i.tracking_number",
            self.items)
        return [tuple(r) for r in rows]


async def _forgive_staff(conn) -> None:
    """The twins share the world's staff: each upload starts from no wrong attempts and no lock,
    so one twin's wrong codes cannot lock the staff member before the other twin's turn."""
    await conn.execute("DELETE FROM handover_failures; DELETE FROM handover_locks")


def _fields(user: StaffUser) -> dict:
    return {f: getattr(user, f) for f in user.__struct_fields__}


@pytest.mark.usefixtures("settings")
def test_set_based_batches_give_what_the_per_scan_path_gives(base_settings):
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(db.connect(base_settings.database_url))
    world = loop.run_until_complete(_world(conn))
    ctx = custody_context(base_settings)

    @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        start = data.draw(START)
        batches = _batches(data, start)
        fast, slow = Twin(conn, world, "f", True), Twin(conn, world, "s", False)
        for twin in (fast, slow):
            twin.ctx = ctx
            loop.run_until_complete(twin.setup(start))
        for role, batch in batches:
            loop.run_until_complete(_forgive_staff(conn))
            got = loop.run_until_complete(fast.upload(role, batch))
            loop.run_until_complete(_forgive_staff(conn))
            expected = loop.run_until_complete(slow.upload(role, batch))
            assert got == expected, (role, batch)
        assert loop.run_until_complete(fast.states()) == loop.run_until_complete(slow.states())
        assert chain.verify_chain(loop.run_until_complete(log.load_chain(conn))) == []

    try:
        check()
    finally:
        loop.run_until_complete(conn.close())
        loop.close()


async def test_an_old_document_taken_back_gives_the_same_on_both_paths(settings, conn):
    """The hand-over that takes an old document back registers an item of its own: the set-based
    path leaves it to the per-scan path, so both give the same results, items and chains."""
    world, ctx = await _world(conn), custody_context(settings)
    twins = [Twin(conn, world, name, fast) for name, fast in (("f", True), ("s", False))]
    start = [(State.at_branch, None)] * ITEMS
    batches = [(Role.branch_clerk, [(1, "to_courier", True, 5)]),
               (Role.courier, [(1, "take", True, 5), (1, "deliver", True, 1),
                               (1, "deliver", True, 2), (1, "deliver", True, 5)])]
    outcomes = []
    for twin in twins:
        twin.ctx = ctx
        await twin.setup(start)
        outcomes.append([await twin.upload(role, batch) for role, batch in batches])
    assert outcomes[0] == outcomes[1]
    assert [r[2] for r in outcomes[0][1]] == [None, "old_document_required",
                                              "old_document_mismatch", None]
    fast, slow = [await twin.states() for twin in twins]
    assert fast == slow and fast[1][0] == "delivered" and fast[1][-1] == 1
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def _waiting_for_a_lock(conn, pid: int) -> None:
    for _ in range(200):
        if await conn.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity "
                               "WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second upload never waited for the item's row")


async def test_item_changed_by_another_upload_meanwhile_is_judged_again(settings, conn):
    world = await _world(conn)
    twin = Twin(conn, world, "r", True)
    twin.ctx = custody_context(settings)
    await twin.setup()
    sorter = world["users"][Role.sorting_clerk]
    first_device = StaffUser(**{**_fields(sorter), "device_id": "first"})
    second_device = StaffUser(**{**_fields(sorter), "device_id": "second"})
    other = await db.connect(settings.database_url)
    try:
        outer = other.transaction()
        await outer.start()
        tn = twin.items[0]
        won = await scans.apply_scans(other, twin.ctx, first_device, [Scan(
            scan_id="won", code=tn, action="receive", at=datetime.now(UTC))],
            now=datetime.now(UTC))
        assert won[0].status == "applied"
        late = asyncio.create_task(scans.apply_scans(conn, twin.ctx, second_device, [
            Scan(scan_id="late", code=tn, action="receive", at=datetime.now(UTC)),
            Scan(scan_id="fine", code=twin.items[1], action="receive", at=datetime.now(UTC))],
            now=datetime.now(UTC)))
        await _waiting_for_a_lock(other, conn.get_server_pid())
        await outer.commit()
        results = await late
    finally:
        await other.close()
    assert (results[0].status, results[0].reason) == ("rejected", "already_done")
    assert results[0].error == "already in the sorting centre"
    assert (results[1].status, results[1].state) == ("applied", "received")
    receives = await conn.fetchval("SELECT count(*) FROM custody_events e JOIN items i ON "
                                   "i.id = e.item_id WHERE i.tracking_number = $1 "
                                   "AND e.action = 'receive'", tn)
    assert receives == 1
    assert chain.verify_chain(await log.load_chain(conn)) == []
