"""The whole transition table through the scan service: every allowed scan applies, every
forbidden one is rejected with a reason (cases generated from `TRANSITIONS`)."""

import itertools
from datetime import UTC, datetime

import pytest

from delivery.custody import proof, scans, store, supervisor, tasks
from delivery.custody.bags import new_bag_id
from delivery.custody.context import custody_context
from delivery.custody.model import (
    TRANSITIONS,
    Action,
    Place,
    Role,
    State,
    TransitionRefused,
    decide,
)
from delivery.custody.scans import HANDHELD_ACTIONS, Scan, SignedBy
from delivery.custody.services import Actor, record
from delivery.staff import services as staff_services
from delivery.staff.auth import StaffUser
from tests.custody_world import last4, last_code
from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")

SCANNERS = (Role.sorting_clerk, Role.branch_clerk, Role.courier)
ALLOWED = sorted((s, a, r) for (s, a), t in TRANSITIONS.items() for r in t.roles
                 if a in HANDHELD_ACTIONS and r in SCANNERS)
FORBIDDEN = sorted((s, a, r) for s in State for a in HANDHELD_ACTIONS for r in SCANNERS
                   if (s, a) not in TRANSITIONS or r not in TRANSITIONS[(s, a)].roles)
SUPERVISED = sorted((s, a) for (s, a), t in TRANSITIONS.items() if Role.supervisor in t.roles)
_IDS = itertools.count()


@pytest.fixture
async def env(client, conn, settings):
    key = await create_agency(conn, "MOI-PASSPORTS")
    docs = [document(f"PP-{i}") for i in range(len(State) + 2)]
    response = await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))
    tns = [r["tracking_number"] for r in response.json()["results"]]
    branch = await conn.fetchrow("SELECT s.id, s.code FROM items i JOIN sites s ON "
                                 "s.id = i.branch_id WHERE tracking_number = $1", tns[0])
    centre = await conn.fetchrow("SELECT id, code FROM sites WHERE code = 'SC-BG'")
    users = {}
    for role, site in ((Role.sorting_clerk, centre), (Role.branch_clerk, branch),
                       (Role.courier, branch), (Role.supervisor, branch)):
        member = await staff_services.create_staff(conn, username=f"u-{role}", role=role,
                                                   password="correct horse battery",
                                                   site_code=site["code"])
        users[role] = StaffUser(id=member.id, username=member.username, role=role,
                                site_id=site["id"], site_code=site["code"], site_kind="x",
                                device_id=f"dev-{role}")
    return {"tns": tns, "users": users, "ctx": custody_context(settings), "branch": branch,
            "centre": centre}


async def _prepare(conn, env, tn, state, action) -> dict:
    """Put the item in `state` with whatever the scan needs; returns the scan's extra fields."""
    users, ctx = env["users"], env["ctx"]
    await conn.execute("UPDATE items SET state = $2, courier_id = $3 WHERE tracking_number = $1",
                       tn, state, users[Role.courier].id)
    item = await store.scan_item(conn, tn)
    extra: dict = {}
    pending = {(State.out_for_delivery, Action.take): "to_courier",
               (State.at_branch, Action.accept): "return",
               (State.returning, Action.accept): "send_back"}.get((state, action))
    await conn.execute(store.SET_HANDOVER, item.id, pending, datetime.now(UTC) if pending else None)
    if TRANSITIONS[(state, action)].at is Place.centre:  # the centre has taken it back
        await record(conn, item.ref(), TRANSITIONS[(State.returning, Action.accept)],
                     Action.accept, Actor(role=Role.sorting_clerk), now=datetime.now(UTC))
    if action in (Action.bag, Action.unbag, Action.dispatch):
        bag = new_bag_id(await conn.fetchval(store.NEXT_BAG_SERIAL))
        await conn.execute(store.INSERT_BAG, bag, env["centre"]["id"], env["branch"]["id"],
                           users[Role.sorting_clerk].id, datetime.now(UTC))
        if action != Action.bag:
            await conn.execute(store.ADD_TO_BAG, bag, item.id, datetime.now(UTC))
        extra = {"code": bag} if action == Action.dispatch else {"bag": bag}
    if action in (Action.deliver, Action.collect):
        await proof.issue_code(conn, ctx, item, kind="test", now=datetime.now(UTC))
        extra = {"otp": await last_code(conn, tn), "id_last4": await last4(conn, tn)}
    return {Action.to_courier: {"courier": users[Role.courier].username},
            Action.fail: {"reason": "absent"},
            Action.returned: {"signed_by": SignedBy(name="Zainab Kareem", id_last4="4321")},
            }.get(action, extra)


