"""``GET /api/v1/vocabularies``: the closed lists, with their labels, in one response."""

from __future__ import annotations

from functools import lru_cache
from typing import get_args

from litestar import Controller, get

from matchmaker.vocabulary import (
    CapacityArea,
    OrganisationKind,
    ResourceType,
    countries,
    currencies,
    dac_sectors,
    gcm_objectives,
    minor_units,
    region_names,
)
from matchmaker.vocabulary.schemas import Country, Currency, Objective, Sector, Term, Vocabularies
from matchmaker.web.openapi import problems


def _terms(kind: object) -> list[Term]:
    return [Term(value, value.replace("_", " ").capitalize()) for value in get_args(kind)]


@lru_cache(maxsize=1)
def vocabularies() -> Vocabularies:
    units = minor_units()
    return Vocabularies(
        gcm_objectives=[Objective(number, title) for number, title in sorted(gcm_objectives().items())],
        capacity_areas=_terms(CapacityArea),
        resource_types=_terms(ResourceType),
        organisation_kinds=_terms(OrganisationKind),
        regions=sorted(region_names().values()),
        countries=[Country(code, row["name"], row["name_fr"], row["name_es"], row["region"], row["sub_region"],
                           row["intermediate_region"]) for code, row in sorted(countries().items())],
        currencies=[Currency(code, name, units.get(code)) for code, name in sorted(currencies().items())],
        dac_sectors=[Sector(code, row["name"], row["category"], row["category_name"])
                     for code, row in sorted(dac_sectors().items())],
    )


class VocabularyController(Controller):
    path = "/api/v1/vocabularies"
    tags = ["reference"]

    @get("/", operation_id="GetVocabularies", responses=problems(401))
    async def read(self) -> Vocabularies:
        """GCM objectives with titles, capacity areas, resource types, organisation kinds, UN M49
        regions, countries, currencies and DAC sectors: everything forms and filters offer."""
        return vocabularies()
