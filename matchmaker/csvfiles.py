"""CSV files in and out: a row's cells are the fields of a JSON item, written and read one way.

A cell holds what the JSON holds: amounts with their exact decimal digits, dates and times in
ISO 8601, ``true``/``false``, an empty cell for ``null`` (or, read, for a field left out),
and a list's values joined by ``;``. A file read is checked whole, by the rules of the JSON
body it stands for: every broken rule is named with its line, and nothing of a file with one
is kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import asyncpg
import msgspec

from matchmaker.errors import FieldError, InvalidInput, MatchmakerError
from matchmaker.rules import body_errors
from matchmaker.schemas import decode_money, encode_money

S = TypeVar("S", bound=msgspec.Struct)
R = TypeVar("R")
LIST_SEPARATOR = ";"


def cell(value: Any) -> str:
    """One JSON value (as ``msgspec.to_builtins`` gives it) as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(cell(v) for v in value)
    return str(value)


def csv_lines(kind: type[msgspec.Struct], items: Iterable[msgspec.Struct], header: bool = False) -> str:
    """Items as CSV lines, one column per field of ``kind`` (its header line first if asked)."""
    names = [f.encode_name for f in msgspec.structs.fields(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(names)
    for item in items:
        values = msgspec.to_builtins(item, enc_hook=encode_money)
        writer.writerow([cell(values.get(name)) for name in names])
    return out.getvalue()


def _is_list(field: msgspec.structs.FieldInfo) -> bool:
    info = msgspec.inspect.type_info(field.type)
    for option in info.types if isinstance(info, msgspec.inspect.UnionType) else (info,):
        if isinstance(option, msgspec.inspect.Metadata):
            option = option.type
        if isinstance(option, msgspec.inspect.ListType):
            return True
    return False


def _at(line: int, errors: Iterable[FieldError]) -> list[FieldError]:
    return [{"field": f"line {line}: {e['field']}", "message": e["message"]} for e in errors]


def _header_errors(kind: type[msgspec.Struct], header: list[str]) -> list[FieldError]:
    fields = msgspec.structs.fields(kind)
    known = {f.encode_name for f in fields}
    errors: list[FieldError] = [{"field": name, "message": "unknown column"} for name in header if name not in known]
    errors += [{"field": f.encode_name, "message": "missing column"}
               for f in fields if f.required and f.encode_name not in header]
    return _at(1, errors)


def _body(lists: set[str], row: dict[str | None, Any]) -> dict[str, Any]:
    """A row as the JSON body it stands for: empty cells left out, lists split."""
    body: dict[str, Any] = {}
    for name, text in row.items():
        if name is None or text is None or text.strip() == "":
            continue
        body[name] = [v.strip() for v in text.split(LIST_SEPARATOR) if v.strip()] if name in lists else text.strip()
    return body


async def _create(conn: asyncpg.Connection, kind: type[S], body: dict[str, Any], create: Callable[[S], Awaitable[R]],
                  created: list[R], line: int) -> list[FieldError]:
    """One row, as a JSON body is taken: decoded (else every field's error), then created, the
    service checking its rules; the errors found, named at ``line``."""
    try:
        data = msgspec.convert(body, kind, strict=False, dec_hook=decode_money)
    except msgspec.ValidationError:
        return _at(line, body_errors(kind, body))
    try:
        # A savepoint: a refused row leaves no trace, and the rows after it are still checked.
        async with conn.transaction():
            created.append(await create(data))
    except InvalidInput as exc:
        return _at(line, exc.errors)
    except MatchmakerError as exc:
        return _at(line, [{"field": "row", "message": exc.detail}])
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        return _at(line, [{"field": getattr(exc, "column_name", None) or "row", "message": str(exc)}])
    return []


def text_of(data: bytes) -> str:
    """A file's text: UTF-8, with or without the byte-order mark spreadsheets write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("body", f"not UTF-8 text (byte {exc.start})") from None


async def import_rows(conn: asyncpg.Connection, kind: type[S], text: str,
                      create: Callable[[S], Awaitable[R]]) -> list[R]:
    """``create`` each row of a CSV file (a header line naming fields of ``kind``, then one row
    each), in the transaction ``conn`` is in; ``InvalidInput`` naming every broken rule by
    line when any row is refused, and then nothing is kept (the caller's transaction rolls back)."""
    reader = csv.DictReader(io.StringIO(text))
    errors = _header_errors(kind, list(reader.fieldnames or []))
    if errors:
        raise InvalidInput.every(errors)
    lists = {f.encode_name for f in msgspec.structs.fields(kind) if _is_list(f)}
    created: list[R] = []
    line = reader.line_num + 1
    for row in reader:
        if None in row:
            errors += _at(line, [{"field": "row", "message": "more cells than the header has columns"}])
        errors += await _create(conn, kind, _body(lists, row), create, created, line)
        line = reader.line_num + 1
    if errors:
        raise InvalidInput.every(errors)
    if not created:
        raise InvalidInput("file", "no rows below the header line")
    return created
