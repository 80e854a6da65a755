import itertools
from collections import deque

import pytest

from delivery.custody.model import (
    ACTIVE_STATES,
    CONFIRMED_BY,
    ENTRY,
    FINAL_STATES,
    INITIAL_STATE,
    TRANSITIONS,
    Action,
    Handover,
    Need,
    RefusalCode,
    Role,
    State,
    TransitionRefused,
    allowed_actions,
    decide,
    parse_action,
    required_proof,
)

ALL_COMBINATIONS = list(itertools.product(State, Action, Role))

# The handheld vocabulary as API.md spells it: these words are a public contract.
HANDHELD_WORDS = [
    "receive", "bag", "dispatch", "arrive", "to_courier", "take", "deliver", "fail", "return",
    "accept", "shelve", "collect", "send_back", "returned",
]  # fmt: skip

# The state changes API.md and DESIGN.md §1 promise, written out from the documents.
PROMISED_MOVES = [
    ("registered", "receive", "sorting_clerk", "received"),
    ("received", "bag", "sorting_clerk", "received"),
    ("received", "dispatch", "sorting_clerk", "in_transit"),
    ("in_transit", "arrive", "branch_clerk", "at_branch"),
    ("at_branch", "to_courier", "branch_clerk", "out_for_delivery"),
    ("out_for_delivery", "take", "courier", "out_for_delivery"),
    ("out_for_delivery", "deliver", "courier", "delivered"),
    ("out_for_delivery", "fail", "courier", "delivery_failed"),
    ("delivery_failed", "return", "courier", "at_branch"),
    ("at_branch", "accept", "branch_clerk", "at_branch"),
    ("at_branch", "shelve", "branch_clerk", "ready_for_pickup"),
    ("ready_for_pickup", "collect", "branch_clerk", "collected"),
    ("returning", "send_back", "branch_clerk", "returning"),
    ("returning", "returned", "sorting_clerk", "returned_to_agency"),
    ("registered", "cancel", "agency", "cancelled"),
    ("received", "cancel", "agency", "returning"),
    ("ready_for_pickup", "expire_hold", "scheduler", "returning"),
    ("at_branch", "mark_lost", "supervisor", "lost"),
    ("in_transit", "mark_damaged", "supervisor", "damaged"),
]

UPU_EVENTS = {"EMA", "EMB", "EMC", "EMD", "EMF", "EDD", "EDE", "EMG", "EDG", "EDH", "EMH", "EMI"}


def _is_allowed(state, action, role):
    row = TRANSITIONS.get((state, action))
    return row is not None and role in row.roles


@pytest.mark.parametrize(("state", "action", "role", "target"), PROMISED_MOVES)
def test_moves_promised_by_the_documents_are_allowed(state, action, role, target):
    assert decide(State(state), Action(action), Role(role)).to == State(target)


def test_every_allowed_combination_reaches_its_table_target():
    for state, action, role in ALL_COMBINATIONS:
        if _is_allowed(state, action, role):
            assert decide(state, action, role).to == TRANSITIONS[(state, action)].to


def test_every_other_combination_is_refused_with_a_reason():
    decided = 0
    for state, action, role in ALL_COMBINATIONS:
        try:
            decide(state, action, role)
            decided += 1
        except TransitionRefused as refused:
            assert refused.message.strip()
            assert refused.code in set(RefusalCode)
            assert refused.params == {"state": state, "action": action, "role": role}
    assert decided == sum(len(row.roles) for row in TRANSITIONS.values())


def test_allowed_actions_agree_with_decide():
    for state, role in itertools.product(State, Role):
        expected = {a for a in Action if _is_allowed(state, a, role)}
        assert allowed_actions(state, role) == expected


def test_handheld_words_are_actions_spelled_as_published():
    assert {str(a) for a in Action} >= set(HANDHELD_WORDS)


def test_every_action_and_every_non_initial_state_is_used_by_the_table():
    assert {a for _, a in TRANSITIONS} | set(ENTRY) == set(Action)
    moves_into = {row.to for (source, _), row in TRANSITIONS.items() if row.to != source}
    assert moves_into == set(State) - {INITIAL_STATE}


def test_an_item_enters_the_table_registered_by_its_agency_as_posted():
    entry = ENTRY[Action.register]
    assert (entry.to, entry.roles, entry.emsevt) == (INITIAL_STATE, {Role.agency}, "EMA")
    assert not any(a == Action.register for _, a in TRANSITIONS)


def test_final_states_allow_nothing_but_a_found_item_and_the_citizens_answer_after_a_handover():
    for state, role in itertools.product(FINAL_STATES, Role):
        expected = set()
        if (state, role) == (State.lost, Role.supervisor):
            expected = {Action.found}
        if state in (State.delivered, State.collected) and role == Role.citizen:
            expected = {Action.report}
        assert allowed_actions(state, role) == expected


def test_the_citizens_answer_leaves_a_delivered_document_where_it_is():
    for state in (State.delivered, State.collected):
        assert decide(state, Action.report, Role.citizen).to == state
    with pytest.raises(TransitionRefused) as refused:
        decide(State.out_for_delivery, Action.report, Role.citizen)
    assert refused.value.code == RefusalCode.wrong_state


def test_a_citizen_tells_where_and_when_only_while_they_may_still_choose_delivery():
    for state in State:
        told = {a for a in (Action.share_location, Action.reschedule)
                if a in allowed_actions(state, Role.citizen)}
        chooses = Action.choose_home in allowed_actions(state, Role.citizen)
        assert told == ({Action.share_location, Action.reschedule} if chooses else set())


