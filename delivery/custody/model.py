"""States of a document, the actions that move it, who may cause them: one table, no tangle of ifs.

The table `TRANSITIONS` maps `(state, action)` to a `Transition`. A row whose target equals its
source is an event that does not move the item (a bag scan, a counter-scan, a citizen's choice,
the citizen's answer after the hand-over). `ENTRY` holds the rows with no state before them:
the agency's registration, the first event of every item's log; and the taking back of an old
document at the hand-over of the new one, the first event of the old document's own log.

On the way back to the agency one state, `returning`, covers two places: still at the branch, or
back at the sorting centre. Rows say which place they need (`at`) and which place they leave the
item in (`puts`); the item's custody log, where those rows are recorded, says where it is now.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

import msgspec


class State(StrEnum):
    """Where an item is in its journey; the last six are final."""

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
    # How an item enters the table: the agency's submission.
    register = "register"
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
    reissue_code = "reissue_code"
    unlock_code = "unlock_code"
    expire_hold = "expire_hold"
    max_attempts = "max_attempts"
    choose_home = "choose_home"
    choose_pickup = "choose_pickup"
    share_location = "share_location"
    reschedule = "reschedule"
    report = "report"  # the citizen's answer to "did anyone ask you for money?"
    # The first event of an old document taken back at the new one's hand-over (`ENTRY`).
    take_old = "take_old"


class Role(StrEnum):
    agency = "agency"
    sorting_clerk = "sorting_clerk"
    branch_clerk = "branch_clerk"
    courier = "courier"
    supervisor = "supervisor"
    admin = "admin"
    citizen = "citizen"
    # The help desk, recording a citizen's choice on their behalf once an SMS code confirmed it.
    helpdesk = "helpdesk"
    scheduler = "scheduler"
    # Tasheel itself, carrying out what another party's act implies (a recall, a new branch).
    system = "system"


class Need(StrEnum):
    """What a scan must carry, or what must hold of the item, for the transition to be applied."""

    otp = "otp"
    id_check = "id_check"  # only when the document type asks for it: see `required_proof`
    reason = "reason"
    bag = "bag"
    courier = "courier"
    attempt_left = "attempt_left"  # fewer failed home deliveries than DELIVERY_MAX_ATTEMPTS
    place = "place"  # the item is where the row's `at` says
    signature = "signature"  # who at the agency signed for it (`signed_by`)
    # The old document's number read back (or its loss declared): only for an item the agency
    # sent an old document's number with (see `required_proof`).
    old_document = "old_document"


class Place(StrEnum):
    """Where a `returning` item physically is: the state alone does not say."""

    branch = "branch"
    centre = "centre"


class Handover(StrEnum):
    """A hand-over is two scans: the giver's (`give`) and the receiver's (`confirm`)."""

    give = "give"
    confirm = "confirm"


class ReturnReason(StrEnum):
    """Why an item goes back to its agency: recorded on the event that sends it back, shown to
    the agency (`return_reason`) and carried by the webhook."""

    refused = "refused"  # the citizen refused the document at the door
    not_theirs = "not_theirs"  # the citizen said it is not theirs (courier's `wrong_person`)
    hold_expired = "hold_expired"  # nobody collected it from the shelf in time
    recalled = "recalled"  # the agency cancelled it while the post had it
    found_after_loss = "found_after_loss"  # marked lost, found: never on without the agency
    old_document = "old_document"  # the old document a new one replaced, taken at its hand-over
    # Every attempt at the door failed and nobody collected it from the shelf in time:
    unreachable = "unreachable"  # the citizen was never found in
    address_not_found = "address_not_found"  # the courier's last attempt never found the door


def unreached(last_failure_reason: str | None) -> ReturnReason:
    """Why an item whose attempts at the door ran out goes back, by its last attempt's reason."""
    if last_failure_reason == "address_not_found":
        return ReturnReason.address_not_found
    return ReturnReason.unreachable


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    to: State
    roles: frozenset[Role]
    event_code: str
    emsevt: str | None = None
    needs: frozenset[Need] = frozenset()
    handover: Handover | None = None
    at: Place | None = None  # where the item must be (with `Need.place`)
    puts: Place | None = None  # where the item is once this row is applied
    out_of_bag: bool = False  # the item leaves an open bag it is in, as the system's `unbag`
    return_reason: ReturnReason | None = None  # why a row into `returning` sends it back


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
_CITIZEN_OR_DESK = frozenset({R.citizen, R.helpdesk})
_AGENCY = frozenset({R.agency})
_SYSTEM = frozenset({R.system})
_BRANCH_PLACE, _CENTRE = Place.branch, Place.centre

_GIVE, _CONFIRM = Handover.give, Handover.confirm


