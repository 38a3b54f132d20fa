"""The ranker inside the service: fitted at start-up, kept current by database notifications.

Each worker process holds the fitted ``MatchRanker`` and two indexes (open offers, open
needs). Every audited change notifies the worker (``matchmaker.events.hub``); the changed
need or offer — or both sides of a match whose decision moved budget — is re-read and
re-indexed, so a change shows in rankings within milliseconds, in every process, without
a restart. The fitted model is kept in the data directory (skops, allow-listed types) with
a reference to the data it was fitted on, and refitted when that data changes.

Under load: the ranker and its indexes are used on one thread of their own (the *engine*),
so rankings and index updates never interleave and the event loop keeps serving other
requests while a ranking runs. Ranked pages are cached until an index they were computed
from changes (``matchmaker.ranking.pages``). No ranking holds a database connection while
it waits for the engine, and none ever holds two.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Callable, Collection, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import asyncpg
import numpy as np

from matchmaker.db.pool import Database
from matchmaker.db.queries import fetch_all
from matchmaker.engine.documents import DecisionRecord, FundingRecord, NeedDoc, OfferDoc
from matchmaker.engine.eligibility import RULES
from matchmaker.engine.explain import RankedNeed, RankedOffer
from matchmaker.engine.history import FunderHistory
from matchmaker.engine.index import NeedIndex, OfferIndex
from matchmaker.engine.model import FEATURES, MatchRanker
from matchmaker.engine.persistence import exclusive, load_model, save_model
from matchmaker.engine.wording import DEFAULT_LANGUAGE, words
from matchmaker.errors import NotFound
from matchmaker.needs.service import get_needs
from matchmaker.offers.service import get_offers
from matchmaker.ranking.pages import Key, PageCache
from matchmaker.ranking.queries import ranking_sql
from matchmaker.ranking.schemas import Excluded, RankedList, SuggestedNeed, SuggestedOffer
from matchmaker.schemas import encode_offset, to_json

log = logging.getLogger(__name__)
MODEL_FILE = "ranker.skops"
CACHED_PAGES = 2048  # ranked pages kept per worker (a page of 20 is a few tens of kB)
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)  # back-off while the database cannot be read
T = TypeVar("T")


def need_doc(row: asyncpg.Record) -> NeedDoc:
    return NeedDoc(
        id=row["id"], title=row["title"], description=row["description"], language=row["language"],
        countries=(row["country"],), regions=tuple(row["regions"]), gcm_objectives=tuple(row["gcm_objectives"]),
        capacity_areas=tuple(row["capacity_areas"]), sectors=tuple(row["sectors"]),
        resource_types=tuple(row["resource_types"]), amount_usd=row["remaining_usd"], deadline=row["deadline"],
    )


def offer_doc(row: asyncpg.Record) -> OfferDoc:
    return OfferDoc(
        id=row["id"], funder_id=str(row["organisation_id"]), funder_kind=row["kind"],
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


async def load_training_data(conn: asyncpg.Connection) -> tuple[list[FundingRecord], list[DecisionRecord]]:
    """Funding history and coordinators' decisions, as the ranker learns from them."""
    records = [record_doc(r) for r in await fetch_all(ranking_sql.ranking_records(conn))]
    rows = await fetch_all(ranking_sql.ranking_decisions(conn))
    if not rows:
        return records, []
    needs = {d.id: d for d in map(need_doc, await fetch_all(ranking_sql.ranking_needs(conn, ids=[r["need_id"] for r in rows])))}
    offers = {d.id: d for d in map(offer_doc, await fetch_all(ranking_sql.ranking_offers(conn, ids=[r["offer_id"] for r in rows])))}
    return records, [
        DecisionRecord(need=needs[r["need_id"]], offer=offers[r["offer_id"]], approved=r["approved"]) for r in rows
    ]


