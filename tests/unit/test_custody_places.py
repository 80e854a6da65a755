"""The way back to the agency and the attempt limit, as rows of the custody table."""

from delivery.custody.model import (
    PLACING,
    TRANSITIONS,
    UNPLACED,
    Action,
    Need,
    Place,
    Role,
    State,
    decide,
)


def test_every_way_into_returning_says_where_the_item_is():
    into = [(key, row) for key, row in TRANSITIONS.items()
            if row.to == State.returning and key[0] != State.returning]
    assert into
    assert all(row.puts is not None for _, row in into)


def test_the_agency_signs_only_for_an_item_back_at_the_centre():
    row = decide(State.returning, Action.returned, Role.sorting_clerk)
    assert row.at is Place.centre and Need.place in row.needs
    assert PLACING[(State.returning, Action.accept)] is Place.centre
    assert decide(State.returning, Action.accept, Role.sorting_clerk).roles == {
        Role.sorting_clerk}


def test_only_an_item_still_at_the_branch_is_sent_back():
    row = decide(State.returning, Action.send_back, Role.branch_clerk)
    assert row.at is Place.branch
    assert UNPLACED is Place.branch


def test_a_recall_in_the_sorting_centre_goes_back_from_there_out_of_any_bag():
    received = decide(State.received, Action.cancel, Role.agency)
    assert (received.to, received.puts, received.out_of_bag) == (
        State.returning, Place.centre, True)
    registered = decide(State.registered, Action.cancel, Role.agency)
    assert (registered.to, registered.out_of_bag) == (State.cancelled, False)


def test_only_the_system_and_sorting_clerks_take_items_out_of_bags():
    assert TRANSITIONS[(State.received, Action.unbag)].roles == {
        Role.sorting_clerk, Role.system}
    assert all(Role.system not in row.roles for (_, action), row in TRANSITIONS.items()
               if action != Action.unbag)


def test_a_courier_round_needs_an_attempt_left():
    row = decide(State.at_branch, Action.to_courier, Role.branch_clerk)
    assert {Need.attempt_left, Need.courier} <= row.needs


def test_every_way_into_returning_says_why():
    from delivery.custody.model import BY_REASON

    into = [row for key, row in [*TRANSITIONS.items(), *BY_REASON.items()]
            if row.to == State.returning and key[0] != State.returning]
    assert into and all(row.return_reason is not None for row in into)
    assert all(row.return_reason is None for row in TRANSITIONS.values()
               if row.to != State.returning)


def test_a_refusal_at_the_door_is_the_only_failure_that_sends_back_at_once():
    for reason in ("absent", "address_not_found", "unsafe", "other"):
        assert decide(State.out_for_delivery, Action.fail, Role.courier, reason).to == \
            State.delivery_failed
    for reason, why in (("refused", "refused"), ("wrong_person", "not_theirs")):
        row = decide(State.out_for_delivery, Action.fail, Role.courier, reason)
        assert (row.to, row.puts, row.return_reason) == (State.returning, Place.branch, why)
