"""Every error leaves as RFC 9457 ``application/problem+json``; this is the one place that maps them."""

from __future__ import annotations

import logging
import re
from typing import Any, get_args

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from litestar.utils.scope.state import ScopeState

from matchmaker.errors import MatchmakerError, Unavailable
from matchmaker.rules import body_errors
from matchmaker.web.responses import JSONResponse

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# msgspec reports where a value failed as "... - at `$.field[0]`", and names missing or
# unknown fields in backticks.
_AT = re.compile(r"\s*-\s*at\s*`\$\.?([^`]*)`\s*$")
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]*)`")


class FieldProblem(msgspec.Struct):
    field: str
    message: str
    source: str | msgspec.UnsetType = msgspec.UNSET


class Problem(msgspec.Struct, kw_only=True):
    """The members ``problem`` always or often sends (documented as the body of every error;
    RFC 9457 allows more, e.g. ``current_status`` on a 409)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _domain_error(request: Request, exc: MatchmakerError) -> Response:
    response = problem(exc.status, exc.title, exc.detail, **exc.extra)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Litestar's validation details as ``[{"field", "message", "source"}]``."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", ""))
        field = item.get("key") or ""
        if match := _AT.search(message):
            field, message = match.group(1) or field, message[: match.start()]
        if field == "data":  # the request body itself: name the field inside it
            field = ""
        if message.strip("'") == "data":  # no body at all where one is required
            field, message = "body", "a JSON body is required"
        if named := _NAMED_FIELD.search(message):
            field = f"{field}.{named.group(1)}" if field else named.group(1)
        errors.append({"field": field or "body", "message": message, "source": item.get("source", "body")})
    return errors


def _body_kind(request: Request) -> type[msgspec.Struct] | None:
    """The Struct a route decodes its JSON body into, if any."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    for kind in (data.annotation, *get_args(data.annotation)):
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            return kind
    return None


def _every_body_error(request: Request, errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """The decoder stops at a body's first mistake; when the body is the trouble, name them all."""
    kind, body = _body_kind(request), ScopeState.from_scope(request.scope).json
    if kind is None or not any(e["source"] == "body" for e in errors) or not isinstance(body, dict):
        return errors
    found = [{"field": e["field"], "message": e["message"], "source": "body"} for e in body_errors(kind, body)]
    return [e for e in errors if e["source"] != "body"] + found if found else errors


def _validation_error(request: Request, exc: ValidationException) -> Response:
    errors = _every_body_error(request, _field_errors(exc)) or [
        {"field": "body", "message": str(exc.detail), "source": "body"}]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Invalid input", summary, errors=errors)


def _http_error(request: Request, exc: HTTPException) -> Response:
    title = {400: "Malformed request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
             405: "Method not allowed", 413: "Request too large"}.get(exc.status_code, "Error")
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if exc.status_code == 400 and not extra:  # a body that could not be decoded at all
        extra = {"errors": [{"field": "body", "message": str(exc.detail), "source": "body"}]}
    headers = exc.headers or {}
    response = problem(exc.status_code, title, str(exc.detail), **extra)
    response.headers.update(headers)
    return response


def _database_down(request: Request, exc: Exception) -> Response:
    """The database went away (restart, outage): the client may retry; nothing was written."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return _domain_error(request, Unavailable("the database is unavailable; retry shortly"))


def _database_error(request: Request, exc: asyncpg.PostgresError) -> Response:
    """Constraints are the last line of defence; a client hitting one still gets a 4xx."""
    field = getattr(exc, "column_name", None) or getattr(exc, "constraint_name", None) or "body"
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError)):
        return problem(409, "Conflict", f"{field}: already exists", errors=[{"field": field, "message": message}])
    if isinstance(exc, (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)):
        return problem(422, "Invalid input", f"{field}: {message}", errors=[{"field": field, "message": message}])
    return _unexpected(request, exc)


def _too_deep(request: Request, exc: RecursionError) -> Response:
    """A body nested beyond what the decoder follows (``[[[[...]]]]``): refused, not a crash."""
    log.warning("refused a body nested too deeply on %s %s", request.method, request.url.path)
    message = "the JSON is nested too deeply"
    return problem(400, "Malformed request", message, errors=[{"field": "body", "message": message, "source": "body"}])


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal server error", "The server failed to handle this request.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    MatchmakerError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    asyncpg.PostgresError: _database_error,
    RecursionError: _too_deep,
    # A connection lost during a request, and a server shutting down or starting up.
    asyncpg.PostgresConnectionError: _database_down,
    asyncpg.CannotConnectNowError: _database_down,
    asyncpg.AdminShutdownError: _database_down,
    Exception: _unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]