async def _scan(conn, env, role, tn, action, **extra):
    fields = {"code": tn, **extra}
    scan = Scan(scan_id=f"t-{next(_IDS)}", action=str(action), at=datetime.now(UTC), **fields)
    return (await scans.apply_scans(conn, env["ctx"], env["users"][role], [scan],
                                    now=datetime.now(UTC)))[0]


@pytest.mark.parametrize(("state", "action", "role"), ALLOWED,
                         ids=[f"{s}-{a}-{r}" for s, a, r in ALLOWED])
async def test_every_allowed_scan_applies(conn, env, state, action, role):
    tn = env["tns"][0]
    extra = await _prepare(conn, env, tn, state, action)
    result = await _scan(conn, env, role, tn, action, **extra)
    assert result.status == "applied", result
    expected = TRANSITIONS[(state, action)].to
    assert await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1", tn) == expected


async def test_every_forbidden_scan_is_rejected_with_a_reason_and_changes_nothing(conn, env):
    tns = dict(zip(State, env["tns"], strict=False))
    for state, tn in tns.items():
        await conn.execute("UPDATE items SET state = $2 WHERE tracking_number = $1", tn, state)
    events = await conn.fetchval("SELECT count(*) FROM custody_events")
    for state, action, role in FORBIDDEN:
        result = await _scan(conn, env, role, tns[state], action)
        assert result.status == "rejected" and result.error, (state, action, role)
        with pytest.raises(TransitionRefused):
            decide(state, action, role)
    assert await conn.fetchval("SELECT count(*) FROM custody_events") == events
    for state, tn in tns.items():
        assert await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1",
                                   tn) == state


@pytest.mark.parametrize(("state", "action"), SUPERVISED, ids=[f"{s}-{a}" for s, a in SUPERVISED])
async def test_every_supervisor_exception_applies(conn, env, state, action):
    tn = env["tns"][0]
    await conn.execute("UPDATE items SET state = $2 WHERE tracking_number = $1", tn, state)
    out = await supervisor.mark(conn, env["users"][Role.supervisor], tn, action, "seen so",
                                now=datetime.now(UTC))
    assert out.state == TRANSITIONS[(state, action)].to


async def test_supervisor_exceptions_are_refused_outside_the_table(conn, env):
    tn = env["tns"][0]
    for state in State:
        for action in (Action.mark_lost, Action.mark_damaged, Action.found):
            if (state, action) in TRANSITIONS:
                continue
            await conn.execute("UPDATE items SET state = $2 WHERE tracking_number = $1", tn,
                               state)
            with pytest.raises(TransitionRefused) as refused:
                await supervisor.mark(conn, env["users"][Role.supervisor], tn, action, "x",
                                      now=datetime.now(UTC))
            assert str(refused.value)


async def test_scheduler_rows_move_only_their_states(conn, env):
    rows = [(s, a) for (s, a), t in TRANSITIONS.items() if Role.scheduler in t.roles]
    for (state, action), tn in zip(rows, env["tns"], strict=False):
        expired = action == Action.expire_hold
        await conn.execute("UPDATE items SET state = $2, failed_attempts = 2, hold_until = "
                           "now() + CASE WHEN $3 THEN interval '-1 s' ELSE interval '1 day' END "
                           "WHERE tracking_number = $1", tn, state, expired)
    now = datetime.now(UTC)
    moved = (await tasks.expire_holds(conn, env["ctx"], now=now)
             + await tasks.exhaust_attempts(conn, env["ctx"], now=now))
    assert moved == len(rows)

