"""Group commit: requests that arrive while one statement runs share the next one.

Each caller still waits for its own request to be committed, so a record is as durable as if it
had been written alone; under load, one round trip serves many callers instead of one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Request = TypeVar("Request")
Answer = TypeVar("Answer")
# Writes every request in one go and answers each, in order.
Flush = Callable[[Sequence[Request]], Awaitable[Sequence[Answer]]]


class Coalescer(Generic[Request, Answer]):
    """One flush at a time; whatever queued meanwhile goes in the next flush, together.

    `gather_s` holds each flush back that long for more requests to join it: under load, flushes
    that would follow one another back to back become fewer and larger.
    """

    def __init__(self, flush: Flush[Request, Answer], *, most: int = 500,
                 gather_s: float = 0.0) -> None:
        self._flush = flush
        self._most = most
        self._gather_s = gather_s
        self._queued: list[tuple[Request, asyncio.Future[Answer]]] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(self, request: Request) -> Answer:
        """Queue the request and wait until a flush has written it; its answer."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queued.append((request, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queued:
            if self._gather_s and len(self._queued) < self._most:
                await asyncio.sleep(self._gather_s)
            taken, self._queued = self._queued[:self._most], self._queued[self._most:]
            await self._flush_taken(taken)

    async def _flush_taken(self, taken: list[tuple[Request, asyncio.Future[Answer]]]) -> None:
        try:
            answers = await self._flush([request for request, _ in taken])
        except Exception as exc:
            for _, future in taken:
                _settle(future, exception=exc)
            return
        except BaseException:
            for _, future in taken:
                future.cancel()
            raise
        for (_, future), answer in zip(taken, answers, strict=True):
            _settle(future, result=answer)


def _settle(future: asyncio.Future[Any], *, result: Any = None,
            exception: BaseException | None = None) -> None:
    if future.done():  # its caller was cancelled
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
