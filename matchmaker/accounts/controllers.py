"""Account routes: tokens (get one, sign out), the caller and their password, users (admins)."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from matchmaker.accounts.guards import Caller, requires_role
from matchmaker.accounts.schemas import (
    PasswordChange,
    Token,
    TokenRequest,
    User,
    UserCreate,
    UserUpdate,
)
from matchmaker.accounts.service import create_user, revoke_tokens, set_active
from matchmaker.accounts.signin import SignIn, client_address
from matchmaker.accounts.tokens import PUBLIC, TokenIssuer
from matchmaker.web.openapi import problems
from matchmaker.web.params import Id
from matchmaker.web.responses import created

# Token responses are credentials: no cache may keep them.
NO_STORE = {"Cache-Control": "no-store"}


class AuthController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/token", operation_id="CreateToken", responses=problems(401, 422, 429), status_code=200, security=PUBLIC)
    async def create_token(
        self, request: Request, data: JSONBody[TokenRequest], signin: NamedDependency[SignIn],
        tokens: NamedDependency[TokenIssuer],
    ) -> Response[Token]:
        """Exchange an email and password for a bearer token (429 after repeated failures)."""
        account = await signin.authenticate(data.email, data.password, client_address(request))
        return Response(tokens.issue(account.user.id, account.token_version), headers=NO_STORE)

    @post("/auth/sign-out", operation_id="SignOut", responses=problems(401), status_code=204)
    async def sign_out(self, request: Caller, db: NamedDependency[asyncpg.Connection]) -> None:
        """End every token issued to the caller so far, on every device."""
        await revoke_tokens(db, request.user.id)

    @get("/me", operation_id="GetMe", responses=problems(401))
    async def me(self, request: Caller) -> User:
        """The authenticated caller: id, email, role and organisation."""
        return request.user

    @post("/me/password", operation_id="ChangePassword", responses=problems(401, 422, 429), status_code=200)
    async def change_password(
        self, request: Caller, data: JSONBody[PasswordChange], signin: NamedDependency[SignIn],
        tokens: NamedDependency[TokenIssuer],
    ) -> Response[Token]:
        """Change the caller's password: every earlier token ends; the answer is a new one."""
        account = await signin.change_password(request.user.id, data.current_password, data.new_password,
                                               client_address(request))
        return Response(tokens.issue(account.user.id, account.token_version), headers=NO_STORE)

    @post("/users", operation_id="CreateUser", responses=problems(401, 403, 409, 422), guards=[requires_role("admin")])
    async def create(self, data: JSONBody[UserCreate], db: NamedDependency[asyncpg.Connection]) -> Response[User]:
        """Create a user account (admins)."""
        user = await create_user(db, data)
        return created(user, f"/api/v1/users/{user.id}")

    @patch("/users/{user_id:int}", operation_id="UpdateUser", responses=problems(401, 403, 404, 422),
           guards=[requires_role("admin")])
    async def update(self, user_id: Id, data: JSONBody[UserUpdate], db: NamedDependency[asyncpg.Connection]) -> User:
        """Deactivate (its tokens end at once) or reactivate a user account (admins)."""
        return await set_active(db, user_id, data.active)
