"""Lists as CSV: a list route answers ``Accept: text/csv`` or ``?format=csv`` with every row its
filters select, streamed batch by batch, in the columns and values of its JSON items
(``matchmaker.csvfiles``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, cast

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter
from litestar.response import Stream

from matchmaker.csvfiles import csv_lines
from matchmaker.db.pool import Database
from matchmaker.schemas import Page
from matchmaker.web.responses import JSONResponse

T = TypeVar("T", bound=msgspec.Struct)
CSV = "text/csv"
# Rows fetched per query while a CSV streams (the largest page a list gives).
BATCH = 100

Format = Annotated[
    Literal["json", "csv"] | None,
    QueryParameter(description="`csv`: every row the filters select, as CSV (as `Accept: text/csv`); default JSON"),
]
# (connection, limit, cursor) -> one page of the list
Fetch = Callable[[asyncpg.Connection, int, str | None], Awaitable[Page[T]]]


@dataclass
class TableOperation(Operation):
    """The document of a list route: its 200 answer is JSON or CSV."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content[CSV] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, description="CSV, a header line first"))


@dataclass
class CsvImportOperation(Operation):
    """The document of a route that reads a CSV file (its raw ``body``): what the body is."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={CSV: OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING,
            description="A header line naming fields of the create body, then one row each; lists joined by `;`"))})


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    return request.accept.best_match(["application/json", CSV], default="application/json") == CSV


def _csv(content: str | AsyncIterator[str], name: str) -> Response[Any]:
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    media_type = f"{CSV}; charset=utf-8"
    if isinstance(content, str):
        return Response(content, media_type=media_type, headers=headers)
    return Stream(content, media_type=media_type, headers=headers)


def whole_table(request: Request, format: str | None, kind: type[T], name: str, rows: Page[T]) -> Response[Page[T]]:
    """A list that is always one page, as JSON or CSV."""
    if not wants_csv(request, format):
        return JSONResponse(rows)
    # The route's document names both media types (``TableOperation``); Litestar sends whatever response it is handed.
    return cast(Response[Page[T]], _csv(csv_lines(kind, rows.items, header=True), name))


async def table(request: Request, format: str | None, kind: type[T], name: str, db: asyncpg.Connection,
                database: Database, fetch: Fetch[T], limit: int, cursor: str | None) -> Response[Page[T]]:
    """The list's page as JSON, or, asked for CSV, every row from ``cursor`` on, streamed."""
    if not wants_csv(request, format):
        return JSONResponse(await fetch(db, limit, cursor))
    # The first batch is read here, on the request's connection: a bad filter or cursor is
    # still a problem+json answer, not a broken stream.
    first = await fetch(db, BATCH, cursor)

    async def chunks() -> AsyncIterator[str]:
        yield csv_lines(kind, first.items, header=True)
        following = first.next_cursor
        while following is not None:
            async with database.connection() as conn:
                page = await fetch(conn, BATCH, following)
            yield csv_lines(kind, page.items)
            following = page.next_cursor

    return cast(Response[Page[T]], _csv(chunks(), name))
