"""An event of the feed: one audited change, as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Event(msgspec.Struct, frozen=True):
    """``subject`` names what the event is about: a need's or offer's title, an
    organisation's name, or both sides of a match (as they are named now)."""

    id: int
    at: datetime
    actor_id: int | None
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]
    reason: str | None
    subject: str | None = None
