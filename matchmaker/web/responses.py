"""Responses that say where a new resource lives."""

from __future__ import annotations

from typing import TypeVar

from litestar import Response

T = TypeVar("T")


def created(resource: T, location: str) -> Response[T]:
    """201 Created with ``Location``: the URL of the new resource."""
    return Response(resource, status_code=201, headers={"Location": location})
