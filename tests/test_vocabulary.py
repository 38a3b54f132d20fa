"""One vocabulary: the closed lists of ``matchmaker.vocabulary`` are those the migrated database enforces."""

import re
from typing import get_args

import pytest

from matchmaker import vocabulary
from matchmaker.engine import documents
from matchmaker.events.controllers import EntityKind
from tests.factories import offer_body

# (table or domain, a column its CHECK constraint names, the vocabulary it must equal)
CHECKED = [
    ("organisations", "kind", vocabulary.OrganisationKind),
    ("users", "role", vocabulary.Role),
    ("needs", "language", vocabulary.Language),
    ("offers", "language", vocabulary.Language),
    ("needs", "status", vocabulary.NeedStatus),
    ("offers", "status", vocabulary.OfferStatus),
    ("offers", "regions", vocabulary.Region),
    ("matches", "status", vocabulary.MatchStatus),
    ("ledger_entries", "kind", vocabulary.LedgerKind),
    ("rounds", "status", vocabulary.RoundStatus),
    ("round_proposals", "status", vocabulary.ProposalStatus),
    ("audit_log", "entity", EntityKind),
    ("capacity_area_list", "value", vocabulary.CapacityArea),
    ("resource_type_list", "value", vocabulary.ResourceType),
]

CONSTRAINTS = """
select pg_get_constraintdef(c.oid)
from pg_constraint c
left join pg_class t on t.oid = c.conrelid
left join pg_type d on d.oid = c.contypid
where c.contype = 'c' and coalesce(t.relname, d.typname) = $1
"""


@pytest.mark.parametrize(("owner", "column", "words"), CHECKED, ids=[f"{o}.{c}" for o, c, _ in CHECKED])
async def test_the_database_enforces_the_vocabulary(db, owner, column, words):
    definitions = [d for d in await db.fetchval("select array_agg(x) from (" + CONSTRAINTS + ") as q(x)", owner) or []
                   if re.search(rf"\b{column}\b", d, re.IGNORECASE) and "'" in d]
    assert definitions, f"no CHECK on {owner}.{column}"
    # The list's own constraint is the one naming the most words (others may name a few).
    enforced = max((set(re.findall(r"'([^']+)'", d)) for d in definitions), key=len)
    assert enforced == set(get_args(words))


async def test_gcm_objectives_are_those_of_the_reference_table(db):
    assert await db.fetchval("select array_agg(number order by number) from gcm_objectives") == \
        sorted(vocabulary.gcm_objectives())


async def test_the_database_enforces_the_reporting_intervals(db):
    definitions = await db.fetchval("select array_agg(x) from (" + CONSTRAINTS + ") as q(x)", "indicators")
    [enforced] = [d for d in definitions if "report_every_months" in d]
    assert {int(n) for n in re.findall(r"\b\d+\b", enforced)} == set(get_args(vocabulary.ReportInterval))


def test_the_ranker_reads_the_same_vocabulary():
    assert documents.RESOURCE_TYPES == get_args(vocabulary.ResourceType)
    assert documents.CAPACITY_AREAS == get_args(vocabulary.CapacityArea)
    assert documents.ORGANISATION_KINDS == get_args(vocabulary.OrganisationKind)


def test_every_un_m49_area_has_its_french_and_spanish_names():
    areas = {row[level] for row in vocabulary.countries().values()
             for level in ("region", "sub_region", "intermediate_region") if row[level]}
    assert areas <= vocabulary.region_translations().keys()
    assert all(all(names) for names in vocabulary.region_translations().values())


async def test_place_filters_take_region_names_in_the_three_languages(api):
    african = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=["Africa"]))).json()
    asian = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=["Asia"]))).json()
    for name in ("Western Africa", "afrique de l'ouest", "ÁFRICA OCCIDENTAL"):
        r = await api.get("/api/v1/offers", params={"region": name})
        assert r.status_code == 200, r.text
        assert [o["id"] for o in r.json()["items"]] == [african["id"]], name
    assert asian["id"] in [o["id"] for o in (await api.get("/api/v1/offers", params={"region": "Asie"})).json()["items"]]
