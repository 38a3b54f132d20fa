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

from matchmaker.accounts.passwords import hash_password, needs_rehash, verify_password
from matchmaker.accounts.schemas import User
from matchmaker.accounts.service import get_user
from matchmaker.db.pool import Database
from matchmaker.db.queries import queries
from matchmaker.errors import NotAuthenticated, TooManyAttempts

VERIFYING = 2  # argon2 checks at once per process (each takes a core for ~50 ms)
ACCOUNT_FREE, ADDRESS_FREE = 5, 20  # failures before waits begin (an address may be shared, e.g. by NAT)
WINDOW_SECONDS = 3600  # a count starts again after this long without a failure
CAP_SECONDS = 900


class SignIn:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._verifying = asyncio.Semaphore(VERIFYING)

    async def authenticate(self, email: str, password: str, address: str) -> User:
        """The user with these credentials; one vague error for a wrong email or password."""
        email = email.strip().lower()
        account, client = f"account:{email}", f"address:{address}"
        async with self._db.connection() as conn:
            wait = await queries.login_wait(conn, keys=[account, client])
            row = None if wait else await queries.get_user_credentials(conn, email=email)
        if wait:
            raise TooManyAttempts(f"too many failed sign-ins: retry in {wait} s", retry_after=wait)
        password_hash = row["password_hash"] if row else None
        async with self._verifying:
            valid = await asyncio.to_thread(verify_password, password_hash, password)
            rehashed = await asyncio.to_thread(hash_password, password) if valid and needs_rehash(password_hash) else None
        user = None
        async with self._db.connection() as conn, conn.transaction():
            if not valid:
                for key, free in ((account, ACCOUNT_FREE), (client, ADDRESS_FREE)):
                    await queries.login_failed(conn, key=key, free_attempts=free, window_seconds=WINDOW_SECONDS,
                                               cap_seconds=CAP_SECONDS)
            else:
                await queries.login_succeeded(conn, key=account)
                if rehashed:
                    await queries.update_password_hash(conn, id=row["id"], password_hash=rehashed)
                user = await get_user(conn, row["id"])
        if user is None:
            raise NotAuthenticated("wrong email or password")
        return user
