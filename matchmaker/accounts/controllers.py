"""Account routes: get a token, read the caller, create users (admins)."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from matchmaker.accounts.guards import requires_role
from matchmaker.accounts.schemas import Token, TokenRequest, User, UserCreate
from matchmaker.accounts.service import create_user
from matchmaker.accounts.signin import SignIn
from matchmaker.accounts.tokens import TokenIssuer
from matchmaker.web.openapi import problems


class AuthController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/token", operation_id="CreateToken", responses=problems(401, 422, 429), status_code=200, security=[])
    async def create_token(
        self, request: Request, data: JSONBody[TokenRequest], signin: NamedDependency[SignIn],
        tokens: NamedDependency[TokenIssuer],
    ) -> Token:
        """Exchange an email and password for a bearer token (429 after repeated failures)."""
        address = request.client.host if request.client else "unknown"
        return tokens.issue(await signin.authenticate(data.email, data.password, address))

    @get("/me", operation_id="GetMe", responses=problems(401))
    async def me(self, request: Request[User, object, object]) -> User:
        """The authenticated caller: id, email, role and organisation."""
        return request.user

    @post("/users", operation_id="CreateUser", responses=problems(401, 403, 409, 422), guards=[requires_role("admin")])
    async def create(self, data: JSONBody[UserCreate], db: NamedDependency[asyncpg.Connection]) -> User:
        """Create a user account (admins)."""
        return await create_user(db, data)