def _t(to, roles, event_code, emsevt=None, needs=(), handover=None, *, at=None, puts=None,
       out_of_bag=False, return_reason=None) -> Transition:
    return Transition(
        to=to,
        roles=roles,
        event_code=event_code,
        emsevt=emsevt,
        needs=frozenset(needs) | ({Need.place} if at else set()),
        handover=handover,
        at=at,
        puts=puts,
        out_of_bag=out_of_bag,
        return_reason=return_reason,
    )


# States entered with a fresh one-time code (the SMS carrying it: `citizen_messages`).
CODE_STATES = frozenset({State.out_for_delivery, State.ready_for_pickup})

_HANDHELD_ROWS: dict[tuple[State, Action], Transition] = {
    (S.registered, A.receive): _t(S.received, _SORTING, "received", "EDD", handover=_CONFIRM),
    (S.received, A.bag): _t(S.received, _SORTING, "bagged", needs=[Need.bag]),
    # Also the system's, when a recall or a new branch means the item must not travel in it.
    (S.received, A.unbag): _t(S.received, _SORTING | _SYSTEM, "unbagged", needs=[Need.bag]),
    (S.received, A.dispatch): _t(S.in_transit, _SORTING, "dispatched", "EDE", handover=_GIVE),
    (S.in_transit, A.arrive): _t(S.at_branch, _BRANCH, "arrived", "EMG", handover=_CONFIRM),
    # An item scanned on its own after its bag: confirms it really was in the bag.
    (S.at_branch, A.arrive): _t(S.at_branch, _BRANCH, "arrival_confirmed"),
    # Refused at the scan once the attempts are used up; `max_attempts` then shelves the item.
    (S.at_branch, A.to_courier): _t(
        S.out_for_delivery, _BRANCH, "handed_to_courier", "EDG",
        [Need.attempt_left, Need.courier], _GIVE
    ),
    (S.out_for_delivery, A.take): _t(S.out_for_delivery, _COURIER, "taken", handover=_CONFIRM),
    (S.out_for_delivery, A.deliver): _t(
        S.delivered, _COURIER, "delivered", "EMI", [Need.otp, Need.id_check, Need.old_document]
    ),
    (S.out_for_delivery, A.fail): _t(
        S.delivery_failed, _COURIER, "delivery_failed", "EMH", [Need.reason]
    ),
    (S.delivery_failed, A.return_): _t(S.at_branch, _COURIER, "returned_to_branch", handover=_GIVE),
    (S.at_branch, A.accept): _t(S.at_branch, _BRANCH, "accepted", handover=_CONFIRM),
    (S.at_branch, A.shelve): _t(S.ready_for_pickup, _BRANCH, "shelved", "EDH"),
    (S.ready_for_pickup, A.collect): _t(
        S.collected, _BRANCH, "collected", "EMI", [Need.otp, Need.id_check, Need.old_document]
    ),
    # A document refused at the door is still in the courier's hands: the courier records
    # bringing it back to the branch, which then sends it back (`send_back`). Not a two-party
    # hand-over: the returning `accept` is the sorting centre's, and the branch's `send_back` is
    # the scan that shows it has the item.
    (S.returning, A.return_): _t(
        S.returning, _COURIER, "returned_to_branch", at=_BRANCH_PLACE
    ),
    (S.returning, A.send_back): _t(
        S.returning, _BRANCH, "sent_back", handover=_GIVE, at=_BRANCH_PLACE
    ),
    # The sorting centre's counter-scan of an item sent back by a branch.
    (S.returning, A.accept): _t(
        S.returning, _SORTING, "accepted", handover=_CONFIRM, puts=_CENTRE
    ),
    # The agency signs for it at the sorting centre: only once the centre has it back.
    (S.returning, A.returned): _t(
        S.returned_to_agency, _SORTING, "returned_to_agency", needs=[Need.signature], at=_CENTRE
    ),
}

_SCHEDULER_ROWS: dict[tuple[State, Action], Transition] = {
    (S.at_branch, A.expire_hold): _t(
        S.returning, _SCHEDULER, "hold_expired", puts=_BRANCH_PLACE,
        return_reason=ReturnReason.hold_expired
    ),
    (S.ready_for_pickup, A.expire_hold): _t(
        S.returning, _SCHEDULER, "hold_expired", puts=_BRANCH_PLACE,
        return_reason=ReturnReason.hold_expired
    ),
    # Only from at_branch: a delivery_failed item is still in the courier's hands, so it cannot
    # be offered for pickup until the courier has returned it and the clerk has accepted it.
    (S.at_branch, A.max_attempts): _t(S.ready_for_pickup, _SCHEDULER, "attempts_exhausted", "EDH"),
}

