"""States of a document, the actions that move it, who may cause them: one table, no tangle of ifs.

The table `TRANSITIONS` maps `(state, action)` to a `Transition`. A row whose target equals its
source is an event that does not move the item (a bag scan, a counter-scan, a citizen's choice).
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

import msgspec


class State(StrEnum):
    registered = "registered"
    received = "received"
    in_transit = "in_transit"
    at_branch = "at_branch"
    out_for_delivery = "out_for_delivery"
    delivery_failed = "delivery_failed"
    ready_for_pickup = "ready_for_pickup"
    delivered = "delivered"
    collected = "collected"
    returning = "returning"
    returned_to_agency = "returned_to_agency"
    cancelled = "cancelled"
    lost = "lost"
    damaged = "damaged"


class Action(StrEnum):
    # The handheld vocabulary (API.md): may grow, never renamed.
    receive = "receive"
    bag = "bag"
    unbag = "unbag"
    dispatch = "dispatch"
    arrive = "arrive"
    to_courier = "to_courier"
    take = "take"
    deliver = "deliver"
    fail = "fail"
    return_ = "return"
    accept = "accept"
    shelve = "shelve"
    collect = "collect"
    send_back = "send_back"
    returned = "returned"
    # Not scanned on a handheld.
    cancel = "cancel"
    mark_lost = "mark_lost"
    mark_damaged = "mark_damaged"
    found = "found"
    expire_hold = "expire_hold"
    max_attempts = "max_attempts"
    choose_home = "choose_home"
    choose_pickup = "choose_pickup"


class Role(StrEnum):
    agency = "agency"
    sorting_clerk = "sorting_clerk"
    branch_clerk = "branch_clerk"
    courier = "courier"
    supervisor = "supervisor"
    admin = "admin"
    citizen = "citizen"
    scheduler = "scheduler"


class Need(StrEnum):
    """What a scan must carry for the transition to be applied."""

    otp = "otp"
    id_check = "id_check"  # only when the document type asks for it: see `required_proof`
    reason = "reason"
    bag = "bag"
    courier = "courier"


class Handover(StrEnum):
    """A hand-over is two scans: the giver's (`give`) and the receiver's (`confirm`)."""

    give = "give"
    confirm = "confirm"


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    to: State
    roles: frozenset[Role]
    event_code: str
    emsevt: str | None = None
    needs: frozenset[Need] = frozenset()
    handover: Handover | None = None


class RefusalCode(StrEnum):
    role_not_allowed = "role_not_allowed"
    final_state = "final_state"
    already_done = "already_done"
    wrong_state = "wrong_state"
    unknown_action = "unknown_action"


class TransitionRefused(Exception):
    """A scan or command that the custody rules do not allow; `message` is for the clerk."""

    def __init__(self, code: RefusalCode, message: str, params: Mapping[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = dict(params or {})


INITIAL_STATE = State.registered
REGISTRATION_EMSEVT = "EMA"  # the agency's API submission is the posting of the item

FINAL_STATES = frozenset(
    {
        State.delivered,
        State.collected,
        State.returned_to_agency,
        State.cancelled,
        State.lost,
        State.damaged,
    }
)
ACTIVE_STATES = frozenset(State) - FINAL_STATES

S, A, R = State, Action, Role
_SORTING = frozenset({R.sorting_clerk})
_BRANCH = frozenset({R.branch_clerk})
_COURIER = frozenset({R.courier})
_SUPERVISOR = frozenset({R.supervisor})
_SCHEDULER = frozenset({R.scheduler})
_CITIZEN = frozenset({R.citizen})
_AGENCY = frozenset({R.agency})

_GIVE, _CONFIRM = Handover.give, Handover.confirm


def _t(to, roles, event_code, emsevt=None, needs=(), handover=None) -> Transition:
    return Transition(
        to=to,
        roles=roles,
        event_code=event_code,
        emsevt=emsevt,
        needs=frozenset(needs),
        handover=handover,
    )


_HANDHELD_ROWS: dict[tuple[State, Action], Transition] = {
    (S.registered, A.receive): _t(S.received, _SORTING, "received", "EDD", handover=_CONFIRM),
    (S.received, A.bag): _t(S.received, _SORTING, "bagged", needs=[Need.bag]),
    (S.received, A.unbag): _t(S.received, _SORTING, "unbagged", needs=[Need.bag]),
    (S.received, A.dispatch): _t(S.in_transit, _SORTING, "dispatched", "EDE", handover=_GIVE),
    (S.in_transit, A.arrive): _t(S.at_branch, _BRANCH, "arrived", "EMG", handover=_CONFIRM),
    # An item scanned on its own after its bag: confirms it really was in the bag.
    (S.at_branch, A.arrive): _t(S.at_branch, _BRANCH, "arrival_confirmed"),
    (S.at_branch, A.to_courier): _t(
        S.out_for_delivery, _BRANCH, "handed_to_courier", "EDG", [Need.courier], _GIVE
    ),
    (S.out_for_delivery, A.take): _t(S.out_for_delivery, _COURIER, "taken", handover=_CONFIRM),
    (S.out_for_delivery, A.deliver): _t(
        S.delivered, _COURIER, "delivered", "EMI", [Need.otp, Need.id_check]
    ),
    (S.out_for_delivery, A.fail): _t(
        S.delivery_failed, _COURIER, "delivery_failed", "EMH", [Need.reason]
    ),
    (S.delivery_failed, A.return_): _t(S.at_branch, _COURIER, "returned_to_branch", handover=_GIVE),
    (S.at_branch, A.accept): _t(S.at_branch, _BRANCH, "accepted", handover=_CONFIRM),
    (S.at_branch, A.shelve): _t(S.ready_for_pickup, _BRANCH, "shelved", "EDH"),
    (S.ready_for_pickup, A.collect): _t(
        S.collected, _BRANCH, "collected", "EMI", [Need.otp, Need.id_check]
    ),
    (S.returning, A.send_back): _t(S.returning, _BRANCH, "sent_back", handover=_GIVE),
    # The sorting centre's counter-scan of an item sent back by a branch.
    (S.returning, A.accept): _t(S.returning, _SORTING, "accepted", handover=_CONFIRM),
    (S.returning, A.returned): _t(S.returned_to_agency, _SORTING, "returned_to_agency"),
}

_SCHEDULER_ROWS: dict[tuple[State, Action], Transition] = {
    (S.at_branch, A.expire_hold): _t(S.returning, _SCHEDULER, "hold_expired"),
    (S.ready_for_pickup, A.expire_hold): _t(S.returning, _SCHEDULER, "hold_expired"),
    # Only from at_branch: a delivery_failed item is still in the courier's hands, so it cannot
    # be offered for pickup until the courier has returned it and the clerk has accepted it.
    (S.at_branch, A.max_attempts): _t(S.ready_for_pickup, _SCHEDULER, "attempts_exhausted", "EDH"),
}

_AGENCY_ROWS = {
    (state, A.cancel): _t(S.cancelled, _AGENCY, "cancelled") for state in (S.registered, S.received)
}

_SUPERVISOR_ROWS = {
    **{
        (state, A.mark_lost): _t(S.lost, _SUPERVISOR, "lost", needs=[Need.reason])
        for state in ACTIVE_STATES
    },
    **{
        (state, A.mark_damaged): _t(S.damaged, _SUPERVISOR, "damaged", needs=[Need.reason])
        for state in ACTIVE_STATES
    },
    # A document once lost may have been copied or misused: it goes back to the issuing agency,
    # never on to the citizen without the agency deciding so.
    (S.lost, A.found): _t(S.returning, _SUPERVISOR, "found", needs=[Need.reason]),
}

# Citizens may change their mind until the item is on a shelf or in a courier's hands.
CHOICE_STATES = frozenset({S.registered, S.received, S.in_transit, S.at_branch, S.delivery_failed})
_CITIZEN_ROWS = {
    (state, action): _t(state, _CITIZEN, code)
    for state in CHOICE_STATES
    for action, code in ((A.choose_home, "chose_home"), (A.choose_pickup, "chose_pickup"))
}

TRANSITIONS: Mapping[tuple[State, Action], Transition] = MappingProxyType(
    {
        **_HANDHELD_ROWS,
        **_SCHEDULER_ROWS,
        **_AGENCY_ROWS,
        **_SUPERVISOR_ROWS,
        **_CITIZEN_ROWS,
    }
)

# Actions whose scanned code may be a bag id: the per-item row is applied to each item inside.
BAG_LEVEL_ACTIONS = frozenset({A.dispatch, A.arrive})

# For each giving action, the counter-scan that completes the hand-over.
CONFIRMED_BY: Mapping[Action, Action] = MappingProxyType(
    {A.dispatch: A.arrive, A.to_courier: A.take, A.return_: A.accept, A.send_back: A.accept}
)


def decide(state: State, action: Action, role: Role) -> Transition:
    """Return the transition `role` may make with `action` from `state`, or refuse it."""
    transition = TRANSITIONS.get((state, action))
    if transition is not None and role in transition.roles:
        return transition
    raise _refusal(state, action, role, transition)


def allowed_actions(state: State, role: Role) -> frozenset[Action]:
    """Every action `role` may take on an item in `state`."""
    return frozenset(a for (s, a), t in TRANSITIONS.items() if s == state and role in t.roles)


def required_proof(transition: Transition, needs_id_check: bool) -> frozenset[Need]:
    """What the scan must carry, given whether the document type needs the holder's ID checked."""
    if needs_id_check:
        return transition.needs
    return transition.needs - {Need.id_check}


