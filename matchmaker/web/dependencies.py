"""Request-scoped dependencies: a connection inside one transaction per request, and the services."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State

from matchmaker.accounts.signin import SignIn
from matchmaker.ranking.service import RankingService


async def provide_db(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """Commit when the handler succeeds, roll back when it raises: no half-written change.
    The request's only pooled connection (a saturated pool answers 503 after a bounded wait)."""
    async with state.database.connection() as conn, conn.transaction():
        yield conn


def provide_ranking(state: State) -> RankingService:
    return state.ranking


def provide_signin(state: State) -> SignIn:
    return state.signin