def test_a_found_item_goes_back_to_the_agency_not_to_the_citizen():
    assert decide(State.lost, Action.found, Role.supervisor).to == State.returning


def test_every_state_is_reachable_from_registration():
    assert _reachable_from(INITIAL_STATE) == set(State)


def test_every_active_state_can_still_finish():
    for state in ACTIVE_STATES:
        assert _reachable_from(state) & FINAL_STATES


def test_supervisor_can_mark_any_active_item_lost_or_damaged():
    for state in ACTIVE_STATES:
        assert {Action.mark_lost, Action.mark_damaged} <= allowed_actions(state, Role.supervisor)


def test_agency_can_cancel_only_before_the_item_leaves_the_sorting_centre():
    cancellable = {s for s in State if Action.cancel in allowed_actions(s, Role.agency)}
    assert cancellable == {State.registered, State.received}


def test_only_the_scheduler_expires_holds_and_ends_attempts():
    for (_, action), row in TRANSITIONS.items():
        if action in (Action.expire_hold, Action.max_attempts):
            assert row.roles == {Role.scheduler}


def test_attempts_end_only_once_the_item_is_back_in_the_branch():
    states = {s for s, a in TRANSITIONS if a == Action.max_attempts}
    assert states == {State.at_branch}


def test_administrators_handle_no_items():
    assert all(not allowed_actions(s, Role.admin) for s in State)


def test_citizen_events_never_move_the_item():
    citizens = {(state, action) for (state, action), row in TRANSITIONS.items()
                if Role.citizen in row.roles}
    assert {a for _, a in citizens} == {Action.choose_home, Action.choose_pickup,
                                        Action.share_location, Action.reschedule, Action.report}
    assert all(TRANSITIONS[key].to == key[0] for key in citizens)


def test_citizen_cannot_change_the_choice_once_the_item_is_with_a_courier_or_shelved():
    for state in (State.out_for_delivery, State.ready_for_pickup):
        with pytest.raises(TransitionRefused, match="too late"):
            decide(state, Action.choose_home, Role.citizen)


def test_every_hand_over_given_is_confirmed_by_someone_else_in_the_new_state():
    givers = [(key, row) for key, row in TRANSITIONS.items() if row.handover == Handover.give]
    assert givers
    for (_, action), row in givers:
        confirming = TRANSITIONS[(row.to, CONFIRMED_BY[action])]
        assert confirming.handover == Handover.confirm
        assert not confirming.roles & row.roles


def test_to_courier_awaits_the_couriers_take():
    handed = decide(State.at_branch, Action.to_courier, Role.branch_clerk)
    assert handed.handover == Handover.give and Need.courier in handed.needs
    assert Action.take in allowed_actions(handed.to, Role.courier)


def test_upu_event_codes_come_from_the_s10_list():
    codes = {row.emsevt for row in TRANSITIONS.values()} - {None}
    assert codes <= UPU_EVENTS
    assert decide(State.registered, Action.receive, Role.sorting_clerk).emsevt == "EDD"
    assert decide(State.out_for_delivery, Action.fail, Role.courier).emsevt == "EMH"


def test_hand_over_to_citizen_needs_otp_and_id_only_for_sensitive_documents():
    for state, action, role in [
        (State.out_for_delivery, Action.deliver, Role.courier),
        (State.ready_for_pickup, Action.collect, Role.branch_clerk),
    ]:
        row = decide(state, action, role)
        assert required_proof(row, needs_id_check=True) == {"otp", "id_check"}
        assert required_proof(row, needs_id_check=False) == {"otp"}


def test_failed_delivery_needs_a_reason():
    row = decide(State.out_for_delivery, Action.fail, Role.courier)
    assert required_proof(row, needs_id_check=True) == {"reason"}


@pytest.mark.parametrize(
    ("state", "action", "role", "code", "message"),
    [
        ("delivered", "deliver", "courier", "final_state", "already delivered"),
        ("collected", "collect", "branch_clerk", "final_state", "already collected"),
        ("registered", "dispatch", "sorting_clerk", "wrong_state", "not in the sorting centre yet"),
        ("at_branch", "shelve", "courier", "role_not_allowed", "couriers cannot shelve items"),
        ("received", "receive", "sorting_clerk", "already_done", "already in the sorting centre"),
        ("in_transit", "cancel", "agency", "wrong_state", "already left the sorting centre"),
        ("at_branch", "deliver", "courier", "wrong_state", "cannot deliver items"),
        ("ready_for_pickup", "shelve", "branch_clerk", "already_done", "already on the shelf"),
    ],
)
def test_common_mistakes_are_refused_in_words_a_clerk_understands(
    state, action, role, code, message
):
    with pytest.raises(TransitionRefused) as refused:
        decide(State(state), Action(action), Role(role))
    assert refused.value.code == code
    assert message in str(refused.value)


def test_unknown_action_word_is_refused_by_name():
    with pytest.raises(TransitionRefused) as refused:
        parse_action("teleport")
    assert refused.value.code == RefusalCode.unknown_action
    assert "teleport" in refused.value.message


def test_action_words_parse_to_actions():
    assert parse_action("return") == Action.return_


def _reachable_from(start):
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for (source, _), row in TRANSITIONS.items():
            if source == state and row.to not in seen:
                seen.add(row.to)
                queue.append(row.to)
    return seen
