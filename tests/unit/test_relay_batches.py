"""The relay cuts ready outbox rows into jobs: one channel per job, a bounded size, spread."""

from delivery.outbox.relay import JOB_ROWS, OTHER_JOB_ROWS, SPREAD, job_batches, job_id


def _rows(channel: str, first: int, count: int) -> list[dict]:
    return [{"id": first + n, "channel": channel, "enqueues": 0} for n in range(count)]


def test_each_job_holds_rows_of_one_channel_and_every_row_once():
    rows = _rows("sms", 1, 7) + _rows("webhook", 100, 5) + _rows("sms", 200, 3)
    batches = job_batches(rows)
    assert all(len({r["channel"] for r in batch}) == 1 for batch in batches)
    assert sorted(r["id"] for batch in batches for r in batch) == sorted(r["id"] for r in rows)


def test_a_large_backlog_becomes_jobs_of_the_channels_size():
    batches = job_batches(_rows("sms", 1, 1000) + _rows("webhook", 5000, 100))
    sizes = {(batch[0]["channel"], len(batch)) for batch in batches}
    assert sizes == {("sms", JOB_ROWS["sms"]), ("webhook", OTHER_JOB_ROWS)}


def test_a_small_backlog_is_still_spread_over_several_jobs():
    assert len(job_batches(_rows("sms", 1, 2 * SPREAD))) == SPREAD
    assert [len(b) for b in job_batches(_rows("sms", 1, 1))] == [1]


def test_a_job_is_named_after_its_first_row_and_that_rows_hand_overs():
    rows = [{"id": 41, "channel": "sms", "enqueues": 3}, {"id": 42, "channel": "sms",
                                                            "enqueues": 0}]
    assert job_id(rows) == "outbox:41:3"