def data_reference(records: list[FundingRecord], decisions: list[DecisionRecord]) -> str:
    """A fingerprint of what a model is fitted on: refit when it changes."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(f"{r.record_id}\x1f{r.funder_id}\n".encode())
    for d in decisions:
        digest.update(f"{d.need.id}\x1f{d.offer.id}\x1f{d.approved}\n".encode())
    return digest.hexdigest()


def fit_or_load(path: Path, records: list[FundingRecord], decisions: list[DecisionRecord]) -> MatchRanker:
    """The model saved at ``path`` if it was fitted on this very data with today's feature
    list, else a new fit (saved there). One process fits at a time; an unreadable file counts
    as no file."""
    reference = data_reference(records, decisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(path):
        if path.exists():
            try:
                model, metadata = load_model(path)
                # Fitted on this data, with the features this version computes (a model of
                # another feature list would score with weights meant for other evidence).
                if metadata.get("data_reference") == reference and model.feature_names_ == list(FEATURES):
                    return model
            except Exception as exc:  # damaged, untrusted or from another version: refit
                log.warning("ignoring the saved ranker at %s (%s: %s); fitting a new one", path,
                            type(exc).__name__, exc)
        model = MatchRanker().fit(records, decisions)
        save_model(model, path, {"data_reference": reference, "features": model.feature_names_, "records": len(records),
                                 "decisions": len(decisions), "training": model.training_})
        return model


def score_pairs(ranker: MatchRanker, history: FunderHistory | None, needs: list[NeedDoc],
                offers: list[OfferDoc]) -> np.ndarray:
    """The ranker's score of every (need, offer) pair, as ranked lists order them; ``-inf``
    where the pair is not eligible."""
    if not needs or not offers:
        return np.full((len(needs), len(offers)), -np.inf)
    return ranker.score(needs, OfferIndex(offers, history, ranker.encoder_))


async def read_pairs(conn: asyncpg.Connection, need_ids: list[int],
                     offer_ids: list[int]) -> tuple[list[NeedDoc], list[OfferDoc]]:
    """Needs and offers as the ranker sees them, in the order of the ids given (ids not found are left out)."""
    needs = {d.id: d for d in map(need_doc, await fetch_all(ranking_sql.ranking_needs(conn, ids=need_ids)))}
    offers = {d.id: d for d in map(offer_doc, await fetch_all(ranking_sql.ranking_offers(conn, ids=offer_ids)))}
    return [needs[i] for i in need_ids if i in needs], [offers[i] for i in offer_ids if i in offers]


def explain_pairs(ranker: MatchRanker, history: FunderHistory | None, needs: list[NeedDoc], offers: list[OfferDoc],
                  pairs: list[tuple[int, int]], language: str = DEFAULT_LANGUAGE) -> dict[tuple[int, int], RankedOffer]:
    """Each (need id, offer id) pair's score with its explanation, shortfalls and label (in
    ``language``), as the need's ranked offers show them (a pair no longer eligible, or whose
    need or offer is not given, is left out)."""
    index = OfferIndex(offers, history, ranker.encoder_)
    by_need: dict[int, list[int]] = {}
    for need_id, offer_id in pairs:
        by_need.setdefault(need_id, []).append(offer_id)
    found = {}
    for need in needs:
        wanted = by_need.get(int(need.id), [])
        for ranked in ranker.rank(need, index, limit=len(wanted), allowed_ids=wanted, language=language) if wanted else ():
            found[int(need.id), int(ranked.offer_id)] = ranked
    return found


class PairScorer:
    """The ranker for a command: fitted (or loaded) once from the database, scoring and
    explaining pairs in the caller's process, as ``RankingService`` does in the server's."""

    def __init__(self, model_path: Path) -> None:
        self._model_path = model_path
        self._fitted: tuple[MatchRanker, FunderHistory | None] | None = None

    async def _model(self, conn: asyncpg.Connection) -> tuple[MatchRanker, FunderHistory | None]:
        if self._fitted is None:
            records, decisions = await load_training_data(conn)
            ranker = await asyncio.to_thread(fit_or_load, self._model_path, records, decisions)
            self._fitted = ranker, FunderHistory(records, ranker.encoder_) if records else None
        return self._fitted

    async def with_model(self, conn: asyncpg.Connection, work: Callable[[MatchRanker, FunderHistory | None], T]) -> T:
        """``work`` done with the ranker and its funding history, in this process."""
        return work(*await self._model(conn))


def scores_by_id(need_ids: list[int], offer_ids: list[int], needs: list[NeedDoc], offers: list[OfferDoc],
                  scores: np.ndarray) -> np.ndarray:
    """Scores laid out by the ids asked for (``-inf`` for an id not found)."""
    out = np.full((len(need_ids), len(offer_ids)), -np.inf)
    rows = {n: i for i, n in enumerate(need_ids)}
    cols = {o: j for j, o in enumerate(offer_ids)}
    out[np.ix_([rows[int(d.id)] for d in needs], [cols[int(d.id)] for d in offers])] = scores
    return out


MAX_OFFSET = 500  # how deep the ranked lists page (each page ranks all before it)


class RankedPage(NamedTuple, Generic[T]):
    """A ranked page, its JSON body (encoded once however often it is served), and the ids
    of everything ranked up to it (a change to any of them moves the page)."""

    page: RankedList[T]
    body: bytes
    ranked_ids: frozenset[int]

    @classmethod
    def of(cls, ranked: list[T], offset: int, limit: int, side: str, excluded: Excluded | None = None) -> RankedPage[T]:
        """The page ``[offset, offset + limit)`` of ``ranked`` (ranked one further, to tell
        whether more follow); ``excluded`` is shown when the list ends within the page."""
        more = len(ranked) > offset + limit and offset + limit <= MAX_OFFSET
        page = RankedList(items=ranked[offset : offset + limit], next_cursor=encode_offset(offset + limit) if more else None,
                          excluded=excluded if len(ranked) < offset + limit else None)
        return cls(page, to_json(page), frozenset(getattr(item, side).id for item in ranked))


def excluded_counts(counts: dict[str, int], language: str) -> Excluded:
    """Counts by eligibility rule, with a sentence saying them in ``language``."""
    say = words(language)
    reasons = [say(f"rule_{rule}", count=say.number(counts[rule])) for rule in RULES if counts[rule]]
    total = sum(counts.values())
    detail = say("excluded", count=say.number(total), reasons=say.join(reasons)) if total else say("excluded_none")
    return Excluded(total=total, detail=detail, **counts)


def _short(ranked: list, offset: int, limit: int) -> bool:
    """Whether a ranked list ends within its page: then its page says what was excluded."""
    return len(ranked) < offset + limit


class _Versions:
    """Counters that move when what a page was computed from changes: the model, and the
    page's own need or offer (a page shows its fields)."""

    def __init__(self) -> None:
        self.model = 0
        self._documents: dict[tuple[str, int], int] = {}

    def changed(self, side: str, ids: Collection[int]) -> None:
        for i in ids:
            self._documents[side, i] = self._documents.get((side, i), 0) + 1

    def of(self, side: str, doc_id: int) -> int:
        return self._documents.get((side, doc_id), 0)


