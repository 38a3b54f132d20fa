"""Query parameters shared by list endpoints."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, PathParameter, QueryParameter

from matchmaker.schemas import MAX_ID

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page (1-100)")]
Cursor = Annotated[str | None, QueryParameter(max_length=200, description="next_cursor of the previous page")]
SearchText = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=500, pattern=r"^[^\x00]*$", description="Full-text search (en/fr/es)"),
]
CountryFilter = Annotated[
    str | None, QueryParameter(pattern=r"^[A-Za-z]{3}$", description="ISO 3166-1 alpha-3 (any case)")
]
RegionFilter = Annotated[
    str | None, QueryParameter(max_length=100, pattern=r"^[^\x00]*$", description="UN M49 region or sub-region (any case)")
]
ObjectiveFilter = Annotated[int | None, QueryParameter(ge=1, le=23, description="GCM objective (1-23)")]
MaxAmountUsd = Annotated[
    int | None, QueryParameter(ge=1, le=10**12, description="Only needs still asking at most this many US dollars")
]
Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
AcceptLanguage = Annotated[
    str | None, HeaderParameter(name="accept-language", description="Language of the explanations: en, fr or es (default en)")
]
