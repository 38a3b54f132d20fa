"""The one exception hierarchy of the domain; ``matchmaker.web.problems`` maps it to HTTP."""

from __future__ import annotations

from typing import Any, TypedDict


class FieldError(TypedDict):
    field: str
    message: str


class MatchmakerError(Exception):
    """Base class: a client-facing failure with an HTTP status and a title."""

    status = 400
    title = "Bad request"
    #: Seconds after which a retry may succeed (sent as ``Retry-After``), for errors that pass.
    retry_after: int | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(MatchmakerError):
    """Fields break rules; ``errors`` names each (dotted path) with what is wrong."""

    status = 422
    title = "Invalid input"

    def __init__(self, field: str, detail: str, *more: FieldError) -> None:
        self.errors: list[FieldError] = [{"field": field, "message": detail}, *more]
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in self.errors), errors=self.errors)

    @classmethod
    def every(cls, errors: list[FieldError]) -> InvalidInput:
        """One 422 naming several fields, each with its message."""
        first, *more = errors
        return cls(first["field"], first["message"], *more)


class NotAuthenticated(MatchmakerError):
    status = 401
    title = "Not authenticated"


class Forbidden(MatchmakerError):
    status = 403
    title = "Forbidden"


class NotFound(MatchmakerError):
    status = 404
    title = "Not found"


class Conflict(MatchmakerError):
    status = 409
    title = "Conflict"


class TooManyAttempts(MatchmakerError):
    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(MatchmakerError):
    """The service cannot answer now (saturated, or the database is down): retry shortly."""

    status = 503
    title = "Service unavailable"
    retry_after = 1
