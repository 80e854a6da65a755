"""A day at the post as a hypothesis state machine, against the real services, twice over.

Items come in through the agencies' API (intake), staff are made by `create_staff` and log in,
bags are opened through the API. Each step is one move by one actor: mostly a move the state
table allows for the item's state, by the right role, with the right extras (the citizen's code
read from their SMS in the outbox, the right ID digits, an open bag for the branch, a courier of
the branch, a reason); one in five a mistake that must be refused (a wrong or missing code or ID
digits, the wrong role, state, site, bag or place, a hand-over not confirmed yet, a proxy where
none may collect, a repeated scan). Supervisors mark items lost, damaged, found, send new codes
and unlock; agencies cancel; the scheduler's jobs expire holds (under a moved clock) and shelve
items whose attempts are used up.

Scans go up one at a time or a few by the same handheld in one upload. Every move is made in two
twin worlds with their own items, bags and staff: world `a` uploads through `POST /v1/scans`
(set-based: one optimistic statement, else fastscan within the transaction), world `b` through
`apply_scans(..., set_based=False)` (the per-scan reference path). Both must give the same
results, and both what the test's own model (`tests/custody_oracle.py`: the state table for the
transitions, everything else a scan is judged on modelled there) predicts, refusal codes included.

After every step, for every item of the example in both worlds: its chain verifies and its row's
state, chain length and head are its last event's; its state, open hand-over, attempts, wrong
codes, lock and code generation are the model's; it got exactly one SMS per code; no event
hands it over (`delivered`, `collected`) without the proof of a code checked for the current
code; every hand-over given was confirmed by the other party, or is still open and then raised
as an alert once the alert time has passed, or was closed by a supervisor's exception; and the
twins' custody logs are the same. Over the run, items must reach `delivered`, `collected` and
`returned_to_agency`; and `tasheel verify-custody`'s check passes on the whole database.

The run is deterministic (`derandomize`). A failing one is shrunk, replaying examples against the
database: expect minutes before hypothesis prints the shortest sequence of steps it found (each
step's generator seed), with the move that failed and what was expected.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from delivery.custody import chain, log, scans, supervisor, tasks, verify
from delivery.custody.context import CustodyContext, custody_context
from delivery.custody.model import Action, State
from delivery.custody.scans import Scan
from delivery.platform.settings import Settings
from delivery.staff import services as staff_services
from delivery.staff.auth import StaffUser
from tests.custody_oracle import (
    CLERK,
    COUNTER,
    COURIER,
    COURIER2,
    COURIERS,
    DOC_TYPES,
    GIVES,
    HOME,
    NEW_HOME_BAG,
    NEW_OTHER_BAG,
    OTHER,
    OTHER_CLERK,
    PROXY,
    PROXY_LAST4,
    SORTER,
    SUPERVISOR,
    Expect,
    Move,
    Oracle,
)
from tests.custody_world import applied, build_world, open_bag, scan, state_of, submit
from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")

MISTAKES = 0.2  # the share of moves that are mistakes
ENDS = {State.delivered, State.collected, State.returned_to_agency}
REACHED: set[str] = set()  # states items reached, over every example of the run
ENDED: Counter[str] = Counter()  # items (twin pairs) by where their example left them
STATS: Counter[str] = Counter()
PASSWORD = "correct horse battery"
AGENCY_SIGNATURE = scans.SignedBy(name="Zainab Kareem", id_last4="4321")
_REFS = itertools.count(1)
_SCAN_IDS = itertools.count(1)

# --- the twin worlds ---------------------------------------------------------------------------


@dataclasses.dataclass
class Staff:
    """One world's accounts: the headers its handhelds send, and who they are."""

    side: str
    headers: dict[str, dict[str, str]]
    users: dict[str, StaffUser]

    def username(self, actor: str) -> str:
        return self.users[actor].username


