"""Funding gaps by GCM objective, region, capacity area or resource type, in US dollars."""

from __future__ import annotations

from typing import Literal

import asyncpg
import msgspec

from matchmaker.db.queries import fetch_all, queries

GapDimension = Literal["gcm_objective", "region", "capacity_area", "resource_type"]


class FundingGap(msgspec.Struct, frozen=True):
    """One row: a need with several keys (e.g. two objectives) counts under each."""

    key: int | str
    requested_usd: float
    committed_usd: float
    gap_usd: float
    needs: int
    committed_financial_usd: float
    committed_non_financial_usd: float


async def funding_gaps(conn: asyncpg.Connection, by: GapDimension) -> list[FundingGap]:
    rows = await fetch_all(queries.funding_gaps(conn, by=by))
    return [
        FundingGap(**{**dict(r), "key": int(r["key"]) if by == "gcm_objective" else r["key"]})
        for r in rows
    ]


def format_table(by: str, rows: list[FundingGap]) -> str:
    """The rows as a terminal table, largest gap first, with a total line where keys do not overlap."""
    header = f"{by:<28} {'requested USD':>16} {'committed USD':>16} {'gap USD':>16} {'needs':>6} {'non-financial':>14}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{str(r.key):<28} {r.requested_usd:>16,.0f} {r.committed_usd:>16,.0f} {r.gap_usd:>16,.0f}"
                     f" {r.needs:>6} {r.committed_non_financial_usd:>14,.0f}")
    if by == "region":  # each need has exactly one region: the rows add up
        total = [sum(getattr(r, f) for r in rows) for f in ("requested_usd", "committed_usd", "gap_usd")]
        lines += ["-" * len(header), f"{'total':<28} {total[0]:>16,.0f} {total[1]:>16,.0f} {total[2]:>16,.0f}"
                  f" {sum(r.needs for r in rows):>6}"]
    return "\n".join(lines)
