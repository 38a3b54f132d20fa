"""The response every route answers with (exact amounts), and one that says where a new resource lives."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from litestar import Response
from litestar.serialization import default_serializer
from litestar.types import Serializer

from matchmaker.schemas import to_json

T = TypeVar("T")
_JSON_MEDIA = re.compile(r"^application/(.+\+)?json")


class JSONResponse(Response[T]):
    """Litestar's response, with JSON (and problem+json) written by ``to_json``: amounts as
    numbers with their exact decimal digits."""

    def render(self, content: Any, media_type: str, enc_hook: Serializer = default_serializer) -> bytes:
        if isinstance(content, bytes) or not _JSON_MEDIA.match(media_type):
            return super().render(content, media_type, enc_hook)
        return to_json(content)


def created(resource: T, location: str) -> JSONResponse[T]:
    """201 Created with ``Location``: the URL of the new resource."""
    return JSONResponse(resource, status_code=201, headers={"Location": location})
