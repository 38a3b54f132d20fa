"""Funders' past funding records (``matchmaker import-history``): what they really fund, and where.

Records link to an organisation through its ``external_id`` (e.g. an IATI organisation id);
unlinked records are kept and link as soon as that organisation is registered. A file whose
content (SHA-256) was imported before is recognised and not read again.
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from asyncpg import Connection, Record

from matchmaker.db.queries import load
from matchmaker.engine.documents import read_records
from matchmaker.errors import InvalidInput
from matchmaker.ranking.queries import ranking_sql
from matchmaker.vocabulary import countries


class FundingRecordQueries(Protocol):
    """``sql/queries/history.sql``."""

    async def insert_funding_record(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def link_funding_records(self, conn: Connection) -> Any: ...
    async def get_history_import(self, conn: Connection, *, sha256: str) -> Record | None: ...
    async def record_history_import(self, conn: Connection, *, sha256: str, file_name: str, records: int) -> str: ...
    async def history_summary(self, conn: Connection) -> Record: ...


history_sql: FundingRecordQueries = load("history", FundingRecordQueries)

REQUIRED = ("record_id", "funder_id", "title")
SHOWN = 20  # problems listed before "... and N more"
BATCH = 1000  # rows checked, or records stored, between two progress reports

#: Called as ``progress(step, done, total)`` while importing; ``total`` is ``None`` while unknown.
Progress = Callable[[str, int, int | None], None]


def check_history_file(path: str | Path, progress: Progress = lambda *_: None) -> None:
    """Refuse the whole file, naming each bad row, rather than import part of it or nonsense:
    columns of the benchmark format, known recipient countries, numeric amounts and years."""
    csv.field_size_limit(sys.maxsize)
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput("file", f"{path} lacks the column(s) {', '.join(missing)} "
                                       f"(expected the funding-record format: {', '.join(REQUIRED)}, ...)")
        problems, rows = [], 0
        for rows, row in enumerate(reader, start=1):
            problems += _row_problems(rows + 1, row)
            if rows % BATCH == 0:
                progress("rows checked", rows, None)
    progress("rows checked", rows, rows)
    if problems:
        shown = problems[:SHOWN] + ([f"... and {len(problems) - SHOWN} more"] if len(problems) > SHOWN else [])
        raise InvalidInput("file", f"{len(problems)} problem(s) in {path}; nothing was imported:\n  " + "\n  ".join(shown))


def _row_problems(line: int, row: dict[str, str]) -> list[str]:
    problems = []
    if not (row.get("funder_id") or "").strip():
        problems.append(f"line {line}: funder_id is empty")
    for code in (row.get("recipient_iso3") or "").split(";"):
        if code.strip() and code.strip().upper() not in countries():
            problems.append(f"line {line}: recipient_iso3 {code.strip()!r} is not an ISO 3166 alpha-3 code")
    amount = (row.get("amount_usd") or "").strip()
    if amount:  # negative ones are real: refunds and corrections in IATI exports
        try:
            if not math.isfinite(float(amount)):
                raise ValueError
        except ValueError:
            problems.append(f"line {line}: amount_usd {amount!r} is not an amount")
    year = (row.get("year") or "").strip()
    if year and not (year.isdigit() and 1950 <= int(year) <= 2100):
        problems.append(f"line {line}: year {year!r} is not a year")
    return problems


async def import_history(conn: asyncpg.Connection, path: str | Path, progress: Progress = lambda *_: None) -> str:
    """Import the records of a funding-history file, unless the same content was imported before."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    before = await history_sql.get_history_import(conn, sha256=digest)
    if before is not None:
        linked = await _link(conn)
        return (f"{path}: this content was imported already ({before['records']} records, "
                f"{before['imported_at']:%Y-%m-%d %H:%M}), nothing to do"
                + (f"; {linked} record(s) newly linked to registered organisations" if linked else ""))
    check_history_file(path, progress)

    records = read_records(path)
    summary = await history_sql.history_summary(conn)
    for start in range(0, len(records), BATCH):
        await history_sql.insert_funding_record(conn, [
            {
                "record_id": r.record_id, "funder_ref": r.funder_id, "funder_name": r.funder_name,
                "funder_type": r.funder_type, "recipient_countries": list(r.countries), "recipient_region": r.region,
                "sectors": list(r.sectors), "title": r.title, "description": r.description, "language": r.language or "",
                "amount_usd": _funding_size(r.amount_usd), "year": r.year,
            }
            for r in records[start : start + BATCH]
        ])
        progress("records stored", min(start + BATCH, len(records)), len(records))
    await history_sql.record_history_import(conn, sha256=digest, file_name=Path(path).name, records=len(records))
    await _link(conn, notify=True)
    after = await history_sql.history_summary(conn)
    return (
        f"read {len(records)} records from {path}: {after['records'] - summary['records']} new; "
        f"{after['records']} records of {after['funders']} funders in all, "
        f"{after['linked_records']} linked to {after['linked_funders']} registered organisations"
    )


def _funding_size(amount_usd: float | None) -> float | None:
    """A refund or correction (a negative amount) still says what the funder funded, but not
    how much it funds: the record is kept, without an amount."""
    return amount_usd if amount_usd is None or amount_usd >= 0 else None


async def _link(conn: asyncpg.Connection, notify: bool = False) -> int:
    """Link records to the organisations registered since; running workers refit on the
    new history (notified on commit) when there is any."""
    linked = await history_sql.link_funding_records(conn)
    if notify or linked:
        await ranking_sql.notify_model_changed(conn)
    return linked