def parse_action(text: str) -> Action:
    """The `Action` named by a scan's `action` field, or a refusal naming the unknown word."""
    try:
        return Action(text)
    except ValueError:
        raise TransitionRefused(
            RefusalCode.unknown_action, f"unknown action {text!r}", {"action": text}
        ) from None


def roles_for(action: Action) -> frozenset[Role]:
    """Every role that may take `action` from at least one state."""
    return frozenset(r for (_, a), t in TRANSITIONS.items() if a == action for r in t.roles)


# --- refusal messages, worded for a clerk holding a handheld ---------------------------------

_STATE_PHRASES: Mapping[State, str] = {
    S.registered: "not in the sorting centre yet",
    S.received: "in the sorting centre",
    S.in_transit: "on its way to the branch",
    S.at_branch: "at the branch",
    S.out_for_delivery: "out with a courier",
    S.delivery_failed: "with the courier after a failed attempt",
    S.ready_for_pickup: "on the shelf waiting for pickup",
    S.delivered: "already delivered",
    S.collected: "already collected",
    S.returning: "on its way back to the agency",
    S.returned_to_agency: "already returned to the agency",
    S.cancelled: "cancelled by the agency",
    S.lost: "marked lost",
    S.damaged: "marked damaged",
}

_ACTION_PHRASES: Mapping[Action, str] = {
    A.receive: "receive items",
    A.bag: "put items in bags",
    A.unbag: "take items out of bags",
    A.dispatch: "dispatch items",
    A.arrive: "record arrivals",
    A.to_courier: "hand items to couriers",
    A.take: "take items from the branch",
    A.deliver: "deliver items",
    A.fail: "record failed deliveries",
    A.return_: "return items to the branch",
    A.accept: "accept hand-overs",
    A.shelve: "shelve items",
    A.collect: "hand items over for pickup",
    A.send_back: "send items back",
    A.returned: "return items to the agency",
    A.cancel: "cancel items",
    A.mark_lost: "mark items lost",
    A.mark_damaged: "mark items damaged",
    A.found: "mark items found",
    A.expire_hold: "end holds",
    A.max_attempts: "end delivery attempts",
    A.choose_home: "choose home delivery",
    A.choose_pickup: "choose pickup",
}

