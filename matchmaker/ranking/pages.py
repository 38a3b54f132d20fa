"""Ranked pages kept until what they were computed from changes.

A ranking is pure computation over data that changes rarely, so each page is stored with
the *token* of the data it was computed from (the versions of the indexes and documents it
read, and the day, since deadlines pass). A page is served again only while its token is
current; identical requests that miss at the same time share one computation.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class PageCache(Generic[T]):
    """A bounded, least-recently-used map of key → (token, page), with shared misses."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pages: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._flights: dict[tuple[Hashable, Hashable], asyncio.Future[T]] = {}

    def __len__(self) -> int:
        return len(self._pages)

    async def get(self, key: Hashable, token: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The page for ``key`` computed at ``token``: stored, being computed, or computed now."""
        stored = self._pages.get(key)
        if stored is not None and stored[0] == token:
            self._pages.move_to_end(key)
            return stored[1]
        flight = self._flights.get((key, token))
        if flight is None:
            flight = asyncio.ensure_future(compute())
            self._flights[(key, token)] = flight
            flight.add_done_callback(lambda done: self._landed(key, token, done))
        # Shielded: a caller that goes away does not cancel the work the others wait for.
        return await asyncio.shield(flight)

    def _landed(self, key: Hashable, token: Hashable, done: asyncio.Future[T]) -> None:
        self._flights.pop((key, token), None)
        if done.cancelled() or done.exception() is not None:
            return  # errors (404, 503) reach every waiter and are not kept
        self._pages[key] = (token, done.result())
        self._pages.move_to_end(key)
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)
