"""The judge of handheld scans, read as the rules: every decision from values, no database."""

from datetime import UTC, datetime

import msgspec
import pytest

from delivery.custody import judge
from delivery.custody.bags import new_bag_id
from delivery.custody.context import CustodyContext
from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES
from delivery.custody.item import ScanItem
from delivery.custody.judge import (
    Applied,
    Bag,
    Courier,
    InBag,
    Missing,
    Proxy,
    Refused,
    Scan,
    Seen,
    SignedBy,
    Want,
)
from delivery.custody.model import Place, State
from delivery.custody.otp import MAX_WRONG_ATTEMPTS, otp_mac
from delivery.staff.auth import StaffUser

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CTX = CustodyContext(otp_key=b"k" * 32, id_key=b"i" * 32, types=DEFAULT_DOCUMENT_TYPES,
                     max_attempts=2)
CENTRE, BRANCH, OTHER_BRANCH = 1, 2, 3
BAG = new_bag_id(7)

SORTER = StaffUser(id=10, username="sorter", role="sorting_clerk", site_id=CENTRE,
                   site_code="SC-BG", site_kind="sorting_centre", device_id="d1")
CLERK = StaffUser(id=11, username="clerk", role="branch_clerk", site_id=BRANCH,
                  site_code="BG-006", site_kind="branch", device_id="d2")
COURIER = StaffUser(id=12, username="ali", role="courier", site_id=BRANCH, site_code="BG-006",
                    site_kind="branch", device_id="d3")


def item(state: str = "registered", **fields) -> ScanItem:
    values = dict(id=1, state=state, agency_id=1, tracking_number="RR000000000IQ",
                  external_ref="R-1", document_type="passport", branch_id=BRANCH,
                  branch_code="BG-006", centre_id=CENTRE, centre_code="SC-BG", courier_id=None,
                  national_id_last4="5678", otp_mac=None, otp_generation=0, otp_wrong=0,
                  otp_locked=False, failed_attempts=0, handover_action=None, chain_length=1,
                  chain_head=b"h" * 32)
    return ScanItem(**{**values, **fields})


def scan(action: str, **fields) -> Scan:
    return Scan(scan_id="s1", code=fields.pop("code", "RR000000000IQ"), action=action, at=NOW,
                **fields)


def decide(staff: StaffUser, s: Scan, seen: Seen | ScanItem | None):
    seen = seen if isinstance(seen, Seen) else Seen(item=seen)
    return judge.judge(CTX, staff, s, seen, NOW)


def with_code(state: str, code: str = "123456", **fields) -> ScanItem:
    mac = otp_mac(CTX.otp_key, "RR000000000IQ", code, 1)
    return item(state, otp_mac=mac, otp_generation=1, **fields)


# --- the order of the checks -------------------------------------------------------------------

def test_a_receive_moves_the_item_and_closes_no_hand_over_it_does_not_have():
    decision = decide(SORTER, scan("receive"), item())
    assert isinstance(decision, Applied) and decision.state == State.received
    assert decision.payload == {"scan_id": "s1"} and decision.code is None


def test_another_sites_item_is_refused_before_anything_about_it_is_told():
    decision = decide(CLERK, scan("shelve"), item("delivered", branch_id=OTHER_BRANCH))
    assert isinstance(decision, Refused)
    assert (decision.reason, decision.message) == ("wrong_branch",
                                                   "RR000000000IQ is not at your site")


def test_an_arrival_at_the_wrong_branch_is_refused_with_a_missort_alert():
    decision = decide(CLERK, scan("arrive"), item("in_transit", branch_id=OTHER_BRANCH))
    assert decision.reason == "wrong_branch" and decision.alert.kind == "missort"
    assert decision.has_effects


def test_a_courier_scans_only_the_items_assigned_to_them():
    decision = decide(COURIER, scan("take"), item("out_for_delivery", courier_id=99))
    assert decision.reason == "not_assigned"


def test_the_state_table_refuses_in_its_own_words():
    decision = decide(SORTER, scan("receive"), item("received"))
    assert (decision.reason, decision.message) == ("already_done",
                                                   "already in the sorting centre")
    assert decision.by_table


def test_an_open_hand_over_admits_only_its_counter_scan():
    held = item("out_for_delivery", courier_id=COURIER.id, handover_action="to_courier")
    refused = decide(COURIER, scan("fail", reason="absent"), held)
    assert refused.reason == "handover_unconfirmed"
    taken = decide(COURIER, scan("take"), held)
    assert isinstance(taken, Applied) and taken.handover_set and taken.handover_to is None


