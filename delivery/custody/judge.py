"""One judge for every handheld scan: the decision, from what was loaded beforehand. No I/O.

`judge` takes the scan, the member of staff and `Seen`: the item as loaded, and what some scans
need besides (the bag named, the courier named, where a returning item is, whether the member of
staff is locked out of hand-overs, the item's bag). Those extras start `UNSET`; when the judge
reaches a check that needs one it answers `Missing(what)`, and the caller loads it and asks again.
So the order of the checks lives here alone, and each writer loads only what its scan needs.

The answer is `Applied` (the transition and everything it writes) or `Refused` (a reason code,
words for the clerk, and what must outlive the refusal: a wrong attempt to count, an alert).
The writers (`optimistic`, `fastscan`, `scans`) differ only in how they guard against change.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from delivery.custody.bags import InvalidBagId, looks_like_bag, normalize_code, parse_bag_id
from delivery.custody.citizen_messages import code_on_entry
from delivery.custody.context import CustodyContext
from delivery.custody.item import ScanItem
from delivery.custody.model import (
    CONFIRMED_BY,
    PROXY_ACTIONS,
    Action,
    Handover,
    Need,
    Place,
    Role,
    State,
    Transition,
    TransitionRefused,
    TypeRules,
    decide,
    parse_action,
    required_proof,
)
from delivery.custody.old_documents import NUMBER_RULE, is_valid_number, normalize_number
from delivery.custody.otp import MAX_WRONG_ATTEMPTS, OtpVerdict, check_otp, verify_otp
from delivery.platform.privacy import mask_name, national_id_hash
from delivery.staff.auth import StaffUser

A = Action
HANDHELD_ACTIONS = frozenset({
    A.receive, A.bag, A.unbag, A.dispatch, A.arrive, A.to_courier, A.take, A.deliver, A.fail,
    A.return_, A.accept, A.shelve, A.collect, A.send_back, A.returned,
})
ScanAction = StrEnum("ScanAction", [(str(a), str(a)) for a in Action if a in HANDHELD_ACTIONS])
ScanAction.__doc__ = "What a handheld scan records (the handheld vocabulary: it may grow)."
FAIL_REASONS = ("absent", "refused", "address_not_found", "unsafe", "wrong_person", "other")
FailReason = StrEnum("FailReason", [(r, r) for r in FAIL_REASONS])
FailReason.__doc__ = "Why a courier could not deliver (`other` needs a `note`)."


# --- what comes in ---------------------------------------------------------------------------

class Proxy(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    id_number: str


class Point(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lon: float


class SignedBy(msgspec.Struct, frozen=True, kw_only=True):
    """Who at the agency signed for a returned item: their name and their ID's last four."""

    name: str
    id_last4: str


class Scan(msgspec.Struct, frozen=True, kw_only=True):
    """One scan as the handheld sent it (validated by the API layer)."""

    scan_id: str
    code: str
    action: str
    at: datetime
    bag: str | None = None
    courier: str | None = None
    otp: str | None = None
    id_last4: str | None = None
    reason: str | None = None
    note: str | None = None
    proxy: Proxy | None = None
    location: Point | None = None
    signed_by: SignedBy | None = None
    old_document_number: str | None = None  # read off the old document at the hand-over
    old_document_lost: bool = False  # or the citizen declares it lost


class ScanResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What became of one scan: `applied` (with the item's `state` now; `items` for a bag),
    `duplicate` (its `scan_id` was seen before), or `rejected` with `error` for the clerk and
    `reason` as a code; `clock_flags` when the handheld's clock looks wrong."""

    scan_id: str
    status: Literal["applied", "duplicate", "rejected"]
    state: State | None = None
    error: str | None = None
    reason: str | None = None
    items: int | None = None
    clock_flags: list[str] = msgspec.field(default_factory=list)


class Bag(msgspec.Struct, frozen=True, kw_only=True):
    """A bag as loaded (`store.SELECT_BAG`)."""

    bag_id: str
    status: str
    origin_id: int
    destination_id: int
    destination_code: str


class Courier(msgspec.Struct, frozen=True, kw_only=True):
    """An active courier as loaded by username (`store.SELECT_COURIER`)."""

    id: int
    site_id: int | None


class InBag(msgspec.Struct, frozen=True, kw_only=True):
    """An item's bags, for an item scanned on arrival on its own."""

    moving: bool  # it is in a dispatched or arrived bag, not confirmed yet
    bagged_for_branch: bool  # it is in a bag for its own branch, whatever the bag's status


class Want(StrEnum):
    """What the judge may ask to be loaded, when the scan needs it."""

    staff_locked = "staff_locked"
    bag = "bag"  # the bag the scan names
    open_bag = "open_bag"  # the open bag the item is in
    courier = "courier"  # the courier the scan names
    place = "place"  # where a returning item is
    in_bag = "in_bag"


class Seen(msgspec.Struct, kw_only=True):
    """What was loaded for one scan of one item; `UNSET` where not loaded (yet)."""

    item: ScanItem | None
    in_bag_id: str | None = None  # the scan is of this bag, applied to each item inside
    staff_locked: bool | UnsetType = UNSET
    bag: Bag | UnsetType | None = UNSET
    open_bag: str | UnsetType | None = UNSET
    courier: Courier | UnsetType | None = UNSET
    place: Place | UnsetType = UNSET
    in_bag: InBag | UnsetType = UNSET


# --- what goes out ---------------------------------------------------------------------------

class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """Something for a supervisor (`store.add_alert`)."""

    kind: str
    detail: str
    item_id: int | None = None
    site_id: int | None = None
    staff_id: int | None = None
    device_id: str | None = None


class WrongAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """A wrong code or wrong ID digits: counted against the code judged (its generation)."""

    item_id: int
    tracking_number: str
    generation: int
    wrong: str  # what was wrong, as the clerk reads it


class Refused(msgspec.Struct, frozen=True, kw_only=True):
    """A refusal: `reason` as a code, `message` for the clerk, what outlives it."""

    reason: str
    message: str
    alert: Alert | None = None
    wrong_attempt: WrongAttempt | None = None
    by_table: bool = False  # the state table itself refused (not a check around it)

    @property
    def has_effects(self) -> bool:
        return self.alert is not None or self.wrong_attempt is not None


class Missing(msgspec.Struct, frozen=True):
    """Load this and ask again."""

    what: Want


class Applied(msgspec.Struct, frozen=True, kw_only=True):
    """A scan to apply: the transition, its event's payload, and everything else it writes."""

    item: ScanItem  # as judged
    action: Action
    transition: Transition
    payload: dict[str, Any]  # the custody event's (no None values)
    handover_set: bool = False  # the item's open hand-over becomes `handover_to`
    handover_to: str | None = None
    code: str | None = None  # a fresh one-time code, sent by the SMS of this kind
    hold_days: int | None = None  # and the hold on the shelf it starts
    count_failure: bool = False
    courier_id: int | None = None  # the item is now this courier's
    into_bag: str | None = None
    out_of_bag: str | None = None
    confirm_in_bag: bool = False  # its moving bag's record of it is confirmed
    alerts: tuple[Alert, ...] = ()
    old_document_taken: bool = False  # the old document becomes an item of its own

    @property
    def state(self) -> State:
        return self.transition.to


Decision = Applied | Refused | Missing


class _No(Exception):
    def __init__(self, refused: Refused) -> None:
        self.refused = refused


class _Load(Exception):
    def __init__(self, what: Want) -> None:
        self.what = what


def _refuse(message: str, reason: str, **effects: Any) -> _No:
    return _No(Refused(reason=reason, message=message, **effects))


# --- the judge -------------------------------------------------------------------------------

def judge(ctx: CustodyContext, staff: StaffUser, scan: Scan, seen: Seen, now: datetime,
          ) -> Decision:
    """The decision on one scan of one item (or of one item of a bag: `seen.in_bag_id`)."""
    try:
        return _judge(ctx, staff, scan, seen, now)
    except _No as no:
        return no.refused
    except _Load as load:
        return Missing(load.what)
    except TransitionRefused as refused:
        return Refused(reason=str(refused.code), message=refused.message, by_table=True)


def _judge(ctx: CustodyContext, staff: StaffUser, scan: Scan, seen: Seen,
           now: datetime) -> Applied:
    action = handheld_action(scan.action)
    item = seen.item
    if seen.in_bag_id is None:
        code = normalize_code(scan.code)
        if action == A.dispatch:
            raise _refuse("dispatch a bag, not a single item: scan the bag's id", "bag_required")
        if item is None:
            raise _refuse(f"no item {code}", "not_found")
    assert item is not None
    _site(staff, item, action, now)  # first: a refusal tells nothing of others' items
    transition = decide(State(item.state), action, Role(staff.role), scan.reason)
    _pending(item, action)
    rules = ctx.rules_of(item.document_type)
    _proxy(rules, item, action, scan)
    out: dict[str, Any] = {"payload": {"scan_id": scan.scan_id, "bag": seen.in_bag_id}}
    needs = required_proof(transition, rules.needs_id_check,
                           item.old_document_number is not None or rules.takes_old_document)
    for need in sorted(needs):
        _NEEDS[need](ctx, rules, staff, scan, seen, transition, now, out)
    handover_set, handover_to = _handover(item, action, transition)
    _after_move(rules, item, action, transition, seen, now, out)
    payload = {k: v for k, v in out.pop("payload").items() if v is not None}
    return Applied(item=item, action=action, transition=transition, payload=payload,
                   handover_set=handover_set, handover_to=handover_to, **out)


def handheld_action(text: str) -> Action:
    """The scan's action, if it is one a handheld may send."""
    try:
        action = parse_action(text)
    except TransitionRefused as refused:
        raise _No(Refused(reason=str(refused.code), message=refused.message)) from None
    if action not in HANDHELD_ACTIONS:
        raise _refuse(f"{text} cannot be scanned on a handheld", "unknown_action")
    return action


def _site(staff: StaffUser, item: ScanItem, action: Action, now: datetime) -> None:
    """Clerks scan only their site's items, couriers only the items assigned to them.

    Worded to tell nothing about the item (neither its branch nor its state): whoever holds it by
    mistake learns only that it is not theirs. The supervisors learn the rest from the alert.
    """
    tn = item.tracking_number
    if staff.role == Role.branch_clerk and item.branch_id != staff.site_id:
        alert = None
        if action == A.arrive:
            alert = Alert(kind="missort", item_id=item.id, site_id=staff.site_id,
                          staff_id=staff.id, device_id=staff.device_id,
                          detail=f"{tn} for {item.branch_code} arrived at {staff.site_code}")
        raise _refuse(f"{tn} is not at your site", "wrong_branch", alert=alert)
    if staff.role == Role.sorting_clerk and item.centre_id not in (None, staff.site_id):
        raise _refuse(f"{tn} is not at your site", "wrong_site")
    if staff.role == Role.courier and item.courier_id != staff.id:
        raise _refuse(f"{tn} is not assigned to you", "not_assigned")


def _pending(item: ScanItem, action: Action) -> None:
    """An open hand-over admits only the scan that confirms it."""
    if item.handover_action is None:
        return
    confirm = CONFIRMED_BY[Action(item.handover_action)]
    if action != confirm:
        raise _refuse(f"{item.tracking_number} awaits the `{confirm}` scan that confirms its "
                      "hand-over first", "handover_unconfirmed")


def _proxy(rules: TypeRules, item: ScanItem, action: Action, scan: Scan) -> None:
    """A proxy may only collect, and only documents whose type allows it."""
    if scan.proxy is not None and not (rules.proxy_allowed and action in PROXY_ACTIONS):
        raise _refuse(f"{item.tracking_number} must be handed to the holder in person",
                      "proxy_not_allowed")


def _handover(item: ScanItem, action: Action, transition: Transition) -> tuple[bool, str | None]:
    """Whether the scan sets the item's open hand-over, and to what."""
    if transition.handover is Handover.give:
        return True, str(action)
    if transition.handover is not Handover.confirm:
        return False, item.handover_action
    # A state-moving counter-scan closes whatever was open; one that stays must close its own.
    if transition.to == item.state and item.handover_action not in givers_confirmed_by(action):
        raise _refuse(f"no hand-over of {item.tracking_number} is waiting for you",
                      "already_done")
    return True, None


def givers_confirmed_by(action: Action) -> list[str]:
    """The giving actions whose hand-over `action` confirms."""
    return [str(give) for give, confirm in CONFIRMED_BY.items() if confirm == action]


def _after_move(rules: TypeRules, item: ScanItem, action: Action, transition: Transition,
                seen: Seen, now: datetime, out: dict[str, Any]) -> None:
    if action == A.arrive and seen.in_bag_id is None:
        in_bag = _loaded(seen.in_bag, Want.in_bag)
        out["confirm_in_bag"] = in_bag.moving
        if not in_bag.moving and item.state == State.in_transit and not in_bag.bagged_for_branch:
            out["alerts"] = (Alert(kind="missort", item_id=item.id, site_id=item.branch_id,
                                   detail=f"{item.tracking_number} arrived at "
                                          f"{item.branch_code} without a bag for it"),)
    code = code_on_entry(item.state, transition, rules)
    if code is not None:
        out["code"], out["hold_days"] = code


def _loaded(value: Any, what: Want) -> Any:
    if value is UNSET:
        raise _Load(what)
    return value


# --- what some transitions need (in the order of Need's values) ------------------------------

def _need_attempt_left(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    # The five-minute job shelves such an item; until it runs, no courier takes it out again.
    item = seen.item
    if item.failed_attempts >= ctx.max_attempts:
        raise _refuse(f"{item.failed_attempts} delivery attempts made: shelve it for pickup",
                      "attempts_exhausted")


def _need_bag(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    item, bag_id = seen.item, bag_code(scan.bag)
    bag = _loaded(seen.bag, Want.bag)
    if bag is None:
        raise _refuse(f"no bag {bag_id}", "not_found")
    if bag.origin_id != staff.site_id:
        raise _refuse(f"bag {bag_id} belongs to another sorting centre", "wrong_site")
    if bag.status != "open":
        raise _refuse(f"bag {bag_id} is closed ({bag.status})", "bag_closed")
    tn, current = item.tracking_number, None
    if scan.action == A.bag:
        if bag.destination_id != item.branch_id:
            raise _refuse(f"{tn} goes to {item.branch_code}; bag {bag_id} is for "
                          f"{bag.destination_code}", "wrong_bag")
        current = _loaded(seen.open_bag, Want.open_bag)
        if current is not None:
            raise _refuse(f"{tn} is already in bag {current}", "already_done")
        out["into_bag"] = bag_id
    else:
        if _loaded(seen.open_bag, Want.open_bag) != bag_id:
            raise _refuse(f"{tn} is not in bag {bag_id}", "not_in_bag")
        out["out_of_bag"] = bag_id
    out["payload"]["bag"] = bag_id


def bag_code(code: str | None) -> str:
    """The canonical bag id of a scanned code, or a refusal the clerk understands."""
    if not code:
        raise _refuse("this scan needs the bag's id (`bag`)", "bag_required")
    try:
        return parse_bag_id(code)
    except InvalidBagId:
        raise _refuse(f"{code} is not a valid bag id (check digit)", "invalid_bag") from None


def _need_courier(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    if not scan.courier:
        raise _refuse("name the courier (`courier`: username)", "courier_required")
    courier = _loaded(seen.courier, Want.courier)
    if courier is None or courier.site_id != staff.site_id:
        raise _refuse(f"{scan.courier} is not a courier of {staff.site_code}", "unknown_courier")
    out["payload"]["courier"] = courier_name(scan.courier)
    out["courier_id"] = courier.id


def courier_name(text: str) -> str:
    """The username a scan's `courier` names."""
    return text.strip().lower()


def _need_id(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    """Judged together with the code (`_need_otp`): a refusal never tells which was wrong."""


def _need_otp(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    item = seen.item
    proxy = proxy_record(ctx, scan.proxy) if scan.proxy is not None else None
    needs_id = rules.needs_id_check
    expected = (proxy["id_last4"] if proxy is not None else item.national_id_last4)
    if _loaded(seen.staff_locked, Want.staff_locked):
        raise _refuse(f"{staff.username} may not hand items over after too many wrong codes or "
                      "ID digits: a supervisor must unlock the account", "staff_locked")
    if item.otp_locked or item.otp_wrong >= MAX_WRONG_ATTEMPTS:
        raise _refuse(locked_words(item.tracking_number), "otp_locked")
    if not scan.otp:
        raise _refuse("the citizen's one-time code is required", "otp_required")
    if needs_id and not scan.id_last4:
        raise _refuse("the last four digits of the ID card are required", "id_required")
    code_ok = item.otp_mac is not None and verify_otp(
        ctx.otp_key, item.tracking_number, scan.otp, item.otp_generation, item.otp_mac)
    id_ok = not needs_id or hmac.compare_digest((scan.id_last4 or "").strip().encode(),
                                                (expected or "-").encode())
    verdict = check_otp(wrong_attempts=item.otp_wrong, locked=False, matched=code_ok and id_ok)
    if verdict.verdict is not OtpVerdict.accept:
        wrong = "the code or the ID digits are wrong" if needs_id else "the code is wrong"
        attempt = WrongAttempt(item_id=item.id, tracking_number=item.tracking_number,
                               generation=item.otp_generation, wrong=wrong)
        raise _No(counted(attempt, item.otp_wrong + 1))
    out["payload"]["proof"] = {**_proof(staff, scan, now, item.otp_generation),
                               "id_checked": needs_id}
    if proxy is not None:  # every proxy, whether or not the type asks for ID digits
        out["payload"]["proof"]["proxy"] = proxy


def counted(attempt: WrongAttempt, wrong: int | None) -> Refused:
    """The refusal of a wrong attempt once counted: `wrong` attempts now, None when it found the
    limit already reached (and so was not counted)."""
    if wrong is None:
        return Refused(reason="otp_locked", message=locked_words(attempt.tracking_number),
                       wrong_attempt=attempt)
    left = MAX_WRONG_ATTEMPTS - wrong
    if left <= 0:
        message = (f"{attempt.wrong}; {attempt.tracking_number} is now locked until a "
                   "supervisor unlocks it")
    else:
        message = f"{attempt.wrong}; {left} {'try' if left == 1 else 'tries'} left"
    return Refused(reason="otp_wrong" if left > 0 else "otp_locked", message=message,
                   wrong_attempt=attempt)


def locked_words(tn: str) -> str:
    return (f"{tn} is locked after {MAX_WRONG_ATTEMPTS} wrong attempts: a supervisor must "
            "unlock it, which sends the citizen a new code")


def proxy_record(ctx: CustodyContext, proxy: Proxy) -> dict[str, Any]:
    """What is kept of a proxy: the name's initials, the last four digits and a keyed hash of
    the ID (the custody log outlives the purge of personal data)."""
    digits = "".join(proxy.id_number.split())
    return {"name": mask_name(proxy.name.strip()), "id_last4": digits[-4:],
            "id_hash": national_id_hash(ctx.id_key, digits).hex()}


def _proof(staff: StaffUser, scan: Scan, now: datetime, generation: int) -> dict[str, Any]:
    point = {"lat": scan.location.lat, "lon": scan.location.lon} if scan.location else None
    return {"by": staff.username, "staff_id": staff.id, "device": staff.device_id,
            "device_at": scan.at.isoformat(), "server_at": now.isoformat(), "point": point,
            "otp_generation": generation, "id_checked": False}


def _need_old_document(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    """The old document's number, read off it, must be the one the agency sent; or the citizen
    declares it lost, which the hand-over records for the agency. A wrong number is refused (and
    kept with the scan's result) but not counted like a wrong code: it guards no secret. When the
    agency sent none (the type always takes the old one back), a well-formed number is recorded
    as read, and the agency told it was not checked."""
    item = seen.item
    expected = item.old_document_number
    if scan.old_document_lost:
        if scan.old_document_number:
            raise _refuse("give the old document's number or declare it lost, not both",
                          "old_document_conflict")
        out["payload"]["old_document"] = {"number": expected, "lost": True}
        return
    if not scan.old_document_number:
        raise _refuse(f"{item.tracking_number} replaces an old document: scan or type its "
                      "number, or record that the citizen declares it lost",
                      "old_document_required")
    read = normalize_number(scan.old_document_number)
    if expected is None:
        if not is_valid_number(read):
            raise _refuse(f"the old document's number must be {NUMBER_RULE}",
                          "old_document_invalid")
        out["payload"]["old_document"] = {"number": read, "lost": False, "checked": False}
    elif hmac.compare_digest(read.encode(), expected.encode()):
        out["payload"]["old_document"] = {"number": expected, "lost": False}
    else:
        raise _refuse(f"{read} is not the old document the agency named for "
                      f"{item.tracking_number}: check the number on it", "old_document_mismatch")
    out["old_document_taken"] = True


def _need_place(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    """The item must be where the row needs it."""
    if _loaded(seen.place, Want.place) == transition.at:
        return
    tn = seen.item.tracking_number
    if transition.at is Place.centre:
        raise _refuse(f"{tn} is not back at the sorting centre: the branch sends it back "
                      "(`send_back`) and the sorting centre accepts it (`accept`) first",
                      "not_at_centre")
    raise _refuse(f"{tn} is already back at the sorting centre", "already_done")


def _need_reason(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    if scan.reason not in FAIL_REASONS:
        raise _refuse(f"the reason must be one of {', '.join(FAIL_REASONS)}", "reason_required")
    if scan.reason == "other" and not (scan.note or "").strip():
        raise _refuse("say what happened (`note`) when the reason is `other`", "note_required")
    out["payload"].update(reason=scan.reason, note=(scan.note or "").strip() or None,
                          attempt=seen.item.failed_attempts + 1)
    out["count_failure"] = True


def _need_signature(ctx, rules, staff, scan, seen, transition, now, out) -> None:
    """The agency takes the item back against a signature: who signed, kept in the log."""
    signed = scan.signed_by
    name = " ".join((signed.name if signed else "").split())
    last4 = (signed.id_last4 if signed else "").strip()
    if not name or not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        raise _refuse("say who signed for it at the agency: their name and the last four "
                      "digits of their ID (`signed_by`)", "signature_required")
    out["payload"]["signed_by"] = {"name": name, "id_last4": last4}


_NEEDS = {Need.attempt_left: _need_attempt_left, Need.bag: _need_bag,
          Need.courier: _need_courier, Need.id_check: _need_id, Need.otp: _need_otp,
          Need.old_document: _need_old_document,
          Need.place: _need_place, Need.reason: _need_reason, Need.signature: _need_signature}


# --- a whole bag -----------------------------------------------------------------------------

class BagScan(msgspec.Struct, frozen=True, kw_only=True):
    """A bag's scan that may go ahead: each item inside is then judged with `in_bag_id`."""

    action: Action
    bag_id: str


def is_bag_scan(scan: Scan) -> bool:
    """Whether the scan names a bag (valid or not) rather than an item."""
    return looks_like_bag(normalize_code(scan.code))


def judge_bag(staff: StaffUser, scan: Scan, bag: Bag | UnsetType | None = UNSET,
              ) -> BagScan | Refused | Missing:
    """The checks of a bag's own scan (dispatch, arrive), before its items."""
    try:
        return _judge_bag(staff, scan, bag)
    except _No as no:
        return no.refused
    except _Load as load:
        return Missing(load.what)


def _judge_bag(staff: StaffUser, scan: Scan, bag: Bag | UnsetType | None) -> BagScan:
    action = handheld_action(scan.action)
    bag_id = bag_code(normalize_code(scan.code))
    if action not in (A.dispatch, A.arrive):
        raise _refuse(f"{action} needs an item's tracking number, not a bag id", "item_required")
    if action == A.dispatch and staff.role != Role.sorting_clerk:
        raise _refuse("only sorting clerks dispatch bags", "role_not_allowed")
    if action == A.arrive and staff.role != Role.branch_clerk:
        raise _refuse("only branch clerks record arrivals", "role_not_allowed")
    found = _loaded(bag, Want.bag)
    if found is None:
        raise _refuse(f"no bag {bag_id}", "not_found")
    if action == A.dispatch:
        if found.origin_id != staff.site_id:
            raise _refuse(f"bag {bag_id} belongs to another sorting centre", "wrong_site")
        if found.status != "open":
            raise _refuse(f"bag {bag_id} was already dispatched", "already_done")
    else:
        if found.destination_id != staff.site_id:
            raise _refuse(f"bag {bag_id} is for {found.destination_code}, not {staff.site_code}",
                          "wrong_branch", alert=Alert(
                              kind="missort", site_id=staff.site_id, staff_id=staff.id,
                              device_id=staff.device_id, detail=f"bag {bag_id} for "
                              f"{found.destination_code} arrived at {staff.site_code}"))
        if found.status != "dispatched":
            said = "already arrived" if found.status == "arrived" else "not dispatched yet"
            raise _refuse(f"bag {bag_id} {said}", "already_done")
    return BagScan(action=action, bag_id=bag_id)


def empty_bag(bag_id: str, rerouted: bool) -> Refused:
    """A bag with nothing left in it for its branch is not dispatched."""
    why = ": its items go to other branches now" if rerouted else ""
    return Refused(reason="bag_empty", message=f"bag {bag_id} is empty{why}")


def in_bag(refused: Refused, item: ScanItem, bag_id: str) -> Refused:
    """An item's refusal as its bag's: the state table's words say which item."""
    if not refused.by_table:
        return refused
    return msgspec.structs.replace(
        refused, message=f"{item.tracking_number} in bag {bag_id}: {refused.message}")
