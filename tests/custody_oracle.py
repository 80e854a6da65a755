"""An oracle for the stateful custody test: items, bags and staff as plain Python, the moves a day
at the post is made of, and what each move must give.

It knows no database. Transitions come from the state table (`model.TRANSITIONS` through
`decide`); everything else a scan is judged on (whose item it is, open hand-overs, bags, couriers,
codes and ID digits, attempts, where a returning item is) is modelled here, in the order the
rules state it, so that the refusal code of a wrong move is predicted too.

Actors are logical: each exists once in each of the twin worlds the test drives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from delivery.custody.model import (
    CONFIRMED_BY,
    FINAL_STATES,
    TRANSITIONS,
    Action,
    Handover,
    Need,
    Place,
    Role,
    State,
    TransitionRefused,
    decide,
)
from delivery.custody.otp import MAX_WRONG_ATTEMPTS, STAFF_MAX_WRONG_ATTEMPTS
from delivery.custody.scans import FAIL_REASONS

S, A = State, Action

SORTER, CLERK, COURIER, COURIER2 = "sorter", "clerk", "courier", "courier2"
OTHER_CLERK, SUPERVISOR, AGENCY, SCHEDULER = "other_clerk", "supervisor", "agency", "scheduler"
ROLE_OF = {SORTER: Role.sorting_clerk, CLERK: Role.branch_clerk, COURIER: Role.courier,
           COURIER2: Role.courier, OTHER_CLERK: Role.branch_clerk}
COURIERS = (COURIER, COURIER2)
HOME, OTHER = "home", "other"  # the branch serving the items, and another one
NEW_HOME_BAG, NEW_OTHER_BAG = -1, -2  # a bag the driver opens before the move is judged

# What the hand-over rules of a document type are (delivery/custody/doctypes.py):
# (needs the holder's ID digits, a proxy may collect).
DOC_TYPES = {"passport": (True, False), "continuity_confirmation": (False, True),
             "degree_certificate": (True, True)}
PROXY = {"name": "Omar Ali Hassan", "id_number": "200112346789"}
PROXY_LAST4 = "6789"
# The giving scan, the counter-scan that confirms it, and who must make that one.
COUNTER = {A.dispatch: (A.arrive, Role.branch_clerk), A.to_courier: (A.take, Role.courier),
           A.return_: (A.accept, Role.branch_clerk), A.send_back: (A.accept, Role.sorting_clerk)}
GIVES = frozenset(COUNTER)
MAX_ITEMS = 14  # per example, each one twice (a twin in each world)

# Weights of the valid moves: the journey forward, the side steps, the exceptions.
FORWARD, SIDE, RARE = 24, 6, 1


@dataclass
class Item:
    index: int
    doc_type: str
    last4: str
    state: State = S.registered
    pending: Action | None = None  # the giving scan awaiting its counter-scan
    place: Place | None = None  # where a returning item is
    bag: int | None = None  # the open bag it is in
    travelled_in: int | None = None  # the bag it was dispatched in
    courier: str | None = None
    attempts: int = 0
    wrong: int = 0
    locked: bool = False
    generation: int = 0  # codes sent to the citizen
    held: bool = False  # on a hold that may expire

    @property
    def needs_id(self) -> bool:
        return DOC_TYPES[self.doc_type][0]

    @property
    def proxy_allowed(self) -> bool:
        return DOC_TYPES[self.doc_type][1]

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass
class Bag:
    index: int
    branch: str
    status: str = "open"
    members: list[int] = field(default_factory=list)  # in it now (open) or when dispatched


@dataclass(frozen=True)
class Move:
    """One thing done, by one logical actor; `label` says whether it is meant to be valid or
    which kind of mistake it is."""

    label: str
    kind: str  # scan, register, cancel, supervise, unlock_staff, expire, exhaust, duplicate
    actor: str
    action: str = ""
    item: int | None = None
    bag: int | None = None  # the `bag` of a bag/unbag scan
    on_bag: int | None = None  # the scanned code is this bag's id
    courier: str | None = None  # logical courier, or a username that is not one
    otp: str = "none"  # right, wrong, none
    id4: str = "none"  # right, wrong, none
    proxy: bool = False
    reason: str | None = None
    note: str | None = None
    doc_type: str | None = None
    duplicate_of: int | None = None  # index in the oracle's history of scans

    @property
    def valid(self) -> bool:
        return self.label == "valid"


@dataclass(frozen=True)
class Expect:
    status: str  # applied, rejected, duplicate; or an HTTP status code
    state: str | None = None
    reason: str | None = None
    items: int | None = None


def _rejected(reason: str) -> Expect:
    return Expect(status="rejected", reason=reason)


class Oracle:
    def __init__(self, *, max_attempts: int, staff_wrong: dict[str, int],
                 staff_locked: set[str]) -> None:
        self.max_attempts = max_attempts
        self.items: list[Item] = []
        self.bags: list[Bag] = []
        self.staff_wrong = dict(staff_wrong)
        self.staff_locked = set(staff_locked)
        self.history: list[str | None] = []  # the state each scan sent so far gave (or None)

    # --- the world grows ------------------------------------------------------------------

    def open_bag(self, branch: str) -> int:
        self.bags.append(Bag(index=len(self.bags), branch=branch))
        return len(self.bags) - 1

    def open_bag_for(self, branch: str) -> int | None:
        return next((b.index for b in self.bags if b.branch == branch and b.status == "open"),
                    None)

    # --- what a move gives ----------------------------------------------------------------

    def expect(self, move: Move) -> Expect:
        """What `move` must give; the model moves on as the system must."""
        handler = getattr(self, f"_{move.kind}")
        expected = handler(move)
        if move.kind in ("scan", "duplicate"):
            # What a repeat of it answers: the state it gave (a repeat's is its original's).
            given = expected.status in ("applied", "duplicate")
            self.history.append(expected.state if given else None)
        return expected

    def _register(self, move: Move) -> Expect:
        assert move.doc_type is not None
        index = len(self.items)
        self.items.append(Item(index=index, doc_type=move.doc_type, last4=f"{5000 + index:04d}"))
        return Expect(status="201", state=S.registered)

    def _duplicate(self, move: Move) -> Expect:
        assert move.duplicate_of is not None
        return Expect(status="duplicate", state=self.history[move.duplicate_of])

    def _cancel(self, move: Move) -> Expect:
        item = self.items[move.item]
        try:
            transition = decide(item.state, A.cancel, Role.agency)
        except TransitionRefused:
            return Expect(status="409")
        if transition.out_of_bag and item.bag is not None:
            self.bags[item.bag].members.remove(item.index)
            item.bag = None
        self._move(item, A.cancel, transition)
        return Expect(status="200", state=transition.to)

    def _supervise(self, move: Move) -> Expect:
        item = self.items[move.item]
        action = Action(move.action)
        try:
            transition = decide(item.state, action, Role.supervisor)
        except TransitionRefused:
            return Expect(status="409")
        if action in (A.reissue_code, A.unlock_code):
            if action == A.unlock_code and not item.locked:
                return Expect(status="409")
            self._new_code(item)
            return Expect(status="200", state=item.state)
        assert item.bag is None, "the machine marks no item in an open bag (see the xfail test)"
        self._move(item, action, transition)
        item.pending = None
        return Expect(status="200", state=transition.to)

    def _unlock_staff(self, move: Move) -> Expect:
        target = move.courier
        if target not in self.staff_locked:
            return Expect(status="409")
        self.staff_locked.discard(target)
        self.staff_wrong[target] = 0
        return Expect(status="200")

    def _exhaust(self, move: Move) -> Expect:
        for item in self.items:
            if item.state == S.at_branch and item.attempts >= self.max_attempts \
                    and item.pending is None:
                self._move(item, A.max_attempts, decide(item.state, A.max_attempts,
                                                        Role.scheduler))
        return Expect(status="done")

    def expire(self, due: list[int]) -> None:
        """The items whose hold ran out by the moved clock go back towards their agency."""
        for index in due:
            item = self.items[index]
            self._move(item, A.expire_hold, decide(item.state, A.expire_hold, Role.scheduler))

    def _scan(self, move: Move) -> Expect:
        if move.on_bag is not None:
            return self._bag_scan(move)
        item = self.items[move.item]
        role, action = ROLE_OF[move.actor], Action(move.action)
        if action == A.dispatch:
            return _rejected("bag_required")
        refusal = self._site(move, item)
        if refusal:
            return _rejected(refusal)
        try:
            transition = decide(item.state, action, role, move.reason)
        except TransitionRefused as refused:
            return _rejected(str(refused.code))
        if item.pending is not None and action != CONFIRMED_BY[item.pending]:
            return _rejected("handover_unconfirmed")
        if move.proxy and not (item.proxy_allowed and action == A.collect):
            return _rejected("proxy_not_allowed")
        needs = transition.needs if item.needs_id else transition.needs - {Need.id_check}
        for need in sorted(needs):
            refusal = self._need(need, move, item, transition)
            if refusal:
                return _rejected(refusal)
        if transition.handover is Handover.confirm and transition.to == item.state \
                and CONFIRMED_BY.get(item.pending) != action:
            return _rejected("already_done")
        if action == A.bag:
            item.bag = move.bag
            self.bags[move.bag].members.append(item.index)
        elif action == A.unbag:
            self.bags[move.bag].members.remove(item.index)
            item.bag = None
        elif action == A.to_courier:
            item.courier = move.courier
        elif action == A.fail:
            item.attempts += 1
        self._move(item, action, transition)
        return Expect(status="applied", state=transition.to)

    def _site(self, move: Move, item: Item) -> str | None:
        if move.actor == OTHER_CLERK:
            return "wrong_branch"
        if ROLE_OF[move.actor] == Role.courier and item.courier != move.actor:
            return "not_assigned"
        return None

    def _need(self, need: Need, move: Move, item: Item, transition) -> str | None:
        if need is Need.attempt_left:
            return "attempts_exhausted" if item.attempts >= self.max_attempts else None
        if need is Need.bag:
            return self._bag_need(move, item)
        if need is Need.courier:
            if not move.courier:
                return "courier_required"
            return None if move.courier in COURIERS else "unknown_courier"
        if need is Need.otp:
            return self._code(move, item)
        if need is Need.place:
            if item.place == transition.at:
                return None
            return "not_at_centre" if transition.at is Place.centre else "already_done"
        if need is Need.reason:
            if move.reason not in FAIL_REASONS:
                return "reason_required"
            return "note_required" if move.reason == "other" and not move.note else None
        return None  # the ID digits are judged with the code

    def _bag_need(self, move: Move, item: Item) -> str | None:
        if move.bag is None:
            return "bag_required"
        bag = self.bags[move.bag]
        if bag.status != "open":
            return "bag_closed"
        if Action(move.action) == A.unbag:
            return None if item.bag == bag.index else "not_in_bag"
        if bag.branch != HOME:
            return "wrong_bag"
        return "already_done" if item.bag is not None else None

    def _code(self, move: Move, item: Item) -> str | None:
        if move.actor in self.staff_locked:
            return "staff_locked"
        if item.locked:
            return "otp_locked"
        if move.otp == "none":
            return "otp_required"
        if item.needs_id and move.id4 == "none":
            return "id_required"
        if move.otp == "right" and (not item.needs_id or move.id4 == "right"):
            return None
        item.wrong += 1  # counted once the scan is undone, for the item and the staff member
        item.locked = item.wrong >= MAX_WRONG_ATTEMPTS
        self.staff_wrong[move.actor] = self.staff_wrong.get(move.actor, 0) + 1
        if self.staff_wrong[move.actor] >= STAFF_MAX_WRONG_ATTEMPTS:
            self.staff_locked.add(move.actor)
        return "otp_locked" if item.locked else "otp_wrong"

    def _bag_scan(self, move: Move) -> Expect:
        bag, role, action = self.bags[move.on_bag], ROLE_OF[move.actor], Action(move.action)
        if action == A.dispatch:
            if role != Role.sorting_clerk:
                return _rejected("role_not_allowed")
            if bag.status != "open":
                return _rejected("already_done")
            if not bag.members:
                return _rejected("bag_empty")
            for index in bag.members:
                item = self.items[index]
                self._move(item, A.dispatch, decide(item.state, A.dispatch, role))
                item.bag, item.travelled_in = None, bag.index
            bag.status = "dispatched"
            return Expect(status="applied", state=S.in_transit, items=len(bag.members))
        if action == A.arrive:
            if role != Role.branch_clerk:
                return _rejected("role_not_allowed")
            if (bag.branch == HOME) != (move.actor == CLERK):
                return _rejected("wrong_branch")
            if bag.status != "dispatched":
                return _rejected("already_done")
            moving = [self.items[i] for i in bag.members if self.items[i].state == S.in_transit]
            for item in moving:
                self._move(item, A.arrive, decide(item.state, A.arrive, role))
            bag.status = "arrived"
            return Expect(status="applied", state=S.at_branch, items=len(moving))
        return _rejected("item_required")

    def _move(self, item: Item, action: Action, transition) -> None:
        before = item.state
        if transition.handover is Handover.give:
            item.pending = action
        elif transition.handover is Handover.confirm:
            item.pending = None
        item.state = transition.to
        if transition.puts is not None:
            item.place = transition.puts
        if item.state != S.returning:
            item.place = None
        if item.state != before and item.state in (S.out_for_delivery, S.ready_for_pickup):
            self._new_code(item)
            item.held = item.held or item.state == S.ready_for_pickup

    @staticmethod
    def _new_code(item: Item) -> None:
        item.generation += 1
        item.wrong, item.locked = 0, False

    # --- the moves on offer ---------------------------------------------------------------

    def valid_moves(self) -> list[tuple[int, Move]]:
        """Every valid move with its weight."""
        moves: list[tuple[int, Move]] = []
        active = [i for i in self.items if not i.final or i.state == S.lost]  # lost: found
        if len(self.items) < MAX_ITEMS:
            weight = FORWARD * 2 if len(active) < 3 else FORWARD // 2
            for doc_type in DOC_TYPES:
                moves.append((weight, Move("valid", "register", AGENCY, doc_type=doc_type)))
        dispatchable, arriving = set(), set()
        for item in active:
            moves += self._valid_for(item, dispatchable, arriving)
        for bag in dispatchable:
            moves.append((FORWARD, _scan(SORTER, A.dispatch, on_bag=bag)))
        for bag in arriving:
            moves.append((FORWARD, _scan(CLERK, A.arrive, on_bag=bag)))
        for actor in sorted(self.staff_locked):
            moves.append((FORWARD, Move("valid", "unlock_staff", SUPERVISOR, courier=actor)))
        if any(i.state == S.at_branch and i.attempts >= self.max_attempts and i.pending is None
               for i in active):
            moves.append((FORWARD, Move("valid", "exhaust", SCHEDULER)))
        return moves

    def _valid_for(self, item: Item, dispatchable: set[int],
                   arriving: set[int]) -> list[tuple[int, Move]]:
        i, state, pending = item.index, item.state, item.pending
        moves: list[tuple[int, Move]] = []
        if state == S.registered:
            moves += [(FORWARD, _scan(SORTER, A.receive, i)), (RARE, _cancel(i))]
        elif state == S.received and item.bag is None:
            bag = self.open_bag_for(HOME)
            moves += [(FORWARD, _scan(SORTER, A.bag, i, bag=NEW_HOME_BAG if bag is None else bag)),
                      (SIDE, _cancel(i))]
        elif state == S.received:
            dispatchable.add(item.bag)
            moves += [(RARE, _scan(SORTER, A.unbag, i, bag=item.bag)), (SIDE, _cancel(i))]
        elif state == S.in_transit:
            if self.bags[item.travelled_in].status == "dispatched":
                arriving.add(item.travelled_in)
            moves.append((SIDE, _scan(CLERK, A.arrive, i)))
        elif state == S.at_branch and pending == A.return_:
            moves.append((FORWARD, _scan(CLERK, A.accept, i)))
        elif state == S.at_branch:
            if item.attempts < self.max_attempts:
                for courier in COURIERS:
                    moves.append((FORWARD // 2, _scan(CLERK, A.to_courier, i, courier=courier)))
            moves += [(FORWARD // 2, _scan(CLERK, A.shelve, i)), (RARE, _scan(CLERK, A.arrive, i))]
        elif state == S.out_for_delivery and pending == A.to_courier:
            moves.append((FORWARD, _scan(item.courier, A.take, i)))
        elif state == S.out_for_delivery:
            if not item.locked and item.courier not in self.staff_locked:
                moves.append((FORWARD, _scan(item.courier, A.deliver, i, otp="right",
                                             id4=self._id4(item))))
            reason = FAIL_REASONS[(item.index + item.attempts) % len(FAIL_REASONS)]
            moves.append((FORWARD // 2, _scan(item.courier, A.fail, i, reason=reason,
                                              note="gate locked" if reason == "other" else None)))
        elif state == S.delivery_failed:
            moves.append((FORWARD, _scan(item.courier, A.return_, i)))
        elif state == S.ready_for_pickup:
            if not item.locked and CLERK not in self.staff_locked:
                moves.append((FORWARD, _scan(CLERK, A.collect, i, otp="right",
                                             id4=self._id4(item))))
                if item.proxy_allowed:
                    moves.append((SIDE, _scan(CLERK, A.collect, i, otp="right", proxy=True,
                                              id4="right" if item.needs_id else "none")))
            moves.append((SIDE, Move("valid", "expire", SCHEDULER, item=i)))
        elif state == S.returning and pending == A.send_back:
            moves.append((FORWARD, _scan(SORTER, A.accept, i)))
        elif state == S.returning and item.place == Place.branch:
            moves.append((FORWARD, _scan(CLERK, A.send_back, i)))
        elif state == S.returning:
            moves.append((FORWARD, _scan(SORTER, A.returned, i)))
        elif state == S.lost:
            moves.append((SIDE, _supervise(A.found, i)))
        if state in (S.out_for_delivery, S.ready_for_pickup):
            if item.locked:
                moves.append((FORWARD, _supervise(A.unlock_code, i)))
            moves.append((RARE, _supervise(A.reissue_code, i)))
        if item.bag is None and not item.final:  # never from an open bag: see the xfail test
            mark = A.mark_lost if item.index % 3 else A.mark_damaged
            moves.append((RARE, _supervise(mark, i)))
        return moves

    @staticmethod
    def _id4(item: Item) -> str:
        return "right" if item.needs_id else "none"

    def wrong_moves(self) -> list[Move]:
        """Moves that must be refused, each kind of mistake once per item it applies to."""
        moves: list[Move] = []
        for item in self.items:
            moves += self._wrong_for(item)
        for bag in self.bags:
            if bag.status == "open" and bag.branch == OTHER:
                moves.append(_scan(SORTER, A.dispatch, on_bag=bag.index, label="empty_bag"))
            if bag.status == "dispatched" and bag.branch == HOME:
                moves += [_scan(OTHER_CLERK, A.arrive, on_bag=bag.index, label="wrong_site"),
                          _scan(SORTER, A.dispatch, on_bag=bag.index, label="wrong_state"),
                          _scan(COURIER, A.arrive, on_bag=bag.index, label="wrong_role")]
            if bag.status == "arrived":
                moves.append(_scan(CLERK, A.arrive, on_bag=bag.index, label="wrong_state"))
        if self.history:
            moves.append(Move("duplicate", "duplicate", SORTER, duplicate_of=-1))
        return moves

    def _wrong_for(self, item: Item) -> list[Move]:
        i, state = item.index, item.state
        moves: list[Move] = []
        # An action the table does not allow in this state, by a role that may take it.
        for action, actor in ((A.receive, SORTER), (A.shelve, CLERK), (A.send_back, CLERK),
                              (A.returned, SORTER), (A.take, item.courier or COURIER),
                              (A.deliver, item.courier or COURIER), (A.accept, CLERK),
                              (A.dispatch, SORTER)):
            if (state, action) not in TRANSITIONS:
                moves.append(_scan(actor, action, i, otp="right", id4=self._id4(item),
                                   label="wrong_state"))
        for move in [m for _, m in self._valid_for(item, set(), set())
                     if m.kind == "scan"]:
            role = ROLE_OF[move.actor]
            wrong_actor = SORTER if role != Role.sorting_clerk else CLERK
            moves.append(dataclasses.replace(move, actor=wrong_actor, label="wrong_role"))
            if role == Role.branch_clerk:
                moves.append(dataclasses.replace(move, actor=OTHER_CLERK, label="wrong_site"))
            if role == Role.courier:
                other = COURIER2 if move.actor == COURIER else COURIER
                moves.append(dataclasses.replace(move, actor=other, label="wrong_site"))
        if state == S.out_for_delivery and item.pending is None:
            moves += self._wrong_codes(item, item.courier, A.deliver)
            moves.append(_scan(item.courier, A.deliver, i, otp="right", id4=self._id4(item),
                               proxy=True, label="proxy"))
            moves.append(_scan(item.courier, A.fail, i, label="no_reason"))
            moves.append(_scan(item.courier, A.fail, i, reason="other", label="no_reason"))
        if state == S.out_for_delivery and item.pending == A.to_courier:
            moves.append(_scan(item.courier, A.deliver, i, otp="right", id4=self._id4(item),
                               label="before_take"))
        if state == S.ready_for_pickup:
            moves += self._wrong_codes(item, CLERK, A.collect)
            if not item.proxy_allowed:
                moves.append(_scan(CLERK, A.collect, i, otp="right", id4="right", proxy=True,
                                   label="proxy"))
        if state == S.at_branch and item.pending is None:
            if item.attempts >= self.max_attempts:
                moves.append(_scan(CLERK, A.to_courier, i, courier=COURIER, label="exhausted"))
            else:
                moves += [_scan(CLERK, A.to_courier, i, label="no_courier"),
                          _scan(CLERK, A.to_courier, i, courier="no-such-courier",
                                label="no_courier")]
        if state == S.at_branch and item.pending == A.return_:
            moves.append(_scan(CLERK, A.shelve, i, label="unconfirmed"))
        if state == S.returning and item.pending == A.send_back:
            moves.append(_scan(SORTER, A.returned, i, label="unconfirmed"))
        if state == S.returning and item.pending is None:
            action, actor = ((A.returned, SORTER) if item.place == Place.branch
                             else (A.send_back, CLERK))
            moves.append(_scan(actor, action, i, label="wrong_place"))
        if state == S.received and item.bag is None:
            other = self.open_bag_for(OTHER)
            moves.append(_scan(SORTER, A.bag, i, bag=NEW_OTHER_BAG if other is None else other,
                               label="wrong_bag"))
        if state == S.received and item.bag is not None:
            moves.append(_scan(SORTER, A.bag, i, bag=item.bag, label="bagged_twice"))
        if state not in (S.registered, S.received):
            moves.append(Move("late_cancel", "cancel", AGENCY, item=i))
        if state in (S.out_for_delivery, S.ready_for_pickup) and not item.locked:
            moves.append(Move("not_locked", "supervise", SUPERVISOR, A.unlock_code, item=i))
        if state != S.lost:
            moves.append(Move("not_lost", "supervise", SUPERVISOR, A.found, item=i))
        return moves

    def _wrong_codes(self, item: Item, actor: str, action: Action) -> list[Move]:
        i = item.index
        moves = [_scan(actor, action, i, otp="wrong", id4=self._id4(item), label="wrong_code"),
                 _scan(actor, action, i, otp="none", id4=self._id4(item), label="no_code")]
        if item.needs_id:
            moves += [_scan(actor, action, i, otp="right", id4="wrong", label="wrong_id"),
                      _scan(actor, action, i, otp="right", id4="none", label="no_id")]
        return moves


def _scan(actor: str, action: Action, item: int | None = None, *, label: str = "valid",
          **extra) -> Move:
    return Move(label, "scan", actor, str(action), item=item, **extra)


def _cancel(item: int) -> Move:
    return Move("valid", "cancel", AGENCY, item=item)


def _supervise(action: Action, item: int) -> Move:
    return Move("valid", "supervise", SUPERVISOR, str(action), item=item)