def test_a_counter_scan_with_nothing_to_confirm_is_already_done():
    decision = decide(COURIER, scan("take"), item("out_for_delivery", courier_id=COURIER.id))
    assert decision.reason == "already_done"


def test_a_giving_scan_opens_its_hand_over():
    decision = decide(SORTER, scan("dispatch", code=BAG), Seen(item=item("received"),
                                                               in_bag_id=BAG))
    assert decision.handover_set and decision.handover_to == "dispatch"
    assert decision.payload == {"scan_id": "s1", "bag": BAG}


def test_an_item_is_dispatched_only_in_its_bag():
    assert decide(SORTER, scan("dispatch"), item("received")).reason == "bag_required"


def test_an_unknown_tracking_number_is_not_found():
    assert decide(SORTER, scan("receive", code="rr 999999999iq"), None).message == \
        "no item RR999999999IQ"


def test_actions_a_handheld_cannot_send_are_refused_by_name():
    assert decide(SORTER, scan("cancel"), item()).reason == "unknown_action"
    assert decide(SORTER, scan("dance"), item()).message == "unknown action 'dance'"


# --- proxies, attempts, couriers, reasons ------------------------------------------------------

def test_a_proxy_may_collect_only_a_type_that_allows_one():
    proxy = Proxy(name="Ahmed Ali", id_number="1990 1234 9999")
    passport = with_code("ready_for_pickup")
    assert decide(CLERK, scan("collect", otp="123456", id_last4="9999", proxy=proxy),
                  passport).reason == "proxy_not_allowed"
    degree = with_code("ready_for_pickup", document_type="degree_certificate")
    seen = Seen(item=degree, staff_locked=False)
    applied = decide(CLERK, scan("collect", otp="123456", id_last4="9999", proxy=proxy), seen)
    assert applied.state == State.collected
    assert applied.payload["proof"]["proxy"]["id_last4"] == "9999"


def test_an_unknown_document_type_is_handled_like_other_the_cautious_side():
    rules = CTX.rules_of("no_such_type")
    assert (rules.needs_id_check, rules.proxy_allowed, rules.hold_days) == (True, False, 14)


def test_no_courier_takes_an_item_out_again_after_the_last_attempt():
    decision = decide(CLERK, scan("to_courier", courier="ali"),
                      item("at_branch", failed_attempts=2))
    assert (decision.reason, decision.message) == (
        "attempts_exhausted", "2 delivery attempts made: shelve it for pickup")


def test_handing_to_a_courier_names_one_of_the_branch_and_issues_the_citizen_a_code():
    s = scan("to_courier", courier=" Ali ")
    assert decide(CLERK, scan("to_courier"), item("at_branch")).reason == "courier_required"
    assert decide(CLERK, s, item("at_branch")) == Missing(Want.courier)
    stranger = Seen(item=item("at_branch"), courier=Courier(id=50, site_id=OTHER_BRANCH))
    assert decide(CLERK, s, stranger).reason == "unknown_courier"
    applied = decide(CLERK, s, Seen(item=item("at_branch"), courier=Courier(id=12,
                                                                            site_id=BRANCH)))
    assert (applied.courier_id, applied.payload["courier"]) == (12, "ali")
    assert (applied.code, applied.hold_days) == ("out_for_delivery", None)


def test_shelving_issues_a_pickup_code_and_starts_the_types_hold():
    applied = decide(CLERK, scan("shelve"), item("at_branch", document_type="driving_licence"))
    assert (applied.code, applied.hold_days) == ("ready_for_pickup", 14)


def test_a_failed_delivery_needs_a_reason_and_is_counted():
    mine = item("out_for_delivery", courier_id=COURIER.id, failed_attempts=1)
    assert decide(COURIER, scan("fail"), mine).reason == "reason_required"
    assert decide(COURIER, scan("fail", reason="other"), mine).reason == "note_required"
    applied = decide(COURIER, scan("fail", reason="other", note=" dog "), mine)
    assert applied.count_failure
    assert applied.payload == {"scan_id": "s1", "reason": "other", "note": "dog", "attempt": 2}


# --- codes and ID digits -----------------------------------------------------------------------

def _delivery(**fields) -> Scan:
    return scan("deliver", **fields)