@dataclasses.dataclass
class Side:
    """One world's share of an example: its twin of each item and bag, its scans sent."""

    staff: Staff
    tns: list[str] = dataclasses.field(default_factory=list)
    ids: list[int] = dataclasses.field(default_factory=list)
    bags: list[str] = dataclasses.field(default_factory=list)
    sent: list[tuple[str, Scan]] = dataclasses.field(default_factory=list)  # (actor, scan)

    @property
    def name(self) -> str:
        return self.staff.side

    def normalised(self, text: str | None) -> str | None:
        """`text` with this world's names of items, bags and staff replaced by the model's."""
        if text is None:
            return None
        for i, tn in enumerate(self.tns):
            text = text.replace(tn, f"<item {i}>")
        for j, bag in enumerate(self.bags):
            text = text.replace(bag, f"<bag {j}>")
        for actor, user in self.staff.users.items():
            text = re.sub(rf"\b{re.escape(user.username)}\b", f"<{actor}>", text)
        return text


class Twins:
    """Both worlds, the agency they share, and the custody context."""

    def __init__(self, client: Any, conn: Any, settings: Settings, key: str, branch: str,
                 other_branch: str, sides: tuple[Staff, Staff], admin: StaffUser) -> None:
        self.client, self.conn, self.settings, self.key = client, conn, settings, key
        self.branch, self.other_branch = branch, other_branch
        self.staff = sides
        self.admin = admin
        self.ctx: CustodyContext = custody_context(settings)


async def _hire(client, conn, side: str, branch: str, other_branch: str) -> Staff:
    sites = {SORTER: ("sorting_clerk", "SC-BG"), CLERK: ("branch_clerk", branch),
             COURIER: ("courier", branch), COURIER2: ("courier", branch),
             OTHER_CLERK: ("branch_clerk", other_branch), SUPERVISOR: ("supervisor", branch)}
    headers, users = {}, {}
    for actor, (role, site) in sites.items():
        username, device = f"{side}-{actor.replace('_', '-')}", f"dev-{side}-{actor}"
        member = await staff_services.create_staff(conn, username=username, password=PASSWORD,
                                                   role=role, site_code=site)
        response = await client.post("/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_id": device})
        assert response.status_code == 200, response.text
        headers[actor] = {"Authorization": f"Bearer {response.json()['access_token']}",
                          "X-Device-Id": device}
        users[actor] = StaffUser(id=member.id, username=member.username, role=member.role,
                                 site_id=member.site_id, site_code=member.site_code,
                                 site_kind=member.site_kind, device_id=device)
    return Staff(side=side, headers=headers, users=users)


async def build_twins(client, conn, settings: Settings) -> Twins:
    key = await create_agency(conn, "MOI-TWINS")
    probe = await client.post("/v1/documents", json=document("TWIN-PROBE"), headers=auth(key))
    assert probe.status_code == 201, probe.text
    branch = probe.json()["branch"]["code"]
    other = "BG-002" if branch != "BG-002" else "BG-003"
    sides = (await _hire(client, conn, "a", branch, other),
             await _hire(client, conn, "b", branch, other))
    member = await staff_services.create_staff(conn, username="twin-admin", password=PASSWORD,
                                               role="admin", site_code=None)
    admin = StaffUser(id=member.id, username=member.username, role=member.role, site_id=None,
                      site_code=None, site_kind=None, device_id="dev-admin")
    return Twins(client, conn, settings, key, branch, other, sides, admin)


# --- what the invariants read ------------------------------------------------------------------

SNAPSHOT_ITEMS = """
SELECT i.id, i.tracking_number, i.state, i.chain_length, i.chain_head, i.handover_action,
    i.failed_attempts, i.otp_wrong, i.otp_locked, i.otp_generation, i.courier_id,
    (SELECT count(*) FROM outbox o WHERE o.item_id = i.id AND o.channel = 'sms'
        AND o.payload->'values' ? 'code') AS codes_sent
FROM items i WHERE i.id = ANY($1::bigint[])
"""
SNAPSHOT_EVENTS = """
SELECT item_id, seq, action, from_state, to_state, event_code, emsevt, actor_role, actor_id,
    device_id, site_id, device_at, server_at, payload, hash_version, prev_hash, hash
FROM custody_events WHERE item_id = ANY($1::bigint[]) ORDER BY item_id, seq
"""
LAST_CODE = """
SELECT o.payload->'values'->>'code' FROM outbox o
WHERE o.item_id = $1 AND o.channel = 'sms' AND o.payload->'values' ? 'code'
ORDER BY o.id DESC LIMIT 1
"""
# Ages the staff's wrong hand-over attempts past the 24-hour window: each example starts with
# none counted (the accounts serve every example of the run).
AGE_FAILURES = """
UPDATE handover_failures SET at = at - interval '25 hours' WHERE staff_id = ANY($1::bigint[])
"""
LOCKED_STAFF = """
SELECT s.username FROM handover_locks l JOIN staff s ON s.id = l.staff_id
WHERE l.unlocked_at IS NULL AND s.id = ANY($1::bigint[])
"""


