"""Indicator and progress-report Structs at the API boundary: one per direction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from matchmaker.schemas import TEXT, EntityId, GcmObjective, Money, Title
from matchmaker.vocabulary import ReportInterval

#: A measured value: a number (or decimal string) of at least 0, to four decimal places.
Measure = Annotated[Money, msgspec.Meta(description="value >= 0, at most 4 decimal places, as a number or a decimal string")]
Unit = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=TEXT)]
Narrative = Annotated[str, msgspec.Meta(max_length=20_000, pattern=TEXT)]
EvidenceLink = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://[^\s\x00]+$")]
PortfolioDimension = Literal["gcm_objective", "region", "funder"]


class IndicatorCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    match_id: EntityId
    title: Title
    description: Annotated[str, msgspec.Meta(max_length=5000, pattern=TEXT)] = ""
    #: What the values count, e.g. "officers trained", "% of cases processed within 30 days".
    unit: Unit
    baseline: Measure
    baseline_date: date | None = None
    target: Measure
    start_date: date
    end_date: date
    #: A progress report is due every so many months from the start, until the end.
    report_every_months: ReportInterval = 3
    gcm_objective: GcmObjective | None = None


class Indicator(msgspec.Struct, frozen=True):
    """An indicator and where it stands: its reports so far, the latest value, the share of the
    way from baseline to target (``progress``; 1: reached), when the next report is due and
    whether that day has passed (``overdue``)."""

    id: int
    match_id: int
    title: str
    description: str
    unit: str
    baseline: Decimal
    baseline_date: date | None
    target: Decimal
    start_date: date
    end_date: date
    report_every_months: int
    gcm_objective: int | None
    reports: int
    latest_actual: Decimal | None
    last_period_end: date | None
    progress: Decimal | None
    next_report_due: date | None
    overdue: bool
    created_at: datetime


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    period_start: date
    period_end: date
    #: The indicator's value at the end of the period.
    actual: Measure
    narrative: Narrative = ""
    #: Links to the evidence (reports, photos, attendance lists), http or https.
    evidence: Annotated[list[EvidenceLink], msgspec.Meta(max_length=20)] = []


class ProgressReport(msgspec.Struct, frozen=True):
    id: int
    period_start: date
    period_end: date
    actual: Decimal
    narrative: str
    evidence: list[str]
    filed_by: int | None
    filed_at: datetime


class IndicatorDetail(Indicator, frozen=True):
    """An indicator with every progress report filed against it, oldest first."""

    history: list[ProgressReport] = []


class PortfolioRow(msgspec.Struct, frozen=True):
    """Progress under one key: an indicator with several keys (objectives) counts under each."""

    key: int | str
    #: An objective's title, a region's name, a funder's name.
    label: str
    matches: int
    indicators: int
    #: Indicators with at least one report.
    reported: int
    overdue: int
    #: The mean share of the way from baseline to target of the reported indicators (each clipped to [0, 1]).
    mean_progress: Decimal | None
