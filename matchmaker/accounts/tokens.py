"""Signed bearer tokens (JWT, HS256) and how a request's token becomes its user.

A token names its issuer and audience, and carries the version of its user's credentials
(``ver``): signing out, changing the password or deactivating the account moves the
version on, so every token issued before stops working at once, on every worker and host.
Only ``Authorization: Bearer <token>`` is read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from matchmaker.accounts.queries import accounts_sql
from matchmaker.accounts.schemas import Token as TokenResponse
from matchmaker.accounts.schemas import User
from matchmaker.schemas import MAX_ID
from matchmaker.settings import Settings

# Paths anyone may call: health, the API description and its page's files, and getting a token.
# (The web pages opt out of bearer tokens as a whole: they check their own session cookie.)
PUBLIC_PATHS = ["^/health$", "^/schema", "^/static/", "^/api/v1/auth/token$", "^/favicon.ico$"]
# Operations anyone may call declare it: an empty requirement overrides the global bearer one.
PUBLIC: list[dict[str, list[str]]] = [{}]
ISSUER = "matchmaker"
AUDIENCE = "matchmaker-api"


class BearerAuthentication(JWTAuthenticationMiddleware):
    """Reads ``Authorization: Bearer <token>`` and nothing else (``Basic <token>`` is refused)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        scheme, _, token = connection.headers.get(self.auth_header, "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("send the token as 'Authorization: Bearer <token>'")
        return await self.authenticate_token(encoded_token=token.strip(), connection=connection)


async def _retrieve_user(token: Token, connection: ASGIConnection) -> User | None:
    if not token.sub.isdigit() or int(token.sub) > MAX_ID:
        return None
    async with connection.app.state.database.connection() as conn:
        row = await accounts_sql.get_account(conn, id=int(token.sub))
    if row is None or not row["active"] or row["token_version"] != token.extras.get("ver"):
        return None  # unknown, deactivated, or signed out since the token was issued
    return msgspec.convert(dict(row), User)


def build_jwt_auth(settings: Settings) -> JWTAuth[User, Token]:
    return JWTAuth[User, Token](
        retrieve_user_handler=_retrieve_user,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_minutes),
        exclude=PUBLIC_PATHS,
        description="Bearer token from POST /api/v1/auth/token",
        authentication_middleware_class=BearerAuthentication,
        accepted_issuers=[ISSUER],
        accepted_audiences=[AUDIENCE],
        require_claims=["exp", "iss", "aud", "sub"],
    )


class TokenIssuer:
    """Issues access tokens for authenticated users (the ``tokens`` dependency)."""

    def __init__(self, auth: JWTAuth[User, Token]) -> None:
        self._auth = auth

    def token(self, user_id: int, version: int) -> str:
        return self._auth.create_token(identifier=str(user_id), token_issuer=ISSUER, token_audience=AUDIENCE,
                                       token_extras={"ver": version})

    def issue(self, user_id: int, version: int) -> TokenResponse:
        expiry = self._auth.default_token_expiration
        return TokenResponse(access_token=self.token(user_id, version), expires_in=int(expiry.total_seconds()))
