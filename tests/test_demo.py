"""The demo data: rich enough to show the product, and loading it twice changes nothing."""

from matchmaker.demo import load_demo_data


async def test_demo_data_loads_once_and_covers_the_field(db):
    first = await load_demo_data(db)
    assert first["needs"] >= 40 and first["offers"] >= 25
    assert await load_demo_data(db) == dict.fromkeys(first, 0)
    needs = await db.fetchrow(
        """select count(distinct n.country) as countries, count(distinct c.region) as continents,
                  count(distinct n.language) as languages,
                  (select count(distinct o) from needs, unnest(gcm_objectives) o) as objectives
           from needs n join countries c on c.alpha3 = n.country""")
    assert needs["countries"] >= 20 and needs["continents"] == 5 and needs["languages"] == 3
    assert needs["objectives"] >= 15
    kinds = {r["kind"] for r in await db.fetch(
        "select distinct org.kind from offers o join organisations org on org.id = o.organisation_id")}
    assert {"bilateral_donor", "multilateral", "un_agency", "foundation", "private_sector",
            "diaspora_organisation", "individual"} <= kinds
    resources = {r for row in await db.fetch("select resource_types from offers") for r in row["resource_types"]}
    assert resources == {"financial", "technical_expertise", "training", "equipment", "in_kind", "volunteers"}
    roles = {r["role"] for r in await db.fetch("select distinct role from users where email like '%@matchmaker.example'")}
    assert roles == {"state", "donor", "coordinator", "admin"}