def test_the_judge_asks_whether_the_courier_is_locked_out_before_judging_a_code():
    mine = with_code("out_for_delivery", courier_id=COURIER.id)
    assert decide(COURIER, _delivery(otp="123456", id_last4="5678"), mine) == \
        Missing(Want.staff_locked)
    locked = Seen(item=mine, staff_locked=True)
    assert decide(COURIER, _delivery(otp="123456"), locked).reason == "staff_locked"


def test_a_right_code_and_id_digits_deliver_with_the_proof_recorded():
    seen = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id), staff_locked=False)
    applied = decide(COURIER, _delivery(otp="١٢٣٤٥٦", id_last4="5678"), seen)
    assert applied.state == State.delivered
    proof = applied.payload["proof"]
    assert (proof["otp_generation"], proof["id_checked"], proof["by"]) == (1, True, "ali")


def test_a_wrong_code_or_wrong_digits_is_one_wrong_attempt_that_never_says_which():
    seen = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id), staff_locked=False)
    wrong_code = decide(COURIER, _delivery(otp="000000", id_last4="5678"), seen)
    wrong_id = decide(COURIER, _delivery(otp="123456", id_last4="0000"), seen)
    assert wrong_code.message == wrong_id.message == \
        "the code or the ID digits are wrong; 4 tries left"
    assert wrong_code.wrong_attempt.generation == 1 and wrong_code.has_effects


def test_the_last_wrong_attempt_locks_the_item_and_a_locked_item_is_refused():
    last = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id,
                               otp_wrong=MAX_WRONG_ATTEMPTS - 1), staff_locked=False)
    assert decide(COURIER, _delivery(otp="000000", id_last4="5678"), last).reason == "otp_locked"
    locked = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id, otp_locked=True),
                  staff_locked=False)
    refused = decide(COURIER, _delivery(otp="123456", id_last4="5678"), locked)
    assert refused.reason == "otp_locked" and refused.wrong_attempt is None


def test_a_wrong_attempt_is_worded_as_it_was_really_counted():
    attempt = judge.WrongAttempt(item_id=1, tracking_number="RR000000000IQ", generation=1,
                                 wrong="the code is wrong")
    assert judge.counted(attempt, 4).message == "the code is wrong; 1 try left"
    assert judge.counted(attempt, 5).reason == "otp_locked"
    assert judge.counted(attempt, None).message.startswith("RR000000000IQ is locked")


def test_a_type_without_an_id_check_needs_the_code_only():
    seen = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id,
                               document_type="continuity_confirmation"), staff_locked=False)
    assert decide(COURIER, _delivery(otp="123456"), seen).payload["proof"]["id_checked"] is False
    assert decide(COURIER, _delivery(otp="654321"), seen).message == \
        "the code is wrong; 4 tries left"


def test_missing_code_or_digits_are_asked_for_and_not_counted():
    seen = Seen(item=with_code("out_for_delivery", courier_id=COURIER.id), staff_locked=False)
    assert decide(COURIER, _delivery(), seen).reason == "otp_required"
    assert decide(COURIER, _delivery(otp="123456"), seen).reason == "id_required"


# --- bags and places ---------------------------------------------------------------------------

def _bag(**fields) -> Bag:
    return Bag(**{**dict(bag_id=BAG, status="open", origin_id=CENTRE, destination_id=BRANCH,
                         destination_code="BG-006"), **fields})


def test_bagging_puts_a_received_item_in_an_open_bag_for_its_branch():
    s = scan("bag", bag=BAG.lower())
    assert decide(SORTER, s, item("received")) == Missing(Want.bag)
    assert decide(SORTER, s, Seen(item=item("received"), bag=None)).reason == "not_found"
    wrong = Seen(item=item("received"), bag=_bag(destination_id=OTHER_BRANCH))
    assert decide(SORTER, s, wrong).reason == "wrong_bag"
    closed = Seen(item=item("received"), bag=_bag(status="dispatched"))
    assert decide(SORTER, s, closed).reason == "bag_closed"
    again = Seen(item=item("received"), bag=_bag(), open_bag=BAG)
    assert decide(SORTER, s, again).reason == "already_done"
    applied = decide(SORTER, s, Seen(item=item("received"), bag=_bag(), open_bag=None))
    assert applied.into_bag == BAG and applied.payload["bag"] == BAG


def test_a_bag_id_with_a_bad_check_digit_is_refused_as_such():
    bad = BAG[:-1] + str((int(BAG[-1]) + 1) % 10)
    assert decide(SORTER, scan("bag", bag=bad), item("received")).reason == "invalid_bag"
    assert decide(SORTER, scan("unbag"), item("received")).reason == "bag_required"