_AGENCY_ROWS = {
    # Never handed to the post: nothing to bring back.
    (S.registered, A.cancel): _t(S.cancelled, _AGENCY, "cancelled"),
    # Physically in the sorting centre (perhaps in an open bag): it goes back to the agency
    # against the agency's signature (`returned`), like any other returning item.
    (S.received, A.cancel): _t(
        S.returning, _AGENCY, "cancelled", puts=_CENTRE, out_of_bag=True,
        return_reason=ReturnReason.recalled
    ),
}

_SUPERVISOR_ROWS = {
    # An item marked while in the sorting centre leaves any open bag it is in: it will not
    # travel, and must not hold the rest of the bag back.
    **{
        (state, A.mark_lost): _t(S.lost, _SUPERVISOR, "lost", needs=[Need.reason],
                                 out_of_bag=state == S.received)
        for state in ACTIVE_STATES
    },
    **{
        (state, A.mark_damaged): _t(S.damaged, _SUPERVISOR, "damaged", needs=[Need.reason],
                                    out_of_bag=state == S.received)
        for state in ACTIVE_STATES
    },
    # A document once lost may have been copied or misused: it goes back to the issuing agency,
    # never on to the citizen without the agency deciding so, through its branch's `send_back`.
    (S.lost, A.found): _t(
        S.returning, _SUPERVISOR, "found", needs=[Need.reason], puts=_BRANCH_PLACE,
        return_reason=ReturnReason.found_after_loss
    ),
    # A new one-time code (the old one dies), asked for or after a lock: recorded, never moving.
    **{
        (state, action): _t(state, _SUPERVISOR, code, needs=[Need.reason])
        for state in CODE_STATES
        for action, code in ((A.reissue_code, "code_reissued"), (A.unlock_code, "code_unlocked"))
    },
}

# Citizens may change their mind until the item is on a shelf or in a courier's hands, and
# tell where and when to bring it until then too; the help desk may record the same choices for
# a citizen without a smartphone, once a code sent to the citizen's phone confirmed who called.
CHOICE_STATES = frozenset({S.registered, S.received, S.in_transit, S.at_branch, S.delivery_failed})
_CITIZEN_ROWS = {
    **{
        (state, action): _t(state, _CITIZEN_OR_DESK, code)
        for state in CHOICE_STATES
        for action, code in ((A.choose_home, "chose_home"), (A.choose_pickup, "chose_pickup"),
                             (A.share_location, "shared_location"),
                             (A.reschedule, "rescheduled"))
    },
    # Asked once the document is in their hands: the only rows out of a final state, and they
    # leave it where it is.
    **{(state, A.report): _t(state, _CITIZEN, "reported") for state in (S.delivered, S.collected)},
}

# An old document taken back at the hand-over of the new one: an item of its own, entering its log
# already on its way back, in the hands of the courier or clerk who took it (at the branch's
# place: the courier brings it back with `return`, the branch sends it back with `send_back`).
_OLD_DOCUMENT = _t(
    S.returning, _COURIER | _BRANCH, "old_document_taken", puts=_BRANCH_PLACE,
    return_reason=ReturnReason.old_document)

# The agency's API submission is the posting of the item (EMSEVT "EMA").
ENTRY: Mapping[Action, Transition] = MappingProxyType({
    A.register: _t(INITIAL_STATE, _AGENCY, "registered", "EMA"), A.take_old: _OLD_DOCUMENT})

TRANSITIONS: Mapping[tuple[State, Action], Transition] = MappingProxyType(
    {
        **_HANDHELD_ROWS,
        **_SCHEDULER_ROWS,
        **_AGENCY_ROWS,
        **_SUPERVISOR_ROWS,
        **_CITIZEN_ROWS,
    }
)

# A failed attempt whose reason ends all attempts: the citizen refused the document, or said it is
# not theirs, so it goes back to its agency at once (through its branch's `send_back`) instead of
# waiting for another round. Keyed also by the scan's `reason`; other reasons take the plain
# `(state, action)` row.
SENT_BACK_AT_ONCE: Mapping[str, ReturnReason] = MappingProxyType(
    {"refused": ReturnReason.refused, "wrong_person": ReturnReason.not_theirs})
BY_REASON: Mapping[tuple[State, Action, str], Transition] = MappingProxyType({
    (S.out_for_delivery, A.fail, reason): _t(
        S.returning, _COURIER, "sent_back_at_door", "EMH", [Need.reason], puts=_BRANCH_PLACE,
        return_reason=why)
    for reason, why in SENT_BACK_AT_ONCE.items()
})

# --- what a document type and a state ask of a hand-over, as data -----------------------------