class CustodyMachine(RuleBasedStateMachine):
    twins: ClassVar[Twins]
    loop: ClassVar[asyncio.AbstractEventLoop]

    def __init__(self) -> None:
        super().__init__()
        self.sides = tuple(Side(staff=s) for s in self.twins.staff)
        self._run(self._fresh_staff())
        self.oracle = Oracle(max_attempts=self.twins.ctx.max_attempts, staff_wrong={},
                             staff_locked=set())
        self.journal: list[tuple[Move, str, dict]] = []  # each scan sent: its move, id, result

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=300)

    async def _fresh_staff(self) -> None:
        ids = [u.id for side in self.sides for u in side.staff.users.values()]
        await self.twins.conn.execute(AGE_FAILURES, ids)
        for username in [r["username"] for r in await self.twins.conn.fetch(LOCKED_STAFF, ids)]:
            side = next(s for s in self.sides if username.startswith(f"{s.name}-"))
            response = await self.twins.client.post(
                "/v1/supervisor/staff/unlock", json={"username": username,
                                                     "reason": "a new day"},
                headers=side.staff.headers[SUPERVISOR])
            assert response.status_code == 200, response.text

    # --- one step ---------------------------------------------------------------------------

    @rule(rnd=st.randoms(use_true_random=True))
    def step(self, rnd: random.Random) -> None:
        """One move. Its choices come from a generator hypothesis seeds (so the one-in-five and
        the weights hold as written: hypothesis' own draws lean towards their first values)."""
        wrong = rnd.random() < MISTAKES
        move = self._draw(rnd, wrong=wrong)
        if move is None or (wrong and move.valid):  # no mistake to make, or nothing else left
            STATS["idle"] += 1
            return
        if move.kind in ("scan", "duplicate"):
            self._upload(rnd, move)
        elif move.kind in ("expire", "exhaust"):
            self._run(self._schedule(move))
        else:
            self._run(self._request(move))

    def _draw(self, rnd: random.Random, *, wrong: bool, actor: str | None = None,
              avoid: frozenset[int] = frozenset()) -> Move | None:
        """A move: valid (weighted) or a mistake; of `actor`'s scans only, when given."""
        def usable(m: Move) -> bool:
            if actor is None:
                return True
            return m.kind == "scan" and m.actor == actor and not (
                m.item in avoid and m.otp != "none")

        mistakes = [m for m in self.oracle.wrong_moves() if usable(m)]
        if wrong and mistakes:  # each kind of mistake as likely as the others
            kind = rnd.choice(sorted({m.label for m in mistakes}))
            move = rnd.choice([m for m in mistakes if m.label == kind])
            if move.kind == "duplicate":
                move = dataclasses.replace(move, duplicate_of=rnd.randrange(
                    len(self.oracle.history)))
            return move
        moves = [(w, m) for w, m in self.oracle.valid_moves() if usable(m)]
        if not moves:
            return None
        return rnd.choices([m for _, m in moves], weights=[w for w, _ in moves])[0]

    def _upload(self, rnd: random.Random, first: Move) -> None:
        """One upload by one member of staff (a few scans now and then), in both worlds. The
        moves are drawn here, on hypothesis' thread; what needs the database runs on the loop."""
        actor = first.actor
        if first.kind == "duplicate":
            actor = self.sides[0].sent[first.duplicate_of][0]
        planned: list[tuple[Move, Expect, list[Scan]]] = []
        move: Move | None = first
        extra = rnd.choice([0, 0, 0, 0, 0, 1, 1, 2, 3])
        guesses = rnd.choice([1, 2, 3, 5, 6]) if first.label == "wrong_code" else 0
        while move is not None:
            move = self._run(self._resolve_bags(move))
            scans_now = [self._run(self._scan_of(side, move)) for side in self.sides]
            expected = self.oracle.expect(move)
            self._check_label(move, expected)
            planned.append((move, expected, scans_now))
            for side, one in zip(self.sides, scans_now, strict=True):
                side.sent.append((actor, one))
            if len(planned) < guesses:  # someone guessing codes at the door, one after another
                continue
            if len(planned) > extra + guesses:
                break
            touched = frozenset(m.item for m, _, _ in planned if m.item is not None)
            move = self._draw(rnd, wrong=rnd.random() < MISTAKES, actor=actor, avoid=touched)
        results = []
        for k, side in enumerate(self.sides):
            batch = [s[k] for _, _, s in planned]
            sent = self._run(self._send(side, actor, batch))
            results.append([self._normal(side, r) for r in sent])
        assert results[0] == results[1], (
            "the set-based path (a) and the per-scan path (b) disagree:\n"
            f"{[m for m, _, _ in planned]}\n a: {results[0]}\n b: {results[1]}")
        for (move, expected, sent), result in zip(planned, results[0], strict=True):
            self.journal.append((move, sent[0].scan_id, result))
            self._compare(move, expected, result)

    async def _send(self, side: Side, actor: str, batch: list[Scan]) -> list[dict]:
        if side.name == "a":
            body = {"scans": [msgspec.to_builtins(s) for s in batch]}
            response = await self.twins.client.post("/v1/scans", json=body,
                                                    headers=side.staff.headers[actor])
            assert response.status_code == 200, response.text
            return response.json()["results"]
        results = await scans.apply_scans(self.twins.conn, self.twins.ctx,
                                          side.staff.users[actor], batch,
                                          now=datetime.now(UTC), set_based=False)
        return [msgspec.to_builtins(r) for r in results]

    @staticmethod
    def _normal(side: Side, result: dict) -> dict:
        out = {k: v for k, v in result.items() if k != "scan_id"}
        out["error"] = side.normalised(out.get("error"))
        out.setdefault("clock_flags", [])
        return out

    def _compare(self, move: Move, expected: Expect, result: dict) -> None:
        STATS[f"label:{move.label}"] += 1
        STATS[f"result:{result['status']}"] += 1
        if result["status"] == "applied":
            STATS[f"applied:{move.action}"] += 1
        elif result["status"] == "rejected":
            STATS[f"refused:{result.get('reason')}"] += 1
        got = Expect(status=result["status"], state=result.get("state"),
                     reason=result.get("reason") if result["status"] == "rejected" else None,
                     items=result.get("items"))
        if expected.status != "rejected" and expected.items is None:
            got = dataclasses.replace(got, items=None)
        original = ""
        if move.kind == "duplicate":
            original = f"\n(a repeat of {self.journal[move.duplicate_of]})"
        assert got == expected, f"{move}: expected {expected}, got {result}{original}"
        assert result["clock_flags"] == [], result

    @staticmethod
    def _check_label(move: Move, expected: Expect) -> None:
        """The generator's own promise: valid moves are applied, mistakes are not."""
        if move.valid:
            assert expected.status in ("applied", "200", "201", "done"), (move, expected)
        elif move.kind == "scan":
            assert expected.status == "rejected", (move, expected)

    async def _resolve_bags(self, move: Move) -> Move:
        """Open the bag a move needs in both worlds, through the API."""
        changes = {}
        for field in ("bag", "on_bag"):
            wanted = getattr(move, field)
            if wanted in (NEW_HOME_BAG, NEW_OTHER_BAG):
                branch = HOME if wanted == NEW_HOME_BAG else OTHER
                code = self.twins.branch if branch == HOME else self.twins.other_branch
                for side in self.sides:
                    response = await self.twins.client.post(
                        "/v1/bags", json={"destination": code},
                        headers=side.staff.headers[SORTER])
                    assert response.status_code == 201, response.text
                    side.bags.append(response.json()["bag_id"])
                changes[field] = self.oracle.open_bag(branch)
        return dataclasses.replace(move, **changes) if changes else move

    async def _scan_of(self, side: Side, move: Move) -> Scan:
        """`move` as this world's handheld sends it."""
        if move.kind == "duplicate":
            return side.sent[move.duplicate_of][1]
        item = self.oracle.items[move.item] if move.item is not None else None
        otp = None
        if move.otp != "none":
            right = await self.twins.conn.fetchval(LAST_CODE, side.ids[move.item]) or "000000"
            otp = right if move.otp == "right" else f"{(int(right) + 1) % 1_000_000:06d}"
        id_last4 = None
        if move.id4 != "none":
            right4 = PROXY_LAST4 if move.proxy else item.last4
            id_last4 = right4 if move.id4 == "right" else f"{(int(right4) + 1) % 10_000:04d}"
        courier = move.courier
        if courier in COURIERS:
            courier = side.staff.username(courier)
        code = side.bags[move.on_bag] if move.on_bag is not None else side.tns[move.item]
        return Scan(scan_id=f"{side.name}-{next(_SCAN_IDS)}", code=code, action=move.action,
                    at=datetime.now(UTC),
                    bag=side.bags[move.bag] if move.bag is not None else None,
                    courier=courier, otp=otp, id_last4=id_last4, reason=move.reason,
                    note=move.note, proxy=scans.Proxy(**PROXY) if move.proxy else None,
                    signed_by=AGENCY_SIGNATURE if move.action == "returned" else None)

    async def _request(self, move: Move) -> None:
        """A move made through the API rather than a handheld, in both worlds."""
        expected = self.oracle.expect(move)
        self._check_label(move, expected)
        answers = []
        for side in self.sides:
            answers.append(await self._call(side, move))
        assert answers[0] == answers[1], f"{move}: the worlds disagree: {answers}"
        status, state = answers[0]
        STATS[f"label:{move.label}"] += 1
        what = move.action or move.doc_type or move.courier
        STATS[f"{move.kind}:{what}:{status}" if what else f"{move.kind}:{status}"] += 1
        got = Expect(status=status, state=state if expected.state is not None else None)
        assert got == expected, f"{move}: expected {expected}, got {answers[0]}"

    async def _call(self, side: Side, move: Move) -> tuple[str, str | None]:
        client, key = self.twins.client, self.twins.key
        if move.kind == "register":
            index = len(side.tns)
            item = self.oracle.items[index]
            ref = f"TWIN-{next(_REFS)}-{side.name}"
            response = await client.post("/v1/documents", json=document(
                ref, document_type=move.doc_type, national_id=f"19901234{item.last4}"),
                headers=auth(key))
            if response.status_code == 201:
                body = response.json()
                assert body["branch"]["code"] == self.twins.branch, body
                side.tns.append(body["tracking_number"])
                side.ids.append(await self.twins.conn.fetchval(
                    "SELECT id FROM items WHERE tracking_number = $1", side.tns[-1]))
            return str(response.status_code), response.json().get("state")
        tn = side.tns[move.item] if move.item is not None else None
        headers = side.staff.headers[SUPERVISOR]
        if move.kind == "cancel":
            response = await client.post(f"/v1/documents/{tn}/cancel", headers=auth(key))
        elif move.kind == "unlock_staff":
            response = await client.post("/v1/supervisor/staff/unlock", json={
                "username": side.staff.username(move.courier), "reason": "talked it through"},
                headers=headers)
        else:
            path = {Action.mark_lost: "lost", Action.mark_damaged: "damaged",
                    Action.found: "found", Action.reissue_code: "code",
                    Action.unlock_code: "unlock"}[Action(move.action)]
            response = await client.post(f"/v1/supervisor/items/{tn}/{path}",
                                         json={"reason": "seen by the supervisor"},
                                         headers=headers)
        body = response.json()
        return str(response.status_code), body.get("state") if response.status_code == 200 \
            else None

    async def _schedule(self, move: Move) -> None:
        """The scheduler's jobs, as the worker runs them (both worlds at once)."""
        conn, ctx = self.twins.conn, self.twins.ctx
        STATS[f"label:{move.label}"] += 1
        if move.kind == "exhaust":
            self.oracle.expect(move)
            STATS["exhaust"] += await tasks.exhaust_attempts(conn, ctx, now=datetime.now(UTC))
            return
        # The clock moved on to the end of this item's hold (in both worlds): every item of the
        # example held until then is due, and goes back towards its agency.
        ids = [side.ids for side in self.sides]
        holds = {r["id"]: r["hold_until"] for r in await conn.fetch(
            "SELECT id, hold_until FROM items WHERE id = ANY($1::bigint[]) "
            "AND state IN ('at_branch', 'ready_for_pickup')", ids[0] + ids[1])}
        clock = max(holds[side.ids[move.item]] for side in self.sides)
        due = []
        for index in range(len(self.oracle.items)):
            twins = [holds.get(side.ids[index]) for side in self.sides]
            if all(h is not None and h <= clock for h in twins):
                due.append(index)
            else:
                assert not any(h is not None and h <= clock for h in twins), (
                    "twins straddle the moved clock: make the test's clock coarser")
        self.oracle.expire(due)
        STATS["expired"] += await tasks.expire_holds(conn, ctx, now=clock)

    def teardown(self) -> None:
        ENDED.update(str(item.state) for item in self.oracle.items)

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def custody_holds(self) -> None:
        self._run(self._check())

    async def _check(self) -> None:
        conn, ctx = self.twins.conn, self.twins.ctx
        ids = [i for side in self.sides for i in side.ids]
        if not ids:
            return
        rows = {r["id"]: r for r in await conn.fetch(SNAPSHOT_ITEMS, ids)}
        events: dict[int, list[dict]] = {i: [] for i in ids}
        for e in await conn.fetch(SNAPSHOT_EVENTS, ids):
            events[e["item_id"]].append(dict(e))
        later = datetime.now(UTC) + ctx.handover_alert_after + timedelta(seconds=1)
        alerted = {a.tracking_number for a in await supervisor.alerts(
            conn, ctx, self.twins.admin, now=later) if a.kind == "unconfirmed_handover"}
        logs = []
        for side in self.sides:
            staff_of = {u.id: actor for actor, u in side.staff.users.items()}
            for index, item_id in enumerate(side.ids):
                row, chain_events = rows[item_id], events[item_id]
                self._one(side, index, row, chain_events, staff_of, alerted)
                REACHED.add(row["state"])
            logs.append([[_shape(e) for e in events[i]] for i in side.ids])
        assert logs[0] == logs[1], "the twins' custody logs differ"

    def _one(self, side: Side, index: int, row, chain_events: list[dict],
             staff_of: dict[int, str], alerted: set[str]) -> None:
        model, tn = self.oracle.items[index], row["tracking_number"]
        where = f"world {side.name}, item {index} ({tn})"
        head = chain.Head(length=row["chain_length"], hash=row["chain_head"], state=row["state"])
        fields = [log.chain_fields(e) for e in chain_events]
        assert chain.verify_item(tn, fields, head) == [], where
        assert (row["state"], row["handover_action"], row["failed_attempts"], row["otp_wrong"],
                row["otp_locked"], row["otp_generation"]) == (
            model.state, model.pending, model.attempts, model.wrong, model.locked,
            model.generation), f"{where}: {dict(row)} but the model says {model}"
        if model.courier is not None:
            assert staff_of.get(row["courier_id"]) == model.courier, where
        assert row["codes_sent"] == row["otp_generation"], f"{where}: one SMS per code"
        _proof_of_every_handover(where, model, row, chain_events, staff_of)
        _every_handover_two_sided(where, row, chain_events, staff_of)
        assert (tn in alerted) == (row["handover_action"] is not None), (
            f"{where}: open hand-over {row['handover_action']} alerted: {tn in alerted}")


