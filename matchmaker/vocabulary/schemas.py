"""The vocabularies as the API lists them, for clients that build forms and filters."""

from __future__ import annotations

import msgspec


class Term(msgspec.Struct, frozen=True):
    """A value a field takes, with what to show for it."""

    value: str
    label: str


class Objective(msgspec.Struct, frozen=True):
    number: int
    title: str


class Country(msgspec.Struct, frozen=True):
    code: str
    name: str
    name_fr: str
    name_es: str
    region: str
    sub_region: str
    intermediate_region: str


class Currency(msgspec.Struct, frozen=True):
    code: str
    name: str
    minor_unit: int | None


class Sector(msgspec.Struct, frozen=True):
    code: str
    name: str
    category: str
    category_name: str


class Vocabularies(msgspec.Struct, frozen=True):
    """Every closed list a need, an offer or a filter draws on."""

    gcm_objectives: list[Objective]
    capacity_areas: list[Term]
    resource_types: list[Term]
    organisation_kinds: list[Term]
    regions: list[str]
    countries: list[Country]
    currencies: list[Currency]
    dac_sectors: list[Sector]