class RankingService:
    """The fitted ranker, the live indexes and the ranked-page cache of one worker process."""

    def __init__(self, database: Database, model_path: Path) -> None:
        self._db = database
        self._model_path = model_path
        self._engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")
        self._versions = _Versions()
        # Offers ranked for a need, keyed (need id, limit, kind); needs ranked for an offer,
        # keyed (offer id, limit, filters).
        self._offer_pages: PageCache[RankedPage[SuggestedOffer]] = PageCache(CACHED_PAGES, lambda kept: kept.ranked_ids)
        self._need_pages: PageCache[RankedPage[SuggestedNeed]] = PageCache(CACHED_PAGES, lambda kept: kept.ranked_ids)
        # Changes are applied in the order they were announced, by one task, in batches.
        self._changes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._follower: asyncio.Task[None] | None = None

    async def _engine(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``work`` on the engine thread (the only thread that touches the ranker and indexes)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._engine_thread, functools.partial(work, *args, **kwargs))

    async def start(self) -> None:
        """Fit (or load) the ranker and index what is open, then follow announced changes."""
        await self._load()
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def _load(self) -> None:
        async with self._db.connection(wait=True) as conn:
            records, decisions = await load_training_data(conn)
            needs = [need_doc(r) for r in await fetch_all(ranking_sql.ranking_needs(conn, ids=None))]
            offers = [offer_doc(r) for r in await fetch_all(ranking_sql.ranking_offers(conn, ids=None))]
        # Fitted and indexed apart (rankings go on with the current model meanwhile), then
        # swapped in on the engine thread; changes announced meanwhile wait in the queue.
        built = await asyncio.to_thread(self._build, records, decisions, needs, offers)
        await self._engine(self._install, *built)
        self._versions.model += 1
        self._offer_pages.clear()
        self._need_pages.clear()

    def _build(self, records: list[FundingRecord], decisions: list[DecisionRecord], needs: list[NeedDoc],
               offers: list[OfferDoc]) -> tuple[MatchRanker, FunderHistory | None, NeedIndex, OfferIndex]:
        ranker = fit_or_load(self._model_path, records, decisions)
        history = FunderHistory(records, ranker.encoder_) if records else None
        return ranker, history, NeedIndex.build(needs, history, ranker), OfferIndex.build(offers, history, ranker)

    def _install(self, ranker: MatchRanker, history: FunderHistory | None, needs: NeedIndex,
                 offers: OfferIndex) -> None:
        self.ranker, self.history, self.needs, self.offers = ranker, history, needs, offers

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
        self._engine_thread.shutdown(wait=False, cancel_futures=True)

    # -- keeping current -------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        """Hub callback: queue what the event touched (events before ``start`` are kept too)."""
        if event.get("entity") in ("need", "offer", "match", "organisation", "model"):
            self._changes.put_nowait(event)

    async def settle(self) -> None:
        """Wait until every change announced so far is in the indexes."""
        await self._changes.join()

    async def _follow(self) -> None:
        while True:
            batch = [await self._changes.get()]
            while not self._changes.empty():
                batch.append(self._changes.get_nowait())
            try:
                await self._catch_up(batch)
            except Exception:  # a bad batch must not stop the indexes from following later ones
                log.exception("ranking index update failed for %s", batch)
            finally:
                for _ in batch:
                    self._changes.task_done()

    async def _catch_up(self, batch: list[dict[str, Any]]) -> None:
        """Apply a batch of changes, retrying with back-off while the database cannot be read."""
        for delay in (*RETRY_SECONDS, None):
            try:
                if any(event["entity"] == "model" for event in batch):
                    await self._load()  # ``matchmaker train`` saved a new model: it re-reads everything
                else:
                    await self._refresh(batch)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if delay is None:
                    log.error("ranking index left behind after %d attempts: %s", len(RETRY_SECONDS) + 1, exc)
                    return
                log.warning("cannot read changes for the ranking index (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _refresh(self, batch: list[dict[str, Any]]) -> None:
        named = {side: {int(e["entity_id"]) for e in batch if e["entity"] == side} for side in ("need", "offer")}
        need_ids, offer_ids = set(named["need"]), set(named["offer"])
        async with self._db.connection(wait=True) as conn:
            for event in batch:
                if event["entity"] == "match":  # a decision may have moved budget on both sides
                    sides = await ranking_sql.match_sides(conn, id=int(event["entity_id"]))
                    if sides is not None:
                        need_ids.add(sides["need_id"])
                        offer_ids.add(sides["offer_id"])
                elif event["entity"] == "organisation":  # a funder's kind and origin rank its offers
                    rows = await fetch_all(ranking_sql.organisation_offers(conn, id=int(event["entity_id"])))
                    offer_ids.update(r["id"] for r in rows)
            need_rows = await fetch_all(ranking_sql.ranking_needs(conn, ids=sorted(need_ids))) if need_ids else []
            offer_rows = await fetch_all(ranking_sql.ranking_offers(conn, ids=sorted(offer_ids))) if offer_ids else []
        needs = [need_doc(r) for r in need_rows if r["status"] == "open"]
        offers = [offer_doc(r) for r in offer_rows if r["status"] == "open"]
        # A need or offer changed by its owner may differ in fields pages show but the ranker
        # does not read: its pages go stale too.
        changed_needs = await self._engine(_apply, self.needs, need_ids, needs) | named["need"]
        changed_offers = await self._engine(_apply, self.offers, offer_ids, offers) | named["offer"]
        self._versions.changed("needs", changed_needs)
        self._versions.changed("offers", changed_offers)
        if changed_offers:
            offers_in = await self._engine(self._offers_entering, [d for d in offers if d.id in changed_offers])
            self._offer_pages.judge(functools.partial(_offer_page_stale, changed_offers, offers_in))
        if changed_needs:
            ranked: set[int] = {key[0] for key in self._need_pages.keys()}
            needs_in = await self._engine(self._needs_entering, [d for d in needs if d.id in changed_needs], ranked)
            self._need_pages.judge(functools.partial(_need_page_stale, changed_needs, ranked, needs_in))

    def _offers_entering(self, offers: list[OfferDoc]) -> dict[int, list[tuple[OfferDoc, float]]]:
        """For each open need, the changed offers now eligible for it, with their scores."""
        needs = self.needs.docs
        entering: dict[int, list[tuple[OfferDoc, float]]] = {int(need.id): [] for need in needs}
        if offers and needs:
            scores = self.ranker.score(self.needs, OfferIndex(offers, self.history, self.ranker.encoder_))
            for i, j in zip(*np.nonzero(np.isfinite(scores))):
                entering[int(needs[i].id)].append((offers[j], float(scores[i, j])))
        return entering

    def _needs_entering(self, needs: list[NeedDoc], offer_ids: set[int]) -> dict[int, list[tuple[NeedDoc, float]]]:
        """For each offer with a kept page, the changed needs now eligible for it, with their scores."""
        allowed = list(offer_ids)
        entering: dict[int, list[tuple[NeedDoc, float]]] = {}
        for need in needs if allowed else ():
            for offer_id, score in self.ranker.shortlist(need, self.offers, limit=len(allowed), allowed_ids=allowed):
                entering.setdefault(int(offer_id), []).append((need, score))
        return entering

    # -- ranking -------------------------------------------------------------------------------

    def _token(self, side: str, doc_id: int) -> Hashable:
        """What a page of ``side``'s document was computed from, but the other side (judged)."""
        return date.today(), self._versions.model, self._versions.of(side, doc_id)

    async def offers_for_need(self, need_id: int, limit: int, kind: str | None = None,
                              offset: int = 0, language: str = DEFAULT_LANGUAGE) -> RankedPage[SuggestedOffer]:
        """Eligible open offers for a need, best first, from ``offset``, explained in ``language``;
        404 for an unknown need."""
        return await self._offer_pages.get(
            (need_id, limit, kind, offset, language), self._token("needs", need_id),
            lambda: self._offers_page(need_id, limit, kind, offset, language),
        )

    async def _offers_page(self, need_id: int, limit: int, kind: str | None, offset: int,
                           language: str = DEFAULT_LANGUAGE) -> RankedPage[SuggestedOffer]:
        async with self._db.connection() as conn:  # read fresh: its owner may have just changed it
            rows = await fetch_all(ranking_sql.ranking_needs(conn, ids=[need_id]))
        if not rows:
            raise NotFound(f"need {need_id} does not exist")
        kinds = [kind] if kind else None
        if rows[0]["status"] != "open":  # a funded or closed need has no matches: every offer is kept out
            closed = dict.fromkeys(RULES, 0) | {"closed": await self._engine(self._offer_count, kinds)}
            return RankedPage.of([], offset, limit, "offer", excluded_counts(closed, language))
        ranked, counts = await self._engine(self._rank_offers, need_doc(rows[0]), offset, limit, kinds, language)
        async with self._db.connection() as conn:
            offers = await get_offers(conn, [int(r.offer_id) for r in ranked])
        items = [SuggestedOffer(r.score, offers[int(r.offer_id)], r.explanation, r.shortfalls, r.label) for r in ranked
                 if int(r.offer_id) in offers]
        excluded = excluded_counts(counts, language) if counts is not None else None
        return RankedPage.of(items, offset, limit, "offer", excluded)

    def _rank_offers(self, need: NeedDoc, offset: int, limit: int, kinds: Collection[str] | None,
                     language: str) -> tuple[list[RankedOffer], dict[str, int] | None]:
        """The ranked offers to the end of the page (and one more), and, when the list ends
        within it, how many offers each eligibility rule kept out."""
        ranked = self.ranker.rank(need, self.offers, limit=offset + limit + 1, kinds=kinds, language=language)
        return ranked, self.ranker.excluded(need, self.offers, kinds=kinds) if _short(ranked, offset, limit) else None

    def _offer_count(self, kinds: Collection[str] | None) -> int:
        return int(self.offers.mask(kinds=kinds).sum()) if self.offers.size else 0

    async def needs_for_offer(self, offer_id: int, limit: int, offset: int = 0, language: str = DEFAULT_LANGUAGE,
                              **filters: Any) -> RankedPage[SuggestedNeed]:
        """Eligible open needs for an offer, among those passing the needs list's filters."""
        return await self._need_pages.get(
            (offer_id, limit, tuple(sorted(filters.items())), offset, language), self._token("offers", offer_id),
            lambda: self._needs_page(offer_id, limit, filters, offset, language),
        )

    async def _needs_page(self, offer_id: int, limit: int, filters: dict[str, Any], offset: int,
                          language: str = DEFAULT_LANGUAGE) -> RankedPage[SuggestedNeed]:
        async with self._db.connection() as conn:
            rows = await fetch_all(ranking_sql.ranking_offers(conn, ids=[offer_id]))
        if not rows:
            raise NotFound(f"offer {offer_id} does not exist")
        ranked, counts = await self._engine(self._rank_needs, offer_doc(rows[0]), offset, limit, filters, language)
        async with self._db.connection() as conn:
            needs = await get_needs(conn, [int(r.need_id) for r in ranked])
        items = [SuggestedNeed(r.score, needs[int(r.need_id)], r.explanation, r.shortfalls, r.label) for r in ranked
                 if int(r.need_id) in needs]
        excluded = excluded_counts(counts, language) if counts is not None else None
        return RankedPage.of(items, offset, limit, "need", excluded)

    def _rank_needs(self, offer: OfferDoc, offset: int, limit: int, filters: dict[str, Any],
                    language: str) -> tuple[list[RankedNeed], dict[str, int] | None]:
        allowed = None
        if any(v is not None for v in filters.values()):
            allowed = {d.id for d in self.needs.needs if _passes(d, **filters)}
        ranked = self.ranker.rank_needs(offer, self.needs, limit=offset + limit + 1, allowed_ids=allowed,
                                        language=language)
        short = _short(ranked, offset, limit)
        return ranked, self.ranker.excluded_needs(offer, self.needs, allowed_ids=allowed) if short else None

    async def pair_score(self, conn: asyncpg.Connection, need_id: int, offer_id: int) -> float | None:
        """The ranker's score for one pair (recorded with a proposal), read through the caller's
        connection so that it sees what the caller just wrote; ``None`` when ineligible."""
        ranked = (await self.each_pair(conn, [(need_id, offer_id)])).get((need_id, offer_id))
        return ranked.score if ranked else None

    async def each_pair(self, conn: asyncpg.Connection, pairs: list[tuple[int, int]],
                        language: str = DEFAULT_LANGUAGE) -> dict[tuple[int, int], RankedOffer]:
        """Each (need id, offer id) pair scored and explained in ``language`` (as a reviewer
        sees a proposal; see ``explain_pairs``); pairs whose need is not open, or that are not
        eligible, are left out. One read of each side and one trip to the engine for them all."""
        need_ids, offer_ids = sorted({n for n, _ in pairs}), sorted({o for _, o in pairs})
        needs = [need_doc(r) for r in await fetch_all(ranking_sql.ranking_needs(conn, ids=need_ids)) if r["status"] == "open"]
        offers = [offer_doc(r) for r in await fetch_all(ranking_sql.ranking_offers(conn, ids=offer_ids))]
        return await self._engine(lambda: explain_pairs(self.ranker, self.history, needs, offers, pairs, language))

    async def with_model(self, conn: asyncpg.Connection, work: Callable[[MatchRanker, FunderHistory | None], T]) -> T:
        """``work`` done with the served ranker and its funding history, on the engine thread
        (``conn``: the protocol's, unused: the service's model is already at hand)."""
        return await self._engine(lambda: work(self.ranker, self.history))


def _apply(index: NeedIndex | OfferIndex, ids: Collection[int], open_docs: list) -> set[int]:
    """Open documents are (re-)indexed, closed, funded or exhausted ones leave the index;
    returns the ids whose indexed document changed."""
    docs = {d.id: d for d in open_docs}
    moved = {i for i in ids if index.get(i) != docs.get(i)}
    gone = moved - docs.keys()
    if gone:
        index.remove(gone)
    index.upsert([docs[i] for i in moved if i in docs])
    return moved


# Scores on a page are sums of explained contributions; the scores judged against them come
# from the ordering arithmetic. They agree to float rounding: judge with a margin.
_MARGIN = 1e-4


def _enters(kept: RankedPage[Any], limit: int, score: float) -> bool:
    items = kept.page.items
    return len(items) < limit or score >= items[-1].score - _MARGIN


def _offer_page_stale(changed: set[int], entering: dict[int, list[tuple[OfferDoc, float]]],
                      key: Key, kept: RankedPage[SuggestedOffer], ids: frozenset[int]) -> bool:
    """Whether changed offers alter a need's page: one is on it, or now scores onto it
    (pages of needs not open in the index go too: closed ones cost nothing to recompute)."""
    need_id, limit, kind, *_ = key
    if ids & changed or need_id not in entering or kept.page.excluded is not None:  # (any change may move the counts)
        return True
    return any((kind is None or offer.funder_kind == kind) and _enters(kept, limit, score)
               for offer, score in entering.get(need_id, ()))


def _need_page_stale(changed: set[int], ranked: set[int], entering: dict[int, list[tuple[NeedDoc, float]]],
                     key: Key, kept: RankedPage[SuggestedNeed], ids: frozenset[int]) -> bool:
    """Whether changed needs alter an offer's page: one is on it, or now scores onto it
    (pages of offers not scored against the change, kept since, go too)."""
    offer_id, limit, filters, *_ = key
    if ids & changed or offer_id not in ranked or kept.page.excluded is not None:  # (any change may move the counts)
        return True
    return any(_passes(need, **dict(filters)) and _enters(kept, limit, score)
               for need, score in entering.get(offer_id, ()))


def _passes(
    need: NeedDoc, *, country: str | None = None, region: str | None = None, gcm_objective: int | None = None,
    capacity_area: str | None = None, resource_type: str | None = None, max_amount_usd: int | None = None,
) -> bool:
    """The needs list filters, and a largest amount still asked (in US dollars), applied to an indexed need."""
    return (
        (country is None or country in need.countries)
        and (region is None or region in need.regions)
        and (gcm_objective is None or gcm_objective in need.gcm_objectives)
        and (capacity_area is None or capacity_area in need.capacity_areas)
        and (resource_type is None or resource_type in need.resource_types)
        and (max_amount_usd is None or (need.amount_usd is not None and need.amount_usd <= max_amount_usd))
    )