def _shape(event: dict) -> tuple:
    """What the twins' events must share (their ids, times, staff and hashes differ)."""
    return (event["seq"], event["action"], event["from_state"], event["to_state"],
            event["event_code"], event["emsevt"], event["actor_role"],
            tuple(sorted(event["payload"])))


def _proof_of_every_handover(where: str, model, row, events: list[dict],
                             staff_of: dict[int, str]) -> None:
    """No delivery or collection without a code checked, and for the code the citizen has."""
    for event in events:
        if event["to_state"] not in (State.delivered, State.collected):
            continue
        action, role = ((Action.deliver, "courier") if event["to_state"] == State.delivered
                        else (Action.collect, "branch_clerk"))
        assert (event["action"], event["actor_role"]) == (action, role), (where, event)
        proof = event["payload"].get("proof")
        assert proof is not None, f"{where}: handed over without proof: {event}"
        assert proof["otp_generation"] == row["otp_generation"] >= 1, (where, proof)
        assert proof["id_checked"] == DOC_TYPES[model.doc_type][0], (where, proof)
        assert proof["staff_id"] == event["actor_id"], (where, proof)
        if action == Action.deliver:
            assert staff_of[event["actor_id"]] == model.courier, (where, proof)


def _every_handover_two_sided(where: str, row, events: list[dict],
                              staff_of: dict[int, str]) -> None:
    """Every hand-over given is confirmed by the receiving party, or still open (and then on
    the item, for the alert), or closed by a supervisor's exception."""
    open_give = None
    gives = {str(a) for a in GIVES}
    for k, event in enumerate(events):
        if event["action"] not in gives:
            continue
        action = Action(event["action"])
        rest = [e for e in events[k + 1:] if e["action"] not in ("reissue_code", "unlock_code")]
        if not rest:
            open_give = action
            continue
        nxt = rest[0]
        if nxt["actor_role"] == "supervisor" and nxt["action"] in ("mark_lost", "mark_damaged"):
            continue
        counter, role = COUNTER[action]
        assert (nxt["action"], nxt["actor_role"]) == (counter, role), (
            f"{where}: {action} followed by {nxt['action']} by {nxt['actor_role']}")
        assert nxt["actor_id"] != event["actor_id"], f"{where}: {action} confirmed by its giver"
        if action == Action.to_courier:
            assert staff_of.get(nxt["actor_id"]) in COURIERS
            assert event["payload"]["courier"].endswith(staff_of[nxt["actor_id"]]), (
                f"{where}: taken by another courier than the one named")
    assert row["handover_action"] == (str(open_give) if open_give else None), (
        f"{where}: the item says {row['handover_action']} is open, its log {open_give}")


