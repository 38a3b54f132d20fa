"""Closed vocabularies of the domain, and the reference lists (countries, currencies, GCM).

The same lists are enforced by the database (CHECK constraints, reference tables; a test
holds the two equal); these give clients an early, precise error naming the field and the
rule, and the ranker its categories.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import Literal, get_args

from matchmaker.settings import REFERENCE_DIR

Role = Literal["state", "donor", "coordinator", "admin"]
OrganisationKind = Literal[
    "state_agency", "local_authority", "bilateral_donor", "multilateral", "un_agency",
    "foundation", "private_sector", "diaspora_organisation", "individual", "civil_society",
]
Language = Literal["en", "fr", "es"]
ResourceType = Literal["financial", "technical_expertise", "training", "equipment", "in_kind", "volunteers"]
CapacityArea = Literal[
    "data_collection_analysis", "consular_practices", "border_management", "international_obligations",
    "cross_border_coordination", "whole_of_government", "whole_of_society", "diaspora_engagement",
]
Region = Literal["Africa", "Americas", "Asia", "Europe", "Oceania"]
NeedStatus = Literal["open", "funded", "closed"]
OfferStatus = Literal["open", "exhausted", "closed"]
MatchStatus = Literal["proposed", "approved", "rejected", "withdrawn", "disbursed", "completed", "cancelled"]
LedgerKind = Literal["commitment", "release", "disbursement"]
RoundStatus = Literal["draft", "committed"]
# A solved round: proven best, the best found in the time allowed, rules that cannot all hold,
# or nothing found in the time allowed.
ProposalStatus = Literal["optimal", "feasible", "infeasible", "no_solution"]
# How often a result indicator is reported on, in months.
ReportInterval = Literal[1, 3, 6, 12]
# Where an exchange rate comes from: the dollar itself, the ECB's reference rates, a fixed
# parity, or the indicative fallback.
RateSource = Literal["usd", "ecb", "peg", "indicative"]

STATE_KINDS = frozenset({"state_agency", "local_authority"})
FUNDER_KINDS = frozenset(get_args(OrganisationKind)) - STATE_KINDS
NON_FINANCIAL = frozenset(get_args(ResourceType)) - {"financial"}


def read_reference(name: str) -> list[dict[str, str]]:
    """The rows of ``reference/<name>``, a CSV file whose ``#`` lines say where it comes from."""
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@lru_cache(maxsize=1)
def dac_sectors() -> dict[str, dict[str, str]]:
    """OECD DAC 5-digit purpose code → row (name, category, category_name)."""
    return {row["code"]: row for row in read_reference("dac_sectors.csv")}


@lru_cache(maxsize=1)
def countries() -> dict[str, dict[str, str]]:
    """ISO 3166 alpha-3 → its row (names, UN M49 region and sub-region)."""
    return {row["alpha3"]: row for row in read_reference("countries.csv")}


@lru_cache(maxsize=1)
def currencies_with_rates() -> frozenset[str]:
    """ISO 4217 codes that can be converted to US dollars (others cannot be compared)."""
    iso = {row["code"] for row in read_reference("currencies.csv")}
    return frozenset(iso & {row["currency"] for row in read_reference("usd_rates.csv")})


@lru_cache(maxsize=1)
def gcm_objectives() -> dict[int, str]:
    """GCM objective number → its short official title."""
    return {int(row["number"]): row["title"] for row in read_reference("gcm_objectives.csv")}


@lru_cache(maxsize=1)
def gcm_objective_titles() -> dict[int, tuple[str, str, str]]:
    """GCM objective number → its official title in English, French and Spanish (A/RES/73/195)."""
    return {int(row["number"]): (row["title"], row["title_fr"], row["title_es"])
            for row in read_reference("gcm_objectives.csv")}


@lru_cache(maxsize=1)
def currencies() -> dict[str, str]:
    """ISO 4217 code → name, for the currencies amounts may be given in (those with a rate)."""
    usable = currencies_with_rates()
    return {row["code"]: row["name"] for row in read_reference("currencies.csv") if row["code"] in usable}


@lru_cache(maxsize=1)
def minor_units() -> dict[str, int]:
    """ISO 4217 code → decimal places of its minor unit (2 for EUR, 0 for JPY and XOF)."""
    return {row["code"]: int(row["minor_unit"]) for row in read_reference("currencies.csv") if row["minor_unit"].isdigit()}


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Every UN M49 region, sub-region and intermediate region, by its lower-case name."""
    names = {row[level] for row in countries().values()
             for level in ("region", "sub_region", "intermediate_region") if row[level]}
    return {name.lower(): name for name in names}


@lru_cache(maxsize=1)
def region_translations() -> dict[str, tuple[str, str, str]]:
    """Each UN M49 area's name (as ``countries`` writes it) → its names in English, French and Spanish."""
    return {row["name"]: (row["name"], row["name_fr"], row["name_es"]) for row in read_reference("regions.csv")}


@lru_cache(maxsize=1)
def region_aliases() -> dict[str, str]:
    """Every UN M49 area by its lower-case name in English, French or Spanish → its name as stored."""
    aliases = dict(region_names())
    for name, names in region_translations().items():
        aliases.update({alias.lower(): name for alias in names})
    return aliases


def region_of(country: str) -> str:
    return countries().get(country, {}).get("region", "")
