"""First come, first served slots for writing answers, with counts for /healthz and the load test.

Retrieval never waits here: a request takes a slot only once its passages are found and the model
is about to write (refusals never take one). One slot with the in-process model (it writes one
reply at a time); ``max_concurrent`` with an LLM server.

Example:
    >>> gate = AnswerGate(2)
    >>> gate.stats()["slots"]
    2
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import AsyncIterator


class AnswerGate:
    """An asyncio semaphore that wakes waiters strictly in arrival order (no barging)."""

    def __init__(self, slots: int):
        self.slots = max(1, slots)
        self.active = 0
        self.most_active = 0  # high-water mark since start: the achieved concurrency
        self.answered = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self.answered += 1
            self._release()

    async def _acquire(self) -> None:
        if self.active < self.slots and not self._waiters:
            self._take()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # resolved by _release, which took the slot for us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # the slot was handed over as we were cancelled
                self._release()
            else:
                self._waiters.remove(waiter)
            raise

    def _take(self) -> None:
        self.active += 1
        self.most_active = max(self.most_active, self.active)

    def _release(self) -> None:
        self.active -= 1
        while self._waiters and self.active < self.slots:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)

    def stats(self) -> dict[str, int]:
        return {"slots": self.slots, "answering": self.active, "waiting": len(self._waiters),
                "most_answering": self.most_active, "answered": self.answered}
