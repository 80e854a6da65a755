import asyncio

import pytest

from delivery.platform.overlap import write_while_preparing


async def test_chunks_are_written_in_order_one_at_a_time_while_the_next_is_prepared():
    log: list[str] = []
    writing = 0

    def prepare(chunk: int) -> int:
        log.append(f"prepare {chunk}")
        return chunk * 10

    async def write(prepared: int) -> int:
        nonlocal writing
        writing += 1
        assert writing == 1, "two writes at once on one connection"
        log.append(f"write {prepared} starts")
        await asyncio.sleep(0.01)
        log.append(f"write {prepared} ends")
        writing -= 1
        return prepared + 1

    assert await write_while_preparing(range(3), prepare, write) == [1, 11, 21]
    # Chunk 1 is prepared while chunk 0 is being written, not after.
    assert log.index("prepare 1") < log.index("write 0 ends")
    assert log.index("write 0 ends") < log.index("write 10 starts")


async def test_a_failed_preparation_waits_for_the_write_under_way():
    finished = []

    def prepare(chunk: int) -> int:
        if chunk == 1:
            raise ValueError("bad chunk")
        return chunk

    async def write(prepared: int) -> int:
        await asyncio.sleep(0.01)
        finished.append(prepared)
        return prepared

    with pytest.raises(ValueError, match="bad chunk"):
        await write_while_preparing(range(3), prepare, write)
    assert finished == [0]  # the connection is idle again when the error reaches the caller
