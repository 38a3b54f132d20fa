"""Route guards: who may call what. Ownership checks on single objects live in the services."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler

from matchmaker.accounts.schemas import User
from matchmaker.errors import Forbidden

# A request from a signed-in user (what a route handler sees).
Caller = Request[User, Any, State]
STAFF = frozenset({"coordinator", "admin"})


def requires_role(*roles: str):
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.user.role not in allowed:
            raise Forbidden(f"this action needs the role {' or '.join(sorted(allowed))}; you are {connection.user.role}")

    guard.__name__ = "requires_" + "_or_".join(sorted(allowed))
    return guard


requires_staff = requires_role(*STAFF)


def is_staff(user: User) -> bool:
    return user.role in STAFF


def ensure_member_or_staff(user: User, organisation_id: int, what: str) -> None:
    """Owners act on their organisation's objects; coordinators and admins on any."""
    if not is_staff(user) and user.organisation_id != organisation_id:
        raise Forbidden(f"{what} belongs to another organisation")
