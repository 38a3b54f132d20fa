"""Funding-round Structs at the API boundary: one per direction, and the proposal as coordinators review it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from matchmaker.engine.explain import Factor, Label, Shortfall
from matchmaker.rounds.rules import Rules
from matchmaker.schemas import Amount, Description, EntityId, GcmObjective, Reason, Title
from matchmaker.vocabulary import ProposalStatus, Region, ResourceType, RoundStatus

OfferIds = Annotated[list[EntityId], msgspec.Meta(min_length=1, max_length=5000)]
Objectives = Annotated[list[GcmObjective], msgspec.Meta(max_length=23)]
Regions = Annotated[list[Region], msgspec.Meta(max_length=5)]


class PairRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    need_id: EntityId
    offer_id: EntityId


class Pin(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A pair the allocation must fund: with this amount (in the need's currency), or with
    whatever amount the optimiser finds best when ``amount`` is absent."""

    need_id: EntityId
    offer_id: EntityId
    amount: Amount | None = None


Pins = Annotated[list[Pin], msgspec.Meta(max_length=1000)]
Excluded = Annotated[list[PairRef], msgspec.Meta(max_length=10_000)]


class RoundCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Title
    description: Description = ""
    opens_on: date
    closes_on: date
    #: The offers whose remaining budgets the round pools.
    offer_ids: OfferIds
    #: Eligible needs name one of these objectives (empty: any).
    gcm_objectives: Objectives = []
    #: Eligible needs are in one of these UN M49 regions (empty: any).
    regions: Regions = []
    #: What the round gives; eligible needs ask for it and the offers give it.
    resource_type: ResourceType = "financial"
    rules: Rules = msgspec.field(default_factory=Rules)
    pins: Pins = []
    excluded: Excluded = []


class RoundUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial update of a draft round (absent fields keep their value): change the rules,
    pin or exclude pairs, then solve again."""

    name: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    opens_on: date | UnsetType = UNSET
    closes_on: date | UnsetType = UNSET
    offer_ids: OfferIds | UnsetType = UNSET
    gcm_objectives: Objectives | UnsetType = UNSET
    regions: Regions | UnsetType = UNSET
    resource_type: ResourceType | UnsetType = UNSET
    rules: Rules | UnsetType = UNSET
    pins: Pins | UnsetType = UNSET
    excluded: Excluded | UnsetType = UNSET


class Round(msgspec.Struct, frozen=True, kw_only=True):
    """A round; ``status`` is ``draft`` until a proposal of it is committed (``committed_proposal_id``)."""

    id: int
    name: str
    description: str
    opens_on: date
    closes_on: date
    offer_ids: list[int]
    gcm_objectives: list[int]
    regions: list[str]
    resource_type: ResourceType
    rules: Rules
    pins: list[Pin]
    excluded: list[PairRef]
    status: RoundStatus
    created_by: int
    created_at: datetime
    updated_at: datetime
    committed_proposal_id: int | None
    latest_proposal_id: int | None


class Solve(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: Seconds the optimiser may take; the best allocation found by then is proposed, with its gap.
    time_limit: Annotated[float, msgspec.Meta(ge=0.5, le=60)] = 10.0
    #: Keep only each need's best-scored offers as candidates (all when absent): faster on large rounds.
    pairs_per_need: Annotated[int, msgspec.Meta(ge=1, le=5000)] | None = None


class Commit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason
    #: The proposal to commit; the round's latest when absent.
    proposal_id: EntityId | None = None


class Blocked(msgspec.Struct, frozen=True, kw_only=True):
    """A rule that does not hold, or (for an infeasible round) must give way: which, about
    what (a region, objective, country, need, offer or pair), by how much in US dollars."""

    rule: str
    subject: str
    by_usd: Decimal
    detail: str


class AllocationRead(msgspec.Struct, frozen=True, kw_only=True):
    need_id: int
    offer_id: int
    need_title: str
    need_organisation: str
    country: str
    region: str
    gcm_objectives: list[int]
    offer_title: str
    offer_organisation: str
    #: In the need's currency, as the match that commits it.
    amount: Decimal
    currency: str
    amount_usd: Decimal
    #: The ranker's score of the pair (0-1), the weight of each dollar in the round's value.
    score: float
    match_id: int | None
    #: Why the pair scores as it does, as the need's ranked offers explain it (when solved).
    explanation: list[Factor] = []
    shortfalls: list[Shortfall] = []
    label: Label | None = None


class Share(msgspec.Struct, frozen=True, kw_only=True):
    """What one region, objective or country gets, and the range the rules give it."""

    key: str
    amount_usd: Decimal
    share: float
    needs: int
    min: float | None
    max: float | None


class OfferUse(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: int
    title: str
    allocated_usd: Decimal
    needs: int


class Greedy(msgspec.Struct, frozen=True, kw_only=True):
    """The allocation best score first, ignoring balance rules, and what it breaks."""

    value: float
    allocated_usd: Decimal
    allocations: int
    breaks: list[Blocked]


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """One solve of a round. ``value`` is the sum of score × US dollars; ``gap`` how far it
    may be from the best (relative to ``bound``); ``status`` ``optimal``, ``feasible``
    (stopped at the time limit), ``infeasible`` (``blocking`` names the rules) or ``no_solution``."""

    id: int
    round_id: int
    status: ProposalStatus
    value: float
    bound: float | None
    gap: float | None
    seconds: float
    pairs: int
    needs: int
    allocated_usd: Decimal
    blocking: list[Blocked]
    greedy: Greedy
    by_region: list[Share]
    by_objective: list[Share]
    by_country: list[Share]
    by_offer: list[OfferUse]
    allocations: list[AllocationRead]
    created_at: datetime
