"""Keeping both cores busy: the next chunk is prepared in Python while the database writes
the previous one.

A connection runs one statement at a time, and a large write spends as long in PostgreSQL as
its rows take to prepare (hashing, encoding): done one after the other, each side waits for
the other half of the time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

Chunk = TypeVar("Chunk")
Prepared = TypeVar("Prepared")
Result = TypeVar("Result")


async def write_while_preparing(
    chunks: Iterable[Chunk], prepare: Callable[[Chunk], Prepared],
    write: Callable[[Prepared], Awaitable[Result]],
) -> list[Result]:
    """`write(prepare(chunk))` for each chunk in order; at most one write under way at a time.

    If a preparation or a write fails, the write under way is waited for before the error
    propagates, so the caller's connection is idle when its transaction is rolled back.
    """
    results: list[Result] = []
    under_way: asyncio.Future[Result] | None = None
    try:
        for chunk in chunks:
            prepared = prepare(chunk)
            if under_way is not None:
                results.append(await under_way)
            under_way = asyncio.ensure_future(write(prepared))
            await asyncio.sleep(0)  # the write sends its statement before we prepare on
        if under_way is not None:
            results.append(await under_way)
            under_way = None
    finally:
        if under_way is not None:
            with contextlib.suppress(Exception):
                await under_way
    return results
