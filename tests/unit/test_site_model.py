"""The site view's rules: every state counted, stuck groups, alert occurrences, pages, masking."""

from datetime import UTC, datetime, timedelta

from delivery.console.site import model
from delivery.custody.model import State
from delivery.custody.stuck import DEFAULT_STUCK_AFTER, Bucket
from delivery.custody.supervisor import AlertOut

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def test_every_state_is_counted_with_zero_when_no_item_is_in_it():
    counts = model.counts_by_state([("at_branch", 3), ("registered", 1)])
    assert [s for s, _ in counts] == list(State)
    assert dict(counts)[State.at_branch] == 3 and dict(counts)[State.lost] == 0


def test_stuck_groups_keep_the_state_order_and_leave_out_empty_states():
    groups = model.stuck_groups([("returning", 0, 0, 1), ("received", 2, 1, 0),
                                 ("at_branch", 0, 0, 0)], DEFAULT_STUCK_AFTER)
    assert [(g.state, g.counts, g.total) for g in groups] == [
        (State.received, (2, 1, 0), 3), (State.returning, (0, 0, 1), 1)]


def test_an_items_age_bucket_follows_its_states_threshold():
    since = NOW - timedelta(hours=30)
    assert model.age_bucket(State.received, since, NOW, DEFAULT_STUCK_AFTER) == Bucket.over
    assert model.age_bucket(State.at_branch, since, NOW, DEFAULT_STUCK_AFTER) is None
    assert model.age_bucket(State.delivered, since, NOW, DEFAULT_STUCK_AFTER) is None


def test_an_alert_occurrence_is_its_kind_subject_and_since_and_a_new_since_is_open_again():
    first = AlertOut(kind="stuck", detail="x", since=NOW, tracking_number="RR1IQ", bag_id="B1")
    again = AlertOut(kind="stuck", detail="x", since=NOW + timedelta(hours=1),
                     tracking_number="RR1IQ")
    key = model.alert_key(first)
    assert (key.kind, key.subject, key.since) == ("stuck", "RR1IQ", NOW)
    ack = model.Acknowledgement(username="sup", at=NOW)
    shown = model.with_acknowledgements([first, again], {key: ack})
    assert [a.acknowledged for a in shown] == [ack, None]


def test_an_alert_about_a_device_is_named_by_the_device():
    clock = AlertOut(kind="clock", detail="device clock behind", since=NOW, device_id="dev-7")
    assert model.alert_key(clock).subject == "dev-7"


def test_pages_start_at_one_and_say_whether_more_follow():
    rows = list(range(30))
    assert model.page_of(rows, 1, size=25) == (list(range(25)), True)
    assert model.page_of(rows, 2, size=25) == ([25, 26, 27, 28, 29], False)
    assert model.page_of(rows, 0, size=25)[0][0] == 0


def test_phone_numbers_in_an_error_are_masked():
    text = "Unable to create record: The 'To' number +9647712345678 is not a valid phone number."
    masked = model.masked_error(text)
    assert "7712345678" not in masked and "+964 *** *** *678" in masked
    assert model.masked_error(None) == ""
    assert model.masked_error("HTTP 503 from provider") == "HTTP 503 from provider"
