-- name: insert_need(organisation_id, reference, title, description, concepts, language, country, gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, deadline)$
-- A repeated (organisation, reference) returns nothing: the caller decides whether that is a conflict.
insert into needs (organisation_id, reference, title, description, concepts, language, country,
                   gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, deadline)
values (:organisation_id, :reference, :title, :description, :concepts::tsvector, :language, :country,
        :gcm_objectives, :capacity_areas, :resource_types, :sectors, :amount, :currency, :deadline)
on conflict (organisation_id, reference) do nothing
returning id;

-- name: get_need(id)^
select id, organisation_id, reference, title, description, language, country, region,
       gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, committed,
       remaining, amount_usd, deadline, status, created_at, updated_at
from needs_read where id = :id;

-- name: lock_need(id)^
select id, organisation_id, reference, title, description, language, country, gcm_objectives,
       capacity_areas, resource_types, sectors, amount, currency, committed, deadline, status
from needs where id = :id for update;

-- name: update_need(id, reference, title, description, concepts, language, country, gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, deadline, status)!
update needs set
    reference = :reference, title = :title, description = :description, concepts = :concepts::tsvector,
    language = :language, country = :country, gcm_objectives = :gcm_objectives, capacity_areas = :capacity_areas,
    resource_types = :resource_types, sectors = :sectors, amount = :amount, currency = :currency,
    deadline = :deadline, status = :status, updated_at = now()
where id = :id;

-- name: list_needs(organisation_id, country, region, gcm_objective, capacity_area, resource_type, status, q, concepts, before_id, skip, lim)
-- Without q: newest first, paged by id (before_id). With q: the needs matching its words
-- (stemmed in each language) or naming all its glossary concepts (any language), best first,
-- paged by position (skip).
with search as (
    select search_words(:q) as words, search_concepts(:concepts, '&') as every, search_concepts(:concepts, '|') as any
)
select n.id, n.organisation_id, n.reference, n.title, n.description, n.language, n.country, n.region,
       n.gcm_objectives, n.capacity_areas, n.resource_types, n.sectors, n.amount, n.currency, n.committed,
       n.remaining, n.amount_usd, n.deadline, n.status, n.created_at, n.updated_at,
       case when :q::text is not null
            then round((ts_rank(n.search, s.words) + coalesce(ts_rank(m.concepts, s.any), 0))::numeric, 4)::float8
       end as relevance
from needs_read n join needs m on m.id = n.id cross join search s
where (:organisation_id::bigint is null or n.organisation_id = :organisation_id)
  and (:country::text is null or n.country = :country)
  and (:region::text is null or :region in (n.region, n.sub_region, n.intermediate_region))
  and (:gcm_objective::smallint is null or :gcm_objective = any(n.gcm_objectives))
  and (:capacity_area::text is null or :capacity_area = any(n.capacity_areas))
  and (:resource_type::text is null or :resource_type = any(n.resource_types))
  and (:status::text is null or n.status = :status)
  and (:q::text is null or n.search @@ s.words or m.concepts @@ s.every)
  and (:before_id::bigint is null or n.id < :before_id)
order by relevance desc nulls last, n.id desc
offset :skip limit :lim;

-- name: get_needs_by_ids(ids)
select id, organisation_id, reference, title, description, language, country, region,
       gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, committed,
       remaining, amount_usd, deadline, status, created_at, updated_at
from needs_read where id = any(:ids::bigint[]);
