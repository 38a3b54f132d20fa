"""Organisation Structs at the API boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from matchmaker.schemas import TEXT, CountryCode
from matchmaker.vocabulary import OrganisationKind


class Organisation(msgspec.Struct, frozen=True):
    id: int
    name: str
    kind: OrganisationKind
    country: str
    origin_country: str | None
    external_id: str | None
    created_at: datetime


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=200, pattern=TEXT)]
    kind: OrganisationKind
    country: CountryCode
    #: Country of origin of a diaspora organisation or migrant: counts as geographic focus.
    origin_country: CountryCode | None = None
    #: Identifier in an outside registry (e.g. IATI organisation id), links funding history.
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=TEXT)] | None = None


class OrganisationUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What may change of an organisation; its kind only within states' agencies or within
    funders, so that its users' roles still fit."""

    name: Annotated[str, msgspec.Meta(min_length=2, max_length=200, pattern=TEXT)] | UnsetType = UNSET
    kind: OrganisationKind | UnsetType = UNSET
    country: CountryCode | UnsetType = UNSET
    origin_country: CountryCode | None | UnsetType = UNSET
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=TEXT)] | None | UnsetType = UNSET
