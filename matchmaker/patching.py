"""Partial updates: merge a PATCH Struct into the stored row."""

from __future__ import annotations

from typing import Any

import msgspec


def patch_changes(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sets (``UNSET`` ones are left out)."""
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
