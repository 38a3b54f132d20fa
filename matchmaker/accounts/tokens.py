"""Signed bearer tokens (JWT, HS256) and how a request's token becomes its user."""

from __future__ import annotations

from datetime import timedelta

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from matchmaker.accounts.schemas import Token as TokenResponse
from matchmaker.accounts.schemas import User
from matchmaker.accounts.service import get_user
from matchmaker.settings import Settings

# Paths anyone may call: health, the API description, and getting a token.
PUBLIC_PATHS = ["^/health$", "^/schema", "^/api/v1/auth/token$", "^/$", "^/favicon.ico$"]


async def _retrieve_user(token: Token, connection: ASGIConnection) -> User | None:
    if not token.sub.isdigit():
        return None
    async with connection.app.state.database.connection() as conn:
        return await get_user(conn, int(token.sub))


def build_jwt_auth(settings: Settings) -> JWTAuth[User, Token]:
    return JWTAuth[User, Token](
        retrieve_user_handler=_retrieve_user,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_minutes),
        exclude=PUBLIC_PATHS,
        description="Bearer token from POST /api/v1/auth/token",
    )


class TokenIssuer:
    """Issues access tokens for authenticated users (the ``tokens`` dependency)."""

    def __init__(self, auth: JWTAuth[User, Token]) -> None:
        self._auth = auth

    def issue(self, user: User) -> TokenResponse:
        expiry = self._auth.default_token_expiration
        return TokenResponse(
            access_token=self._auth.create_token(identifier=str(user.id)), expires_in=int(expiry.total_seconds())
        )