# --- the test ------------------------------------------------------------------------------------

EXAMPLES, STEPS = 30, 100


@pytest.mark.slow
async def test_a_day_at_the_post_keeps_custody_and_reaches_every_end(client, conn, settings):
    """Stateful, deterministic (`derandomize`): EXAMPLES days of up to STEPS moves each."""
    twins = await build_twins(client, conn, settings)
    CustodyMachine.twins, CustodyMachine.loop = twins, asyncio.get_running_loop()
    REACHED.clear()
    ENDED.clear()
    STATS.clear()
    runner = CustodyMachine.TestCase
    runner.settings = hsettings(max_examples=EXAMPLES, stateful_step_count=STEPS,
                                derandomize=True, database=None, deadline=None,
                                suppress_health_check=list(HealthCheck), print_blob=False)
    started = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, lambda: runner().runTest())
    report = await verify.verify(conn)
    print(f"\ncustody machine: {time.monotonic() - started:.1f} s, reached {sorted(REACHED)}, "
          f"items ended {dict(ENDED)}")
    for name, count in sorted(STATS.items()):
        print(f"  {name}: {count}")
    assert report.breaks == [], report.breaks
    assert ENDS <= REACHED, f"never reached {sorted(ENDS - REACHED)}"
    assert STATS["result:applied"] > STATS["result:rejected"] > 0


# --- an item marked lost or damaged while in an open bag --------------------------------------

@pytest.mark.parametrize("exception", [("lost",), ("damaged",), ("lost", "found")])
async def test_an_item_marked_lost_in_an_open_bag_does_not_hold_the_bag_back(client, conn,
                                                                              exception):
    world = await build_world(client, conn)
    kept, marked = [await submit(world.client, world.key, f"PP-{i}") for i in (1, 2)]
    for tn in (kept, marked):
        await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in (kept, marked):
        await applied(world.client, world.sorter, tn, "bag", bag=bag)
    for path in exception:
        response = await world.client.post(f"/v1/supervisor/items/{marked}/{path}",
                                           json={"reason": "not on the sorting table"},
                                           headers=world.supervisor)
        assert response.status_code == 200, response.text
    sent = await scan(world.client, world.sorter, bag, "dispatch")
    assert sent["status"] == "applied", sent
    assert sent["items"] == 1
    assert await state_of(conn, kept) == "in_transit"
