"""Every error leaves as RFC 9457 ``application/problem+json``; this is the one place that maps them."""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from matchmaker.errors import MatchmakerError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# msgspec reports where a value failed as "... - at `$.field[0]`".
_AT = re.compile(r"\s*-\s*at\s*`\$\.?([^`]*)`\s*$")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _domain_error(request: Request, exc: MatchmakerError) -> Response:
    return problem(exc.status, exc.title, exc.detail, **exc.extra)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Litestar's validation details as ``[{"field", "message", "source"}]``."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", ""))
        field = item.get("key") or ""
        if match := _AT.search(message):
            field, message = match.group(1) or field, message[: match.start()]
        errors.append({"field": field or "body", "message": message, "source": item.get("source", "body")})
    return errors


def _validation_error(request: Request, exc: ValidationException) -> Response:
    errors = _field_errors(exc)
    if not errors:
        # Litestar puts the decoder's message in the detail when the body is not valid JSON
        # or not an object of the expected shape.
        detail = str(exc.detail)
        field = _AT.search(detail)
        errors = [{"field": field.group(1) if field and field.group(1) else "body",
                   "message": _AT.sub("", detail), "source": "body"}]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422 if "malformed" not in summary.lower() else 400, "Invalid input", summary, errors=errors)


def _http_error(request: Request, exc: HTTPException) -> Response:
    title = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
             413: "Request too large"}.get(exc.status_code, "Error")
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    headers = exc.headers or {}
    response = problem(exc.status_code, title, str(exc.detail), **extra)
    response.headers.update(headers)
    return response


def _database_error(request: Request, exc: asyncpg.PostgresError) -> Response:
    """Constraints are the last line of defence; a client hitting one still gets a 4xx."""
    field = getattr(exc, "column_name", None) or getattr(exc, "constraint_name", None) or "body"
    if isinstance(exc, (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError)):
        return problem(409, "Conflict", f"{field}: already exists", errors=[{"field": field, "message": exc.message}])
    if isinstance(exc, (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)):
        return problem(422, "Invalid input", f"{field}: {exc.message}", errors=[{"field": field, "message": exc.message}])
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal server error", "The server failed to handle this request.")


EXCEPTION_HANDLERS = {
    MatchmakerError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    asyncpg.PostgresError: _database_error,
    Exception: _unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]
