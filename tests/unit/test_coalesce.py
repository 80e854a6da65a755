"""Group commit: requests made while a flush runs share the next one; each gets its own answer."""

import asyncio

import pytest

from delivery.platform.coalesce import Coalescer


class Recorder:
    """A flush that takes a while and remembers the groups it was given."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.groups: list[list[int]] = []
        self.fail_on = fail_on

    async def flush(self, group):
        self.groups.append(list(group))
        await asyncio.sleep(0.01)
        if self.fail_on in group:
            raise RuntimeError("statement failed")
        return [n * 10 for n in group]


async def test_requests_made_during_a_flush_share_the_next_one():
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)  # the first flush is under way with one request
    answers = await asyncio.gather(first, *(coalescer.submit(n) for n in range(2, 7)))
    assert answers == [10, 20, 30, 40, 50, 60]
    assert recorder.groups == [[1], [2, 3, 4, 5, 6]]


async def test_a_failed_flush_fails_only_the_requests_in_it():
    recorder = Recorder(fail_on=1)
    coalescer = Coalescer(recorder.flush)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    later = asyncio.create_task(coalescer.submit(2))
    with pytest.raises(RuntimeError):
        await first
    assert await later == 20


async def test_a_flush_takes_at_most_its_limit_and_the_rest_follow():
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush, most=3)
    answers = await asyncio.gather(*(coalescer.submit(n) for n in range(7)))
    assert answers == [n * 10 for n in range(7)]
    assert [len(group) for group in recorder.groups] == [3, 3, 1]


async def test_with_a_gather_time_requests_made_close_together_share_one_flush():
    recorder = Recorder()
    coalescer = Coalescer(recorder.flush, gather_s=0.05)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0.01)  # no flush is running yet: without a gather time, 1 would be alone
    assert await asyncio.gather(first, coalescer.submit(2)) == [10, 20]
    assert recorder.groups == [[1, 2]]
