"""Funding-offer Structs at the API boundary: one per direction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from matchmaker.needs.schemas import CapacityAreas, ResourceTypes, Sectors
from matchmaker.schemas import (
    Amount,
    CountryCode,
    CurrencyCode,
    Description,
    EntityId,
    GcmObjective,
    Reference,
    Title,
)
from matchmaker.vocabulary import Language, OfferStatus, OrganisationKind, Region

Objectives = Annotated[list[GcmObjective], msgspec.Meta(max_length=23)]
Countries = Annotated[list[CountryCode], msgspec.Meta(max_length=250)]
Regions = Annotated[list[Region], msgspec.Meta(max_length=5)]


class Offer(msgspec.Struct, frozen=True, omit_defaults=True):
    """A funding offer as the API shows it; ``committed`` is what approved matches hold, same currency."""

    id: int
    organisation_id: int
    organisation_kind: OrganisationKind
    origin_country: str | None
    reference: str | None
    title: str
    description: str
    language: Language
    gcm_objectives: list[int]
    capacity_areas: list[str]
    resource_types: list[str]
    sectors: list[str]
    countries: list[str]
    regions: list[str]
    global_: bool = msgspec.field(name="global")
    budget: Decimal
    currency: str
    committed: Decimal
    remaining: Decimal
    budget_usd: Decimal | None
    min_amount: Decimal | None
    max_amount: Decimal | None
    deadline: date | None
    status: OfferStatus
    created_at: datetime
    updated_at: datetime
    #: In a list searched with ``q``: how well the item answers it (higher is better; compare
    #: within one search only). Absent elsewhere.
    relevance: float | None = None


class OfferCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    description: Description = ""
    #: Detected from the text when absent.
    language: Language | None = None
    gcm_objectives: Objectives = []
    capacity_areas: CapacityAreas = []
    resource_types: ResourceTypes
    sectors: Sectors = []
    #: Where the offer may be spent: countries, UN M49 regions, or everywhere (``global``).
    countries: Countries = []
    regions: Regions = []
    global_: bool = msgspec.field(default=False, name="global")
    budget: Amount
    currency: CurrencyCode
    #: Ticket size: the smallest and largest single commitment, in the offer's currency.
    min_amount: Amount | None = None
    max_amount: Amount | None = None
    deadline: date | None = None
    reference: Reference | None = None
    #: Only coordinators and admins publish on behalf of an organisation; donors publish for their own.
    organisation_id: EntityId | None = None


class OfferUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial update: absent fields keep their value."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    gcm_objectives: Objectives | UnsetType = UNSET
    capacity_areas: CapacityAreas | UnsetType = UNSET
    resource_types: ResourceTypes | UnsetType = UNSET
    sectors: Sectors | UnsetType = UNSET
    countries: Countries | UnsetType = UNSET
    regions: Regions | UnsetType = UNSET
    global_: bool | UnsetType = msgspec.field(default=UNSET, name="global")
    budget: Amount | UnsetType = UNSET
    currency: CurrencyCode | UnsetType = UNSET
    min_amount: Amount | None | UnsetType = UNSET
    max_amount: Amount | None | UnsetType = UNSET
    deadline: date | None | UnsetType = UNSET
    reference: Reference | None | UnsetType = UNSET
    #: ``open`` or ``closed``: whether it is exhausted follows from what is committed.
    status: Literal["open", "closed"] | UnsetType = UNSET
