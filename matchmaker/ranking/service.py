"""The ranker inside the service: fitted at start-up, kept current by database notifications.

Each worker process holds the fitted ``MatchRanker`` and two indexes (open offers, open
needs). Every audited change notifies the worker (``matchmaker.events.hub``); the changed
need or offer — or both sides of a match whose decision moved budget — is re-read and
re-indexed, so a change shows in rankings within milliseconds, in every process, without
a restart. The fitted model is kept in the data directory (skops, allow-listed types) with
a reference to the data it was fitted on, and refitted when that data changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import asyncpg

from matchmaker.db.queries import fetch_all, queries
from matchmaker.ranking.documents import Decision, FundingRecord, NeedDoc, OfferDoc
from matchmaker.ranking.explain import RankedNeed, RankedOffer
from matchmaker.ranking.history import FunderHistory
from matchmaker.ranking.index import NeedIndex, OfferIndex
from matchmaker.ranking.model import MatchRanker
from matchmaker.ranking.persistence import UntrustedModelError, load_model, save_model

log = logging.getLogger(__name__)
MODEL_FILE = "ranker.skops"


def need_doc(row: asyncpg.Record) -> NeedDoc:
    return NeedDoc(
        id=str(row["id"]), title=row["title"], description=row["description"], language=row["language"],
        countries=(row["country"],), regions=tuple(row["regions"]), gcm_objectives=tuple(row["gcm_objectives"]),
        capacity_areas=tuple(row["capacity_areas"]), sectors=tuple(row["sectors"]),
        resource_types=tuple(row["resource_types"]), amount_usd=row["remaining_usd"], deadline=row["deadline"],
    )


def offer_doc(row: asyncpg.Record) -> OfferDoc:
    return OfferDoc(
        id=str(row["id"]), funder_id=str(row["organisation_id"]), funder_kind=row["kind"],
        funder_country=row["origin_country"], title=row["title"], description=row["description"],
        language=row["language"], gcm_objectives=tuple(row["gcm_objectives"]),
        capacity_areas=tuple(row["capacity_areas"]), sectors=tuple(row["sectors"]),
        resource_types=tuple(row["resource_types"]), countries=tuple(row["countries"]),
        regions=tuple(row["regions"]), global_=row["global"], remaining_usd=row["remaining_usd"],
        min_usd=row["min_usd"], max_usd=row["max_usd"], deadline=row["deadline"], status=row["status"],
    )


def record_doc(row: asyncpg.Record) -> FundingRecord:
    return FundingRecord(
        record_id=row["record_id"], funder_id=row["funder_id"], funder_name=row["funder_name"],
        funder_type=row["funder_type"], countries=tuple(row["recipient_countries"]), region=row["recipient_region"],
        sectors=tuple(row["sectors"]), title=row["title"], description=row["description"],
        language=row["language"] or None, amount_usd=row["amount_usd"], year=row["year"],
    )


async def load_training_data(conn: asyncpg.Connection | asyncpg.Pool) -> tuple[list[FundingRecord], list[Decision]]:
    """Funding history and coordinators' decisions, as the ranker learns from them."""
    records = [record_doc(r) for r in await fetch_all(queries.ranking_records(conn))]
    rows = await fetch_all(queries.ranking_decisions(conn))
    if not rows:
        return records, []
    needs = {d.id: d for d in map(need_doc, await fetch_all(queries.ranking_needs(conn, ids=[r["need_id"] for r in rows])))}
    offers = {d.id: d for d in map(offer_doc, await fetch_all(queries.ranking_offers(conn, ids=[r["offer_id"] for r in rows])))}
    return records, [
        Decision(need=needs[str(r["need_id"])], offer=offers[str(r["offer_id"])], approved=r["approved"]) for r in rows
    ]


