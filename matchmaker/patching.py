"""Partial updates: merge a PATCH Struct into the stored row, keeping the rules a commitment
set: the status follows the ledger, and what an approval relied on stays as it was."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.errors import Conflict


def patch_changes(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sets (``UNSET`` ones are left out)."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


def derived_status(requested: str, committed: Decimal, total: Decimal, full: str) -> str:
    """An owner opens or closes; whether an open need is ``funded`` (an offer ``exhausted``,
    ``full``) is the ledger's to say."""
    if requested == "closed":
        return "closed"
    return full if committed >= total else "open"


def check_frozen(user: User, what: str, committed: Decimal, changes: dict[str, Any], current: dict[str, Any],
                 fields: tuple[str, ...]) -> None:
    """Once part of a need or offer is committed, the fields its approvals relied on change
    only by a coordinator's hand (audited like every change)."""
    if committed <= 0 or is_staff(user):
        return
    for field in fields:
        if field in changes and changes[field] != current[field]:
            raise Conflict(f"{field} cannot change once part of the {what} is committed; ask a coordinator",
                           field=field)
