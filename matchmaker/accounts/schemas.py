"""Account Structs at the API boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from matchmaker.schemas import TEXT, EntityId
from matchmaker.vocabulary import Role

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024, pattern=TEXT)]


class User(msgspec.Struct, frozen=True):
    """An authenticated user, as the API shows it (``GET /api/v1/me``)."""

    id: int
    email: str
    role: Role
    organisation_id: int | None
    created_at: datetime


NewPassword = Annotated[str, msgspec.Meta(min_length=10, max_length=1024, pattern=TEXT)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Email
    password: NewPassword
    role: Role
    organisation_id: EntityId | None = None


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What an admin changes of an account: deactivating it ends its tokens too."""

    active: bool


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: NewPassword


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password


class Token(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"
