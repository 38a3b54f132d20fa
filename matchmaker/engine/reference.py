"""Reference vocabularies the ranker reasons with: DAC sectors, UN M49 geography and the
currencies pegged to the US dollar.

Sectors may arrive as DAC 5-digit codes or as text; both become one key (the code when
the text is a DAC sector name) so that records in either form agree, and codes roll up to
their 3-digit DAC category. Countries roll up to their UN M49 sub-region(s) and region.
"""

from __future__ import annotations

from functools import lru_cache

from matchmaker import vocabulary
from matchmaker.engine.text import fold


@lru_cache(maxsize=1)
def _sector_names() -> dict[str, str]:
    names = {fold(row["name"]): code for code, row in vocabulary.dac_sectors().items()}
    # A category name alone ("Health") stands for its first code, the general one.
    for code, row in sorted(vocabulary.dac_sectors().items(), reverse=True):
        names.setdefault(fold(row["category_name"]), code)
    return names


def sector_key(value: str) -> str:
    """A DAC code as is; a DAC sector name as its code; other text folded."""
    text = value.strip()
    if text.isdigit():
        return text
    return _sector_names().get(fold(text), fold(" ".join(text.split())))


def sector_category(key: str) -> str | None:
    """The 3-digit DAC category of a DAC code key; ``None`` for text sectors."""
    return key[:3] if key.isdigit() and len(key) == 5 else None


def sector_label(key: str) -> str:
    row = vocabulary.dac_sectors().get(key)
    return f"{key} {row['name']}" if row else key


def countries() -> dict[str, dict[str, str]]:
    """ISO alpha-3 → row (name, region, sub_region, intermediate_region): the service's own table."""
    return vocabulary.countries()


@lru_cache(maxsize=1)
def area_levels() -> dict[str, str]:
    """Folded M49 area name → ``region`` or ``subregion`` (sub- and intermediate regions)."""
    levels = {}
    for row in countries().values():
        for column in ("sub_region", "intermediate_region"):
            if row[column]:
                levels[fold(row[column])] = "subregion"
        if row["region"]:
            levels[fold(row["region"])] = "region"
    return levels


def country_areas(code: str) -> tuple[str | None, tuple[str, ...]]:
    """(region, sub-regions) of a country: ``SEN`` → (Africa, (Sub-Saharan Africa, Western Africa))."""
    row = countries().get(code.upper())
    if row is None:
        return None, ()
    return row["region"] or None, tuple(filter(None, (row["sub_region"], row["intermediate_region"])))


def country_name(code: str) -> str:
    return countries().get(code.upper(), {}).get("name", code)


@lru_cache(maxsize=1)
def dollar_pegs() -> dict[str, float]:
    """Currency → units per US dollar, for the currencies pegged to the dollar at a rate
    other than one (``reference/rate_pegs.csv``)."""
    return {row["currency"]: float(row["units_per_anchor"]) for row in vocabulary.read_reference("rate_pegs.csv")
            if row["anchor"] == "USD" and float(row["units_per_anchor"]) != 1.0}
