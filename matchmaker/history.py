"""Funders' past funding records (``matchmaker import-history``): what they really fund, and where.

Records link to an organisation through its ``external_id`` (e.g. an IATI organisation id);
unlinked records are kept and link as soon as that organisation is registered.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from asyncpg import Connection, Record

from matchmaker.db.queries import load
from matchmaker.errors import InvalidInput
from matchmaker.ranking.documents import read_records
from matchmaker.ranking.queries import ranking_sql
from matchmaker.vocabulary import countries


class HistoryQueries(Protocol):
    """``sql/queries/history.sql``."""

    async def insert_funding_record(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def link_funding_records(self, conn: Connection) -> str: ...
    async def history_summary(self, conn: Connection) -> Record | None: ...


history_sql = load("history", HistoryQueries)


REQUIRED = ("record_id", "funder_id", "title")
SHOWN = 20  # problems listed before "... and N more"


def check_history_file(path: str | Path) -> None:
    """Refuse the whole file, naming each bad row, rather than import part of it or nonsense:
    columns of the benchmark format, known recipient countries, numeric amounts and years."""
    csv.field_size_limit(sys.maxsize)
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput("file", f"{path} lacks the column(s) {', '.join(missing)} "
                                       f"(expected the funding-record format: {', '.join(REQUIRED)}, ...)")
        problems = [problem for line, row in enumerate(reader, start=2) for problem in _row_problems(line, row)]
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


async def import_history(conn: asyncpg.Connection, path: str | Path) -> str:
    check_history_file(path)
    records = read_records(path)
    before = await history_sql.history_summary(conn)
    await history_sql.insert_funding_record(conn, [
        {
            "record_id": r.record_id, "funder_ref": r.funder_id, "funder_name": r.funder_name,
            "funder_type": r.funder_type, "recipient_countries": list(r.countries), "recipient_region": r.region,
            "sectors": list(r.sectors), "title": r.title, "description": r.description, "language": r.language or "",
            "amount_usd": r.amount_usd, "year": r.year,
        }
        for r in records
    ])
    await history_sql.link_funding_records(conn)
    await ranking_sql.notify_model_changed(conn)  # running workers refit on the new history (on commit)
    after = await history_sql.history_summary(conn)
    return (
        f"read {len(records)} records from {path}: {after['records'] - before['records']} new; "
        f"{after['records']} records of {after['funders']} funders in all, "
        f"{after['linked_records']} linked to {after['linked_funders']} registered organisations"
    )