def test_unbagging_takes_an_item_only_out_of_the_bag_it_is_in():
    s = scan("unbag", bag=BAG)
    assert decide(SORTER, s, Seen(item=item("received"), bag=_bag(),
                                  open_bag=None)).reason == "not_in_bag"
    applied = decide(SORTER, s, Seen(item=item("received"), bag=_bag(), open_bag=BAG))
    assert applied.out_of_bag == BAG


def test_an_item_arriving_on_its_own_is_confirmed_in_its_bag_or_reported_unbagged():
    s = scan("arrive")
    assert decide(CLERK, s, item("in_transit")) == Missing(Want.in_bag)
    bagged = decide(CLERK, s, Seen(item=item("in_transit"),
                                   in_bag=InBag(moving=True, bagged_for_branch=True)))
    assert bagged.confirm_in_bag and not bagged.alerts
    loose = decide(CLERK, s, Seen(item=item("in_transit"),
                                  in_bag=InBag(moving=False, bagged_for_branch=False)))
    assert [a.kind for a in loose.alerts] == ["missort"]


def test_the_agency_signs_only_for_an_item_back_at_the_sorting_centre():
    s = scan("returned", signed_by=SignedBy(name="Zainab  Kareem ", id_last4="4321"))
    assert decide(SORTER, s, item("returning")) == Missing(Want.place)
    refused = decide(SORTER, s, Seen(item=item("returning"), place=Place.branch))
    assert refused.reason == "not_at_centre"
    signed = decide(SORTER, s, Seen(item=item("returning"), place=Place.centre))
    assert signed.state == State.returned_to_agency
    assert signed.payload["signed_by"] == {"name": "Zainab Kareem", "id_last4": "4321"}


@pytest.mark.parametrize("signed_by", [None, SignedBy(name=" ", id_last4="4321"),
                                       SignedBy(name="Zainab Kareem", id_last4="43a1")])
def test_no_item_goes_back_to_its_agency_without_who_signed_for_it(signed_by):
    at_centre = Seen(item=item("returning"), place=Place.centre)
    refused = decide(SORTER, scan("returned", signed_by=signed_by), at_centre)
    assert refused.reason == "signature_required"


@pytest.mark.parametrize(("reason", "why"), [("refused", "refused"),
                                             ("wrong_person", "not_theirs")])
def test_a_citizen_who_refuses_the_document_sends_it_back_at_once(reason, why):
    mine = item("out_for_delivery", courier_id=COURIER.id, failed_attempts=0)
    applied = decide(COURIER, scan("fail", reason=reason), mine)
    assert applied.state == State.returning
    assert applied.transition.return_reason == why and applied.count_failure
    assert applied.transition.puts is Place.branch
    absent = decide(COURIER, scan("fail", reason="absent"), mine)
    assert absent.state == State.delivery_failed and absent.transition.return_reason is None


@pytest.mark.parametrize(("staff", "action", "bag", "reason"), [
    (CLERK, "dispatch", _bag(), "role_not_allowed"),
    (SORTER, "dispatch", None, "not_found"),
    (SORTER, "dispatch", _bag(origin_id=99), "wrong_site"),
    (SORTER, "dispatch", _bag(status="dispatched"), "already_done"),
    (CLERK, "arrive", _bag(status="arrived"), "already_done"),
    (CLERK, "arrive", _bag(status="open"), "already_done"),
    (SORTER, "bag", _bag(), "item_required"),
])
def test_a_bags_own_scan_is_checked_before_its_items(staff, action, bag, reason):
    assert judge.judge_bag(staff, scan(action, code=BAG), bag).reason == reason


def test_a_bag_arriving_at_the_wrong_branch_is_refused_with_a_missort_alert():
    refused = judge.judge_bag(CLERK, scan("arrive", code=BAG), _bag(status="dispatched",
                                                                    destination_id=99))
    assert refused.reason == "wrong_branch" and refused.alert.kind == "missort"


def test_a_bag_scan_goes_ahead_once_its_bag_is_loaded():
    assert judge.judge_bag(SORTER, scan("dispatch", code=BAG)) == Missing(Want.bag)
    go = judge.judge_bag(SORTER, scan("dispatch", code=BAG), _bag())
    assert msgspec.structs.asdict(go) == {"action": "dispatch", "bag_id": BAG}
