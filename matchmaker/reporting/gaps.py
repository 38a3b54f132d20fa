"""Funding gaps by GCM objective, region, country, capacity area or resource type, in US dollars."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import asyncpg
import msgspec

from matchmaker.db.queries import fetch_all
from matchmaker.reporting.queries import reporting_sql
from matchmaker.vocabulary import countries, gcm_objectives

GapDimension = Literal["gcm_objective", "region", "country", "capacity_area", "resource_type"]


class FundingGap(msgspec.Struct, frozen=True):
    """One row: a need with several keys (e.g. two objectives) counts under each."""

    key: int | str
    #: What to show for the key: an objective's title, a country's name, a readable area.
    label: str
    requested_usd: Decimal
    committed_usd: Decimal
    gap_usd: Decimal
    needs: int
    committed_financial_usd: Decimal
    committed_non_financial_usd: Decimal


def _label(by: GapDimension, key: str) -> str:
    if by == "gcm_objective":
        return f"{key}. {gcm_objectives()[int(key)]}"
    if by == "country":
        return countries()[key]["name"]
    return key if by == "region" else key.replace("_", " ").capitalize()


async def funding_gaps(conn: asyncpg.Connection, by: GapDimension) -> list[FundingGap]:
    rows = await fetch_all(reporting_sql.funding_gaps(conn, by=by))
    return [
        FundingGap(**{**dict(r), "key": int(r["key"]) if by == "gcm_objective" else r["key"],
                      "label": _label(by, r["key"])})
        for r in rows
    ]


def format_table(by: str, rows: list[FundingGap]) -> str:
    """The rows as a terminal table, largest gap first, with a total line where keys do not overlap."""
    header = f"{by:<44} {'requested USD':>16} {'committed USD':>16} {'gap USD':>16} {'needs':>6} {'non-financial':>14}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.label[:44]:<44} {r.requested_usd:>16,.0f} {r.committed_usd:>16,.0f} {r.gap_usd:>16,.0f}"
                     f" {r.needs:>6} {r.committed_non_financial_usd:>14,.0f}")
    if by in ("region", "country"):  # each need has exactly one: the rows add up
        total = [sum(getattr(r, f) for r in rows) for f in ("requested_usd", "committed_usd", "gap_usd")]
        lines += ["-" * len(header), f"{'total':<44} {total[0]:>16,.0f} {total[1]:>16,.0f} {total[2]:>16,.0f}"
                  f" {sum(r.needs for r in rows):>6}"]
    return "\n".join(lines)
