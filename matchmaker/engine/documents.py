"""What the ranker reads: needs, offers and past funding records, as frozen msgspec Structs.

These are the ranker's own view of the domain (money already in USD, countries as ISO
alpha-3); the service layer converts its rows into them. ``read_records`` reads funding
history in the benchmark CSV format (``shared/bench/README.md``) tolerantly.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import get_args

import msgspec

from matchmaker.vocabulary import CapacityArea, OrganisationKind, ResourceType

# The categories the ranker encodes, in the vocabulary's order (positions are features).
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)
CAPACITY_AREAS: tuple[str, ...] = get_args(CapacityArea)
ORGANISATION_KINDS: tuple[str, ...] = get_args(OrganisationKind)


# A document's id: the database's integer for needs and offers (so ids stay ``int`` from the
# database to the response); a record's or a funder's reference where funding records are
# ranked as needs and funders as offers (evaluation). The engine only compares them.
DocId = int | str


class NeedDoc(msgspec.Struct, frozen=True, kw_only=True):
    """A capacity need posted by a state (or a past funding record taken as a need)."""

    id: DocId
    title: str
    description: str = ""
    language: str | None = None
    countries: tuple[str, ...] = ()
    #: UN M49 regions or sub-regions the need covers besides its countries (regional needs).
    regions: tuple[str, ...] = ()
    gcm_objectives: tuple[int, ...] = ()
    capacity_areas: tuple[str, ...] = ()
    #: DAC 5-digit purpose codes, or free text when the source uses another vocabulary.
    sectors: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    #: Remaining amount needed, in USD.
    amount_usd: float | None = None
    deadline: date | None = None


class OfferDoc(msgspec.Struct, frozen=True, kw_only=True):
    """A funding offer published by a funder; a funder known only by its history is one too."""

    id: DocId
    funder_id: str
    funder_kind: str = "bilateral_donor"
    #: For a diaspora organisation, its country of origin, which counts as geographic focus.
    funder_country: str | None = None
    title: str = ""
    description: str = ""
    language: str | None = None
    gcm_objectives: tuple[int, ...] = ()
    capacity_areas: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    #: UN M49 region names (Africa, Americas, Asia, Europe, Oceania) or sub-region names.
    regions: tuple[str, ...] = ()
    global_: bool = False
    #: Budget minus what is already committed, in USD; ``None`` when not stated.
    remaining_usd: float | None = None
    min_usd: float | None = None
    max_usd: float | None = None
    deadline: date | None = None
    status: str = "open"


class FundingRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One past funding record: who funded what, where, when (one row of the bench CSV)."""

    record_id: str
    funder_id: str
    funder_name: str = ""
    funder_type: str = ""
    countries: tuple[str, ...] = ()
    region: str = ""
    sectors: tuple[str, ...] = ()
    title: str = ""
    description: str = ""
    language: str | None = None
    amount_usd: float | None = None
    year: int | None = None


class DecisionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A coordinator's decision on a proposed (need, offer) pair: a training label."""

    need: NeedDoc
    offer: OfferDoc
    approved: bool


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value and value.strip() else None
    except ValueError:
        return None


def read_records(path: str | Path) -> list[FundingRecord]:
    """Funding records from a CSV in the bench format; unknown columns are ignored.

    Several countries or sectors are joined by ``;``; empty description, language, amount
    and year are allowed; a row without a funder is skipped.
    """
    csv.field_size_limit(sys.maxsize)  # long descriptions exceed the default 128 KiB limit
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return [record for record in _records(csv.DictReader(fh)) if record.funder_id]


def _records(rows: csv.DictReader) -> Iterator[FundingRecord]:
    for number, row in enumerate(rows):
        year = _number(row.get("year"))
        yield FundingRecord(
            record_id=(row.get("record_id") or "").strip() or f"row-{number}",
            funder_id=(row.get("funder_id") or "").strip(),
            funder_name=(row.get("funder_name") or "").strip(),
            funder_type=(row.get("funder_type") or "").strip(),
            countries=tuple(code.upper() for code in _split(row.get("recipient_iso3"))),
            region=(row.get("recipient_region") or "").strip(),
            sectors=_split(row.get("sectors")),
            title=(row.get("title") or "").strip(),
            description=(row.get("description") or "").strip(),
            language=(row.get("language") or "").strip().lower() or None,
            amount_usd=_number(row.get("amount_usd")),
            year=int(year) if year is not None else None,
        )


def record_to_need(record: FundingRecord) -> NeedDoc:
    """A past record seen as a need: what was asked for, where, how much (not who paid)."""
    return NeedDoc(
        id=record.record_id,
        title=record.title,
        description=record.description,
        language=record.language,
        countries=record.countries,
        regions=(record.region,) if record.region and not record.countries else (),
        sectors=record.sectors,
        resource_types=("financial",),
        amount_usd=record.amount_usd,
    )


def funder_offer(funder_id: str, kind: str = "bilateral_donor") -> OfferDoc:
    """A funder known only by its history: no declared text, global, every resource type."""
    return OfferDoc(id=funder_id, funder_id=funder_id, funder_kind=kind, global_=True, resource_types=RESOURCE_TYPES)