class TypeRules(Protocol):
    """What a document type asks of its hand-over (`doctypes.DocumentType` is one)."""

    needs_id_check: bool  # the last four digits of the holder's (or proxy's) national ID too
    proxy_allowed: bool  # someone else may collect it, showing their own ID
    hold_days: int  # days on the shelf before it goes back to the agency
    takes_old_document: bool  # the old document is taken back even when no number was sent


class _Rules(msgspec.Struct, frozen=True, kw_only=True):
    needs_id_check: bool
    proxy_allowed: bool
    hold_days: int
    takes_old_document: bool = False


# A type nobody defined: the cautious side, as for `other` (ID checked, holder only, 14 days).
UNKNOWN_TYPE: TypeRules = _Rules(needs_id_check=True, proxy_allowed=False, hold_days=14)


def type_rules(doc_type: TypeRules | None) -> TypeRules:
    """The hand-over rules of a document type as looked up; the one fallback when unknown."""
    return UNKNOWN_TYPE if doc_type is None else doc_type


# Entering these starts the type's hold (`hold_days`) ...
HOLD_STARTS = frozenset({State.ready_for_pickup})
# ... which, once over, ends in these states with `expire_hold`.
HOLD_STATES = frozenset(s for (s, a) in _SCHEDULER_ROWS if a == Action.expire_hold)


# The only actions a proxy may take, for types that allow one.
PROXY_ACTIONS = frozenset({Action.collect})


# The rows that put an item in a place, and the place of a returning item none of them put.
PLACING: Mapping[tuple[State, Action], Place] = MappingProxyType(
    {key: row.puts for key, row in TRANSITIONS.items() if row.puts is not None}
    | {(state, action): row.puts for (state, action, _), row in BY_REASON.items()}
)
UNPLACED = Place.branch
# The actions whose rows need to know where the item is (`Need.place`).
PLACE_ACTIONS = frozenset(a for (_, a), row in TRANSITIONS.items() if Need.place in row.needs)

# Actions whose scanned code may be a bag id: the per-item row is applied to each item inside.
BAG_LEVEL_ACTIONS = frozenset({A.dispatch, A.arrive})

# For each giving action, the counter-scan that completes the hand-over.
CONFIRMED_BY: Mapping[Action, Action] = MappingProxyType(
    {A.dispatch: A.arrive, A.to_courier: A.take, A.return_: A.accept, A.send_back: A.accept}
)


def decide(state: State, action: Action, role: Role, reason: str | None = None) -> Transition:
    """Return the transition `role` may make with `action` from `state` (for the scan's
    `reason`, where the reason decides: `BY_REASON`), or refuse it."""
    transition = TRANSITIONS.get((state, action))
    if reason is not None and transition is not None:
        transition = BY_REASON.get((state, action, reason), transition)
    if transition is not None and role in transition.roles:
        return transition
    raise _refusal(state, action, role, transition)


def allowed_actions(state: State, role: Role) -> frozenset[Action]:
    """Every action `role` may take on an item in `state`."""
    return frozenset(a for (s, a), t in TRANSITIONS.items() if s == state and role in t.roles)


def required_proof(transition: Transition, needs_id_check: bool,
                   old_document: bool = False) -> frozenset[Need]:
    """What the scan must carry, given whether the document type needs the holder's ID checked
    and whether the item replaces an old document to be taken back."""
    dropped = ({Need.id_check} if not needs_id_check else set()) | (
        {Need.old_document} if not old_document else set())
    return transition.needs - dropped


def parse_action(text: str) -> Action:
    """The `Action` named by a scan's `action` field, or a refusal naming the unknown word."""
    try:
        return Action(text)
    except ValueError:
        raise TransitionRefused(
            RefusalCode.unknown_action, f"unknown action {text!r}", {"action": text}
        ) from None


def allowed_anywhere(role: Role) -> list[Action]:
    """Every action `role` may take from at least one state, in the order of `Action`."""
    return [a for a in Action if role in roles_for(a)]


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
    A.reissue_code: "send new codes",
    A.unlock_code: "unlock codes",
    A.expire_hold: "end holds",
    A.max_attempts: "end delivery attempts",
    A.choose_home: "choose home delivery",
    A.choose_pickup: "choose pickup",
    A.share_location: "share a location",
    A.reschedule: "choose a delivery day",
    A.report: "answer whether anyone asked for money",
    A.register: "register items",
    A.take_old: "take old documents back",
}

_ROLE_PLURALS: Mapping[Role, str] = {
    R.agency: "agencies",
    R.sorting_clerk: "sorting clerks",
    R.branch_clerk: "branch clerks",
    R.courier: "couriers",
    R.supervisor: "supervisors",
    R.admin: "administrators",
    R.citizen: "citizens",
    R.helpdesk: "the help desk",
    R.scheduler: "scheduled jobs",
    R.system: "the system",
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
