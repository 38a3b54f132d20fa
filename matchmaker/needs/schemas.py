"""Capacity-need Structs at the API boundary: one per direction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from matchmaker.schemas import (
    Amount,
    CountryCode,
    CurrencyCode,
    Description,
    EntityId,
    GcmObjective,
    Reference,
    SectorCode,
    Title,
)
from matchmaker.vocabulary import CapacityArea, Language, NeedStatus, ResourceType

Objectives = Annotated[list[GcmObjective], msgspec.Meta(min_length=1, max_length=23)]
ResourceTypes = Annotated[list[ResourceType], msgspec.Meta(min_length=1, max_length=6)]
CapacityAreas = Annotated[list[CapacityArea], msgspec.Meta(max_length=20)]
Sectors = Annotated[list[SectorCode], msgspec.Meta(max_length=50)]


class Need(msgspec.Struct, frozen=True, omit_defaults=True):
    """A capacity need as the API shows it; ``committed`` is what approved matches hold, same currency."""

    id: int
    organisation_id: int
    reference: str | None
    title: str
    description: str
    language: Language
    country: str
    region: str
    gcm_objectives: list[int]
    capacity_areas: list[str]
    resource_types: list[str]
    sectors: list[str]
    amount: Decimal
    currency: str
    committed: Decimal
    remaining: Decimal
    amount_usd: Decimal | None
    deadline: date | None
    status: NeedStatus
    created_at: datetime
    updated_at: datetime
    #: In a list searched with ``q``: how well the item answers it (higher is better; compare
    #: within one search only). Absent elsewhere.
    relevance: float | None = None


class NeedCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    description: Description = ""
    #: Detected from the text when absent.
    language: Language | None = None
    country: CountryCode
    gcm_objectives: Objectives
    capacity_areas: CapacityAreas = []
    resource_types: ResourceTypes
    #: OECD DAC 5-digit purpose codes, optional.
    sectors: Sectors = []
    amount: Amount
    currency: CurrencyCode
    deadline: date | None = None
    #: The state's own reference for the need, unique within its organisation.
    reference: Reference | None = None
    #: Only coordinators and admins post on behalf of an organisation; states post for their own.
    organisation_id: EntityId | None = None


class NeedUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial update: absent fields keep their value."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    country: CountryCode | UnsetType = UNSET
    gcm_objectives: Objectives | UnsetType = UNSET
    capacity_areas: CapacityAreas | UnsetType = UNSET
    resource_types: ResourceTypes | UnsetType = UNSET
    sectors: Sectors | UnsetType = UNSET
    amount: Amount | UnsetType = UNSET
    currency: CurrencyCode | UnsetType = UNSET
    deadline: date | None | UnsetType = UNSET
    reference: Reference | None | UnsetType = UNSET
    #: ``open`` or ``closed``: whether it is funded follows from what is committed.
    status: Literal["open", "closed"] | UnsetType = UNSET