def data_reference(records: list[FundingRecord], decisions: list[Decision]) -> str:
    """A fingerprint of what a model is fitted on: refit when it changes."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(f"{r.record_id}\x1f{r.funder_id}\n".encode())
    for d in decisions:
        digest.update(f"{d.need.id}\x1f{d.offer.id}\x1f{d.approved}\n".encode())
    return digest.hexdigest()


def fit_or_load(path: Path, records: list[FundingRecord], decisions: list[Decision]) -> MatchRanker:
    """The model saved at ``path`` if it was fitted on this very data, else a new fit (saved there)."""
    reference = data_reference(records, decisions)
    if path.exists():
        try:
            model, metadata = load_model(path)
            if metadata.get("data_reference") == reference:
                return model
        except (UntrustedModelError, ValueError, OSError) as exc:
            log.warning("ignoring the saved ranker at %s: %s", path, exc)
    model = MatchRanker().fit(records, decisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, path, {"data_reference": reference, "records": len(records), "decisions": len(decisions),
                             "training": model.training_})
    return model


class RankingService:
    """The fitted ranker and the live indexes of one worker process."""

    def __init__(self, pool: asyncpg.Pool, model_path: Path) -> None:
        self._pool = pool
        self._model_path = model_path
        self._pending: set[asyncio.Task[None]] = set()
        # Events that arrive while the indexes are being built, replayed once they are.
        self._early: list[dict[str, Any]] | None = []

    async def start(self) -> None:
        records, decisions = await load_training_data(self._pool)
        self.ranker = await asyncio.to_thread(fit_or_load, self._model_path, records, decisions)
        await self._build_indexes(records)
        early, self._early = self._early or [], None
        for event in early:
            self.on_event(event)

    async def _build_indexes(self, records: list[FundingRecord]) -> None:
        self.history = FunderHistory(records, self.ranker.encoder_) if records else None
        needs = [need_doc(r) for r in await fetch_all(queries.ranking_needs(self._pool, ids=None))]
        offers = [offer_doc(r) for r in await fetch_all(queries.ranking_offers(self._pool, ids=None))]
        self.needs = NeedIndex.build(needs, self.history, self.ranker)
        self.offers = OfferIndex.build(offers, self.history, self.ranker)

    async def _reload_model(self) -> None:
        """``matchmaker train`` saved a new model: load it and rebuild the indexes with it."""
        records, _ = await load_training_data(self._pool)
        self.ranker, _ = await asyncio.to_thread(load_model, self._model_path)
        await self._build_indexes(records)

    # -- keeping current -------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        """Hub callback: re-index what the event touched (in a task; the callback must not block)."""
        if event.get("entity") not in ("need", "offer", "match", "model"):
            return
        if self._early is not None:
            self._early.append(event)
            return
        if event["entity"] == "model":
            work = self._reload_model()
        else:
            work = self._refresh(event["entity"], int(event["entity_id"]))
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _refresh(self, entity: str, entity_id: int) -> None:
        need_ids, offer_ids = [], []
        if entity == "need":
            need_ids.append(entity_id)
        elif entity == "offer":
            offer_ids.append(entity_id)
        else:  # a decision may have moved budget on both sides
            sides = await queries.match_sides(self._pool, id=entity_id)
            if sides is None:
                return
            need_ids.append(sides["need_id"])
            offer_ids.append(sides["offer_id"])
        if need_ids:
            rows = await fetch_all(queries.ranking_needs(self._pool, ids=need_ids))
            self._apply(self.needs, need_ids, [need_doc(r) for r in rows if r["status"] == "open"])
        if offer_ids:
            rows = await fetch_all(queries.ranking_offers(self._pool, ids=offer_ids))
            self._apply(self.offers, offer_ids, [offer_doc(r) for r in rows if r["status"] == "open"])

    @staticmethod
    def _apply(index: NeedIndex | OfferIndex, ids: list[int], open_docs: list) -> None:
        """Open documents are (re-)indexed; closed, funded or exhausted ones leave the index."""
        gone = {str(i) for i in ids} - {d.id for d in open_docs}
        if gone:
            index.remove(gone)
        if open_docs:
            index.upsert(open_docs)

    async def settle(self) -> None:
        """Wait for the refreshes under way (tests, and orderly shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # -- ranking -------------------------------------------------------------------------------

    async def _need(self, need_id: int) -> NeedDoc | None:
        """The need as the ranker sees it, if it is open (a funded or closed need has no matches)."""
        rows = await fetch_all(queries.ranking_needs(self._pool, ids=[need_id]))
        return need_doc(rows[0]) if rows and rows[0]["status"] == "open" else None

    async def _offer(self, offer_id: int) -> OfferDoc | None:
        rows = await fetch_all(queries.ranking_offers(self._pool, ids=[offer_id]))
        return offer_doc(rows[0]) if rows else None

    async def offers_for_need(self, need_id: int, limit: int, kinds: Collection[str] | None = None) -> list[RankedOffer]:
        """Eligible open offers for a need (read fresh: its remaining amount may have just changed)."""
        need = await self._need(need_id)
        return self.ranker.rank(need, self.offers, limit=limit, kinds=kinds) if need else []

    async def needs_for_offer(self, offer_id: int, limit: int, **filters: Any) -> list[RankedNeed]:
        """Eligible open needs for an offer, among those passing the list filters."""
        offer = await self._offer(offer_id)
        if offer is None:
            return []
        allowed = None
        if any(v is not None for v in filters.values()):
            allowed = {d.id for d in self.needs.needs if _passes(d, **filters)}
        return self.ranker.rank_needs(offer, self.needs, limit=limit, allowed_ids=allowed)

    async def pair_score(self, need_id: int, offer_id: int) -> float | None:
        """The ranker's score for one pair (recorded with a proposal); ``None`` when ineligible."""
        need, offer = await self._need(need_id), await self._offer(offer_id)
        if need is None or offer is None:
            return None
        ranked = self.ranker.rank(need, OfferIndex([offer], self.history, self.ranker.encoder_), limit=1)
        return ranked[0].score if ranked else None


def _passes(
    need: NeedDoc, *, country: str | None = None, region: str | None = None, gcm_objective: int | None = None,
    capacity_area: str | None = None, resource_type: str | None = None,
) -> bool:
    """The needs list filters, applied to an indexed need."""
    return (
        (country is None or country in need.countries)
        and (region is None or region in need.regions)
        and (gcm_objective is None or gcm_objective in need.gcm_objectives)
        and (capacity_area is None or capacity_area in need.capacity_areas)
        and (resource_type is None or resource_type in need.resource_types)
    )
