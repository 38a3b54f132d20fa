"""``Idempotency-Key``: a retried request gets the first response instead of a second effect.

The key is claimed in the request's own transaction, so a request that fails leaves no
trace and may be retried; a concurrent twin waits for the first to commit, then replays it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from matchmaker.accounts.schemas import User
from matchmaker.errors import InvalidInput
from matchmaker.matches.queries import matches_sql
from matchmaker.schemas import encode_money
from matchmaker.web.responses import JSONResponse


def fingerprint(method: str, path: str, body: Any) -> str:
    payload = msgspec.json.encode([method, path, msgspec.to_builtins(body, enc_hook=encode_money)], order="sorted")
    return hashlib.sha256(payload).hexdigest()


async def run_once(
    conn: asyncpg.Connection, user: User, key: str | None, request_fingerprint: str, status_code: int,
    action: Callable[[], Awaitable[msgspec.Struct]], location: Callable[[Any], str] | None = None,
) -> JSONResponse[Any]:
    """``action``'s response, or the stored one for a key used before (``location``: where a
    created resource lives, from its body)."""
    if key is None:
        body = msgspec.to_builtins(await action(), builtin_types=(Decimal,))
    elif not await matches_sql.claim_idempotency_key(conn, user_id=user.id, key=key, fingerprint=request_fingerprint):
        stored = await matches_sql.get_idempotency_key(conn, user_id=user.id, key=key)
        assert stored is not None  # the claim failed because this key is stored
        if stored["fingerprint"] != request_fingerprint:
            raise InvalidInput("Idempotency-Key", "this key was already used for a different request")
        body, status_code = stored["response_body"], stored["response_status"]
    else:
        body = msgspec.to_builtins(await action(), builtin_types=(Decimal,))
        await matches_sql.store_idempotent_response(conn, user_id=user.id, key=key, response_status=status_code,
                                                response_body=body)
    headers = {"Location": location(body)} if location and status_code == 201 else None
    return JSONResponse(body, status_code=status_code, headers=headers)