_ROLE_PLURALS: Mapping[Role, str] = {
    R.agency: "agencies",
    R.sorting_clerk: "sorting clerks",
    R.branch_clerk: "branch clerks",
    R.courier: "couriers",
    R.supervisor: "supervisors",
    R.admin: "administrators",
    R.citizen: "citizens",
    R.scheduler: "scheduled jobs",
}

# Where the generic "cannot …: the item is …" says less than the rule itself.
_WRONG_STATE_OVERRIDES: Mapping[Action, str] = {
    A.cancel: "already left the sorting centre",
    A.choose_home: "too late to change the choice",
    A.choose_pickup: "too late to change the choice",
}


def _refusal(
    state: State, action: Action, role: Role, transition: Transition | None
) -> TransitionRefused:
    params = {"state": str(state), "action": str(action), "role": str(role)}
    if role not in roles_for(action):
        message = f"{_ROLE_PLURALS[role]} cannot {_ACTION_PHRASES[action]}"
        return TransitionRefused(RefusalCode.role_not_allowed, message, params)
    if transition is not None:
        message = (
            f"{_ROLE_PLURALS[role]} cannot {_ACTION_PHRASES[action]}"
            f" when the item is {_STATE_PHRASES[state]}"
        )
        return TransitionRefused(RefusalCode.role_not_allowed, message, params)
    return _state_refusal(state, action, params)


def _state_refusal(state: State, action: Action, params: dict[str, str]) -> TransitionRefused:
    if state in FINAL_STATES:
        return TransitionRefused(RefusalCode.final_state, _STATE_PHRASES[state], params)
    if state in _targets_of(action):
        message = f"already {_STATE_PHRASES[state]}"
        return TransitionRefused(RefusalCode.already_done, message, params)
    message = _WRONG_STATE_OVERRIDES.get(action)
    if message is None:
        message = f"cannot {_ACTION_PHRASES[action]}: the item is {_STATE_PHRASES[state]}"
    return TransitionRefused(RefusalCode.wrong_state, message, params)


def _targets_of(action: Action) -> frozenset[State]:
    return frozenset(t.to for (s, a), t in TRANSITIONS.items() if a == action and t.to != s)
