"""Match Structs at the API boundary: one per direction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from matchmaker.audit import HistoryEntry
from matchmaker.schemas import TEXT, Amount, CurrencyCode, EntityId, Reason
from matchmaker.vocabulary import LedgerKind, MatchStatus, RateSource, ResourceType


class MatchCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    need_id: EntityId
    offer_id: EntityId
    #: For non-financial resources: their estimated value.
    amount: Amount
    currency: CurrencyCode
    resource_type: ResourceType
    note: Annotated[str, msgspec.Meta(max_length=5000, pattern=TEXT)] = ""


class Approval(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason
    #: Commit less than proposed (never more); the proposed amount when absent.
    amount: Amount | None = None


class Decision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason


class Withdrawal(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason | None = None


class Match(msgspec.Struct, frozen=True):
    """A proposed pairing and where it stands, with both sides named (a review queue needs no
    second request per item)."""

    id: int
    need_id: int
    offer_id: int
    need_title: str
    offer_title: str
    need_organisation_id: int
    offer_organisation_id: int
    need_organisation: str
    offer_organisation: str
    resource_type: ResourceType
    amount: Decimal
    currency: str
    status: MatchStatus
    note: str
    score: float | None
    proposed_by: int
    created_at: datetime
    updated_at: datetime


class LedgerEntry(msgspec.Struct, frozen=True):
    id: int
    kind: LedgerKind
    resource_type: ResourceType
    amount: Decimal
    currency: str
    need_delta: Decimal
    offer_delta: Decimal
    usd_value: Decimal
    #: The value date: the entry is valued at that day's rate.
    rate_date: date
    #: Units of the currency per US dollar the entry was valued at (null on entries made
    #: before rates were recorded), where that rate comes from (the dollar itself, the ECB's
    #: reference rates, a fixed parity, or the indicative fallback) and of which day.
    units_per_usd: Decimal | None
    rate_source: RateSource | None
    rate_source_date: date | None
    created_at: datetime


class LedgerLine(LedgerEntry, frozen=True):
    """A ledger entry in the ledger of every match: with the match, need and offer it moves."""

    match_id: int
    need_id: int
    offer_id: int


class MatchDetail(Match, frozen=True):
    """A match with its history (who did what, when, why) and its ledger entries."""

    history: list[HistoryEntry] = []
    ledger: list[LedgerEntry] = []
