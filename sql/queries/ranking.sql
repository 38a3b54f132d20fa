-- name: ranking_needs(ids)
-- Needs as the ranker sees them: remaining amount in USD, UN M49 regions of the country.
-- ids null: every open need.
select n.id, n.title, n.description, n.language, n.country,
       array_remove(array[c.region, c.sub_region, c.intermediate_region], '') as regions,
       n.gcm_objectives, n.capacity_areas, n.sectors, n.resource_types,
       ((n.amount - n.committed) / usd_rate(n.currency, current_date))::float8 as remaining_usd,
       n.deadline, n.status
from needs n join countries c on c.alpha3 = n.country
where (:ids::bigint[] is null and n.status = 'open') or n.id = any(:ids::bigint[]);

-- name: ranking_offers(ids)
-- Offers as the ranker sees them, with their funder's kind and (diaspora) country of origin.
-- ids null: every open offer.
select o.id, o.organisation_id, org.kind, org.origin_country, o.title, o.description, o.language,
       o.gcm_objectives, o.capacity_areas, o.sectors, o.resource_types, o.countries, o.regions, o.global,
       ((o.budget - o.committed) / usd_rate(o.currency, current_date))::float8 as remaining_usd,
       (o.min_amount / usd_rate(o.currency, current_date))::float8 as min_usd,
       (o.max_amount / usd_rate(o.currency, current_date))::float8 as max_usd,
       o.deadline, o.status
from offers o join organisations org on org.id = o.organisation_id
where (:ids::bigint[] is null and o.status = 'open') or o.id = any(:ids::bigint[]);

-- name: ranking_records()
-- Funding history; records of registered funders carry their organisation id.
select record_id, coalesce(organisation_id::text, 'ext:' || funder_ref) as funder_id, funder_name, funder_type,
       recipient_countries, recipient_region, sectors, title, description, language,
       amount_usd::float8 as amount_usd, year
from funding_records order by id;

-- name: ranking_decisions()
-- Coordinators' decisions on proposals: approved (or beyond) is a positive example, rejected a negative.
select m.need_id, m.offer_id, m.status in ('approved', 'disbursed', 'completed', 'cancelled') as approved
from matches m where m.status not in ('proposed', 'withdrawn') order by m.id;

-- name: match_sides(id)^
select need_id, offer_id from matches where id = :id;

-- name: notify_model_changed()$
-- Tells every worker to reload the fitted ranker (see matchmaker.ranking.service).
select pg_notify('matchmaker_events', '{"entity": "model", "entity_id": 0, "action": "refitted"}');

-- name: bench_ts_rank(q, lim)
-- The plain PostgreSQL reference the ranker is benchmarked against: full-text rank of open offers.
select id, ts_rank(search, query) as rank
from offers, websearch_to_tsquery('simple', :q) as query
where status = 'open' and search @@ query
order by rank desc
limit :lim;

-- name: bench_proposable_offers(lim)
-- The load benchmark's targets for proposals: open offers with financial support to spare.
select id from offers
where status = 'open' and 'financial' = any(resource_types) and budget - committed >= 100000
order by id limit :lim;

-- name: organisation_offers(id)
-- The offers an organisation funds: its kind and country of origin are part of how they rank.
select id from offers where organisation_id = :id;
