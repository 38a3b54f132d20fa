"""Signing in: credentials checked off the event loop, a few at a time, and guessing slowed.

argon2 is slow on purpose, so it runs in worker threads, at most ``VERIFYING`` at once per
process, and no database connection is held meanwhile. Failures are counted per account
and per client address (``login_throttle``): past a few, each further attempt must wait
1, 2, 4, ... seconds (429 with ``Retry-After``); a success clears the account's count. An
unknown email is verified against a dummy hash and counted like any other, so neither the
answer, its timing nor the throttling tells which emails have accounts.
"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import msgspec
from litestar import Request

from matchmaker.accounts.passwords import hash_password, needs_rehash, verify_password
from matchmaker.accounts.queries import accounts_sql
from matchmaker.accounts.schemas import User
from matchmaker.db.pool import Database
from matchmaker.errors import NotAuthenticated, TooManyAttempts

VERIFYING = 2  # argon2 checks at once per process (each takes a core for ~50 ms)
ACCOUNT_FREE, ADDRESS_FREE = 5, 20  # failures before waits begin (an address may be shared, e.g. by NAT)
WINDOW_SECONDS = 3600  # a count starts again after this long without a failure
CAP_SECONDS = 900


def client_address(request: Request[Any, Any, Any]) -> str:
    """The address failures are counted against."""
    return request.client.host if request.client else "unknown"


class Account(NamedTuple):
    """A user who proved who they are, and the version their tokens must carry."""

    user: User
    token_version: int


class SignIn:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._verifying = asyncio.Semaphore(VERIFYING)

    async def authenticate(self, email: str, password: str, address: str) -> Account:
        """The account with these credentials; one vague error for a wrong email or password."""
        email = email.strip().lower()
        keys = {"account": f"account:{email}", "address": f"address:{address}"}
        async with self._db.connection() as conn:
            wait = await accounts_sql.login_wait(conn, keys=list(keys.values()))
            row = None if wait else await accounts_sql.get_user_credentials(conn, email=email)
        if wait:
            raise TooManyAttempts(f"too many failed sign-ins: retry in {wait} s", retry_after=wait)
        return await self._check(row, password, keys)

    async def change_password(self, user_id: int, current: str, new: str, address: str) -> Account:
        """Check the current password (throttled as a sign-in), then set the new one: every
        token issued before stops working."""
        async with self._db.connection() as conn:
            row = await accounts_sql.get_user_credentials_by_id(conn, id=user_id)
        if row is None:  # users are deactivated, never deleted: a valid token's user exists
            raise NotAuthenticated("no such user")
        account = await self.authenticate(row["email"], current, address)
        new_hash = await self._hash(new)
        async with self._db.connection() as conn, conn.transaction():
            await accounts_sql.set_password(conn, id=user_id, password_hash=new_hash)
        return account._replace(token_version=account.token_version + 1)

    async def _check(self, row: Any, password: str, keys: dict[str, str]) -> Account:
        password_hash = row["password_hash"] if row else None
        async with self._verifying:
            valid = await asyncio.to_thread(verify_password, password_hash, password)
        rehashed = await self._hash(password) if valid and password_hash and needs_rehash(password_hash) else None
        account = None
        async with self._db.connection() as conn, conn.transaction():
            if not valid:
                for name, free in (("account", ACCOUNT_FREE), ("address", ADDRESS_FREE)):
                    await accounts_sql.login_failed(conn, key=keys[name], free_attempts=free, window_seconds=WINDOW_SECONDS,
                                               cap_seconds=CAP_SECONDS)
            else:
                await accounts_sql.login_succeeded(conn, key=keys["account"])
                if rehashed:
                    await accounts_sql.update_password_hash(conn, id=row["id"], password_hash=rehashed)
                account = await accounts_sql.get_account(conn, id=row["id"])
        if account is None:
            raise NotAuthenticated("wrong email or password")
        if not account["active"]:
            raise NotAuthenticated("this account is deactivated")
        return Account(msgspec.convert(dict(account), User), account["token_version"])

    async def _hash(self, password: str) -> str:
        async with self._verifying:
            return await asyncio.to_thread(hash_password, password)
