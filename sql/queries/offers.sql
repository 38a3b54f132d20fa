-- name: insert_offer(organisation_id, reference, title, description, concepts, language, gcm_objectives, capacity_areas, resource_types, sectors, countries, regions, is_global, budget, currency, min_amount, max_amount, deadline)$
-- A repeated (organisation, reference) returns nothing: the caller decides whether that is a conflict.
insert into offers (organisation_id, reference, title, description, concepts, language, gcm_objectives,
                    capacity_areas, resource_types, sectors, countries, regions, global, budget, currency,
                    min_amount, max_amount, deadline)
values (:organisation_id, :reference, :title, :description, :concepts::tsvector, :language, :gcm_objectives,
        :capacity_areas, :resource_types, :sectors, :countries, :regions, :is_global, :budget, :currency,
        :min_amount, :max_amount, :deadline)
on conflict (organisation_id, reference) do nothing
returning id;

-- name: get_offer(id)^
select id, organisation_id, organisation_kind, origin_country, reference, title, description, language,
       gcm_objectives, capacity_areas, resource_types, sectors, countries, regions, global, budget,
       currency, committed, remaining, budget_usd, min_amount, max_amount, deadline, status,
       created_at, updated_at
from offers_read where id = :id;

-- name: lock_offer(id)^
select id, organisation_id, reference, title, description, language, gcm_objectives, capacity_areas,
       resource_types, sectors, countries, regions, global, budget, currency, committed, min_amount,
       max_amount, deadline, status
from offers where id = :id for update;

-- name: update_offer(id, reference, title, description, concepts, language, gcm_objectives, capacity_areas, resource_types, sectors, countries, regions, is_global, budget, currency, min_amount, max_amount, deadline, status)!
update offers set
    reference = :reference, title = :title, description = :description, concepts = :concepts::tsvector,
    language = :language, gcm_objectives = :gcm_objectives, capacity_areas = :capacity_areas, resource_types = :resource_types,
    sectors = :sectors, countries = :countries, regions = :regions, global = :is_global, budget = :budget,
    currency = :currency, min_amount = :min_amount, max_amount = :max_amount, deadline = :deadline,
    status = :status, updated_at = now()
where id = :id;

-- name: list_offers(organisation_id, kind, country, region, gcm_objective, capacity_area, resource_type, status, q, concepts, before_id, skip, lim)
-- country and region select the offers that may be spent there (named, in its region, global,
-- or a diaspora funder's country of origin). Without q: newest first, paged by id
-- (before_id). With q: as needs, best first, paged by position (skip).
with search as (
    select search_words(:q) as words, search_concepts(:concepts, '&') as every, search_concepts(:concepts, '|') as any
)
select o.id, o.organisation_id, o.organisation_kind, o.origin_country, o.reference, o.title, o.description,
       o.language, o.gcm_objectives, o.capacity_areas, o.resource_types, o.sectors, o.countries, o.regions,
       o.global, o.budget, o.currency, o.committed, o.remaining, o.budget_usd, o.min_amount, o.max_amount,
       o.deadline, o.status, o.created_at, o.updated_at,
       case when :q::text is not null
            then round((ts_rank(o.search, s.words) + coalesce(ts_rank(m.concepts, s.any), 0))::numeric, 4)::float8
       end as relevance
from offers_read o join offers m on m.id = o.id cross join search s
where (:organisation_id::bigint is null or o.organisation_id = :organisation_id)
  and (:kind::text is null or o.organisation_kind = :kind)
  and (:country::text is null or o.global or :country = any(o.countries) or o.origin_country = :country
       or o.regions && (select array[c.region, c.sub_region, c.intermediate_region]
                        from countries c where c.alpha3 = :country))
  -- A region takes the offers for any place in it, or for a wider region holding it
  -- (both: the names of every level of the countries in it).
  and (:region::text is null or o.global
       or o.regions && array(select unnest(array[r.region, r.sub_region, r.intermediate_region])
                             from countries r where :region in (r.region, r.sub_region, r.intermediate_region))
       or o.countries && array(select r.alpha3 from countries r
                               where :region in (r.region, r.sub_region, r.intermediate_region)))
  and (:gcm_objective::smallint is null or :gcm_objective = any(o.gcm_objectives))
  and (:capacity_area::text is null or :capacity_area = any(o.capacity_areas))
  and (:resource_type::text is null or :resource_type = any(o.resource_types))
  and (:status::text is null or o.status = :status)
  and (:q::text is null or o.search @@ s.words or m.concepts @@ s.every)
  and (:before_id::bigint is null or o.id < :before_id)
order by relevance desc nulls last, o.id desc
offset :skip limit :lim;

-- name: get_offers_by_ids(ids)
select id, organisation_id, organisation_kind, origin_country, reference, title, description, language,
       gcm_objectives, capacity_areas, resource_types, sectors, countries, regions, global, budget,
       currency, committed, remaining, budget_usd, min_amount, max_amount, deadline, status,
       created_at, updated_at
from offers_read where id = any(:ids::bigint[]);
