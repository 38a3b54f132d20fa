"""Results use cases: define an indicator on a funded match, file progress reports, read them
(the two organisations of the match and coordinators), find overdue ones, and sum the
portfolio's progress up — each change audited on the match, so both sides see it in their feed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from matchmaker import audit
from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.results.queries import results_sql
from matchmaker.results.schemas import (
    Indicator,
    IndicatorCreate,
    IndicatorDetail,
    PortfolioDimension,
    PortfolioRow,
    ProgressReport,
    ReportCreate,
)
from matchmaker.rules import Checks
from matchmaker.schemas import Page, decode_cursor, page
from matchmaker.vocabulary import gcm_objectives

# The statuses of a match whose results are followed: it was funded.
FUNDED = frozenset({"approved", "disbursed", "completed"})
MAX_MEASURE = Decimal(10) ** 15
PLACES = Decimal("0.0001")


def check_measure(field: str, value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value > MAX_MEASURE:
        raise InvalidInput(field, f"must be a number from 0 to {MAX_MEASURE:,}")
    if value != value.quantize(PLACES):
        raise InvalidInput(field, f"{value} has more than 4 decimal places")


def _sees(user: User, row: Any) -> bool:
    return is_staff(user) or user.organisation_id in (row["need_organisation_id"], row["offer_organisation_id"])


def _ensure_reporter(user: User, row: Any) -> None:
    """The state whose need the match funds reports on it, or a coordinator."""
    if not is_staff(user) and (user.role != "state" or user.organisation_id != row["need_organisation_id"]):
        raise Forbidden("results are defined and reported by the state whose need it is, or by a coordinator")


def _indicator(row: Any, kind: type[Indicator], today: date, **extra: Any) -> Any:
    due = row["next_report_due"]
    return msgspec.convert({**dict(row), "overdue": due is not None and due < today, **extra}, kind)


async def _visible_indicator(conn: asyncpg.Connection, user: User, indicator_id: int) -> asyncpg.Record:
    row = await results_sql.get_indicator(conn, id=indicator_id)
    if row is None or not _sees(user, row):
        raise NotFound(f"indicator {indicator_id} does not exist")
    return row


async def get_indicator(conn: asyncpg.Connection, user: User, indicator_id: int) -> IndicatorDetail:
    row = await _visible_indicator(conn, user, indicator_id)
    reports = await fetch_all(results_sql.indicator_reports(conn, indicator_id=indicator_id))
    history = [msgspec.convert(dict(r), ProgressReport) for r in reports]
    detail: IndicatorDetail = _indicator(row, IndicatorDetail, date.today(), history=history)
    return detail


async def list_indicators(conn: asyncpg.Connection, user: User, *, match_id: int | None, overdue: bool,
                          limit: int, cursor: str | None) -> Page[Indicator]:
    today = date.today()
    rows = await fetch_all(results_sql.list_indicators(
        conn, match_id=match_id, due_before=today if overdue else None,
        organisation_id=None if is_staff(user) else user.organisation_id, before_id=decode_cursor(cursor), lim=limit + 1,
    ))
    return page([_indicator(r, Indicator, today) for r in rows], limit)


async def define_indicator(conn: asyncpg.Connection, user: User, data: IndicatorCreate) -> IndicatorDetail:
    match = await results_sql.match_parties(conn, id=data.match_id)
    if match is None or not _sees(user, match):
        raise InvalidInput("match_id", f"match {data.match_id} does not exist")
    _ensure_reporter(user, match)
    if match["status"] not in FUNDED:
        raise Conflict(f"the match is {match['status']}: results are followed on approved, disbursed or completed "
                       "matches", field="match_id", current_status=match["status"])
    checks = Checks()
    checks(check_measure, "baseline", data.baseline)
    checks(check_measure, "target", data.target)
    if data.target == data.baseline:
        checks.add("target", "must differ from the baseline")
    if data.end_date <= data.start_date:
        checks.add("end_date", "must be after start_date")
    checks.done()
    indicator_id = await results_sql.insert_indicator(conn, **msgspec.structs.asdict(data), created_by=user.id)
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=data.match_id, action="indicator_defined",
        changes={"indicator_id": indicator_id, "title": data.title, "baseline": data.baseline, "target": data.target,
                 "unit": data.unit},
        organisation_ids=[match["need_organisation_id"], match["offer_organisation_id"]],
    )
    return await get_indicator(conn, user, indicator_id)


async def file_report(conn: asyncpg.Connection, user: User, indicator_id: int, data: ReportCreate) -> ProgressReport:
    indicator = await _visible_indicator(conn, user, indicator_id)
    _ensure_reporter(user, indicator)
    checks = Checks()
    checks(check_measure, "actual", data.actual)
    if data.period_end < data.period_start:
        checks.add("period_end", "must not be before period_start")
    if data.period_start < indicator["start_date"]:
        checks.add("period_start", f"must not be before the indicator's start ({indicator['start_date']})")
    if data.period_end > indicator["end_date"]:
        checks.add("period_end", f"must not be after the indicator's end ({indicator['end_date']})")
    if data.period_end > date.today():
        checks.add("period_end", "a period is reported once it has ended")
    checks.done()
    report_id = await results_sql.insert_report(conn, indicator_id=indicator_id, **msgspec.structs.asdict(data),
                                                filed_by=user.id)
    if report_id is None:
        raise Conflict(f"the period ending {data.period_end} is reported already", field="period_end")
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=indicator["match_id"], action="progress_reported",
        changes={"indicator_id": indicator_id, "period_end": data.period_end, "actual": data.actual},
        organisation_ids=[indicator["need_organisation_id"], indicator["offer_organisation_id"]],
    )
    return next(r for r in (await get_indicator(conn, user, indicator_id)).history if r.id == report_id)


def _label(by: PortfolioDimension, row: Any) -> str:
    if by == "gcm_objective":
        return f"{row['key']}. {gcm_objectives()[int(row['key'])]}"
    return str(row["funder"] if by == "funder" else row["key"])


async def portfolio(conn: asyncpg.Connection, user: User, by: PortfolioDimension) -> list[PortfolioRow]:
    """Progress of the indicators the caller may see, by objective, region or funder."""
    rows = await fetch_all(results_sql.portfolio(
        conn, by=by, organisation_id=None if is_staff(user) else user.organisation_id, today=date.today()))
    found = [
        PortfolioRow(key=r["key"] if by == "region" else int(r["key"]), label=_label(by, r), matches=r["matches"],
                     indicators=r["indicators"], reported=r["reported"], overdue=r["overdue"],
                     mean_progress=r["mean_progress"])
        for r in rows
    ]
    return sorted(found, key=lambda row: str(row.key) if by == "region" else int(row.key))  # objectives by number
