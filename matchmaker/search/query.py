"""``q`` and ``cursor`` of a needs or offers list, as its query's parameters and its page.

Without ``q`` a list is newest first and its cursor an id (keyset); with ``q`` it is in
order of relevance, which ids do not follow, so its cursor is a position in that order.
"""

from __future__ import annotations

from typing import Any, TypeVar

from matchmaker.schemas import Page, decode_cursor, decode_offset, encode_offset, page
from matchmaker.search.concepts import query_concepts

T = TypeVar("T")

# How deep a search may be paged (positions): beyond, a narrower query serves better.
MAX_SEARCH_OFFSET = 10_000


class Search:
    """One request's ``q`` and ``cursor``: the list query's parameters, then its page."""

    def __init__(self, q: str | None, cursor: str | None) -> None:
        self.q = q
        self.skip = decode_offset(cursor, MAX_SEARCH_OFFSET) if q is not None else 0
        self.before_id = decode_cursor(cursor) if q is None else None

    def params(self) -> dict[str, Any]:
        concepts = query_concepts(self.q) if self.q is not None else None
        return {"q": self.q, "concepts": concepts, "before_id": self.before_id, "skip": self.skip}

    def page(self, items: list[T], limit: int) -> Page[T]:
        """The page of ``limit + 1`` fetched items (the extra one only says there is more)."""
        if self.q is None:
            return page(items, limit)
        more = len(items) > limit
        return Page(items=items[:limit], next_cursor=encode_offset(self.skip + limit) if more else None)
