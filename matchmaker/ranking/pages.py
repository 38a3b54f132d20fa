"""Ranked pages kept until a change could alter them.

A ranking is pure computation over data that changes rarely, so each page is kept with a
*token* (the version of the model, of the page's own need or offer, and the day, since
deadlines pass) and served again while its token is current. A change to the *other* side
(an offer, for a need's page) is *judged*: the page goes only if the changed document is on
it or could now enter it (``judge``). Pages being computed while a change is judged are
judged too when they land, so none is kept that was computed from data older than it shows.
Identical requests that miss at the same time share one computation.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
# A page's key: what was asked (the need or offer first, then the page's size and filters).
Key = tuple[Any, ...]
# (page key, page, ids of the documents on the page) -> whether a change makes the page stale
Judgement = Callable[[Key, T, frozenset[int]], bool]
REMEMBERED = 256  # judgements kept for pages still being computed; older flights are not kept


class PageCache(Generic[T]):
    """A bounded, least-recently-used map of key → page, with shared misses and judged changes."""

    def __init__(self, size: int, members: Callable[[T], frozenset[int]]) -> None:
        self._size = size
        self._members = members
        self._pages: OrderedDict[Key, tuple[Hashable, T, frozenset[int]]] = OrderedDict()
        self._flights: dict[tuple[Key, Hashable], asyncio.Future[T]] = {}
        self._judged = 0  # judgements so far
        self._judgements: deque[Judgement[T]] = deque(maxlen=REMEMBERED)

    def keys(self) -> list[Key]:
        return list(self._pages)

    async def get(self, key: Key, token: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The page for ``key`` at ``token``: kept, being computed, or computed now."""
        kept = self._pages.get(key)
        if kept is not None and kept[0] == token:
            self._pages.move_to_end(key)
            return kept[1]
        flight = self._flights.get((key, token))
        if flight is None:
            flight = asyncio.ensure_future(compute())
            self._flights[(key, token)] = flight
            judged = self._judged
            flight.add_done_callback(lambda done: self._landed(key, token, judged, done))
        # Shielded: a caller that goes away does not cancel the work the others wait for.
        return await asyncio.shield(flight)

    def judge(self, stale: Judgement[T]) -> None:
        """A change: drop the kept pages it makes stale, and remember it for pages in flight."""
        self._judged += 1
        self._judgements.append(stale)
        for key in [k for k, (_, page, ids) in self._pages.items() if stale(k, page, ids)]:
            del self._pages[key]

    def clear(self) -> None:
        """Everything changed (a new model): no page kept or in flight survives."""
        self.judge(lambda key, page, ids: True)

    def _landed(self, key: Key, token: Hashable, judged: int, done: asyncio.Future[T]) -> None:
        self._flights.pop((key, token), None)
        if done.cancelled() or done.exception() is not None:
            return  # errors (404, 503) reach every waiter and are not kept
        page = done.result()
        ids = self._members(page)
        missed = self._judged - judged
        if missed > len(self._judgements):
            return  # too many changes meanwhile to tell: serve it once, do not keep it
        if missed and any(stale(key, page, ids) for stale in list(self._judgements)[-missed:]):
            return
        self._pages[key] = (token, page, ids)
        self._pages.move_to_end(key)
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)
