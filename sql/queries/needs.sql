-- name: insert_need(organisation_id, reference, title, description, language, country, gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, deadline)$
-- A repeated (organisation, reference) returns nothing: the caller decides whether that is a conflict.
insert into needs (organisation_id, reference, title, description, language, country, gcm_objectives,
                   capacity_areas, resource_types, sectors, amount, currency, deadline)
values (:organisation_id, :reference, :title, :description, :language, :country, :gcm_objectives,
        :capacity_areas, :resource_types, :sectors, :amount, :currency, :deadline)
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

-- name: update_need(id, reference, title, description, language, country, gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, deadline, status)!
update needs set
    reference = :reference, title = :title, description = :description, language = :language,
    country = :country, gcm_objectives = :gcm_objectives, capacity_areas = :capacity_areas,
    resource_types = :resource_types, sectors = :sectors, amount = :amount, currency = :currency,
    deadline = :deadline, status = :status, updated_at = now()
where id = :id;

-- name: list_needs(organisation_id, country, region, gcm_objective, capacity_area, resource_type, status, q, before_id, lim)
select id, organisation_id, reference, title, description, language, country, region,
       gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, committed,
       remaining, amount_usd, deadline, status, created_at, updated_at
from needs_read
where (:organisation_id::bigint is null or organisation_id = :organisation_id)
  and (:country::text is null or country = :country)
  and (:region::text is null or :region in (region, sub_region, intermediate_region))
  and (:gcm_objective::smallint is null or :gcm_objective = any(gcm_objectives))
  and (:capacity_area::text is null or :capacity_area = any(capacity_areas))
  and (:resource_type::text is null or :resource_type = any(resource_types))
  and (:status::text is null or status = :status)
  and (:q::text is null or search @@ (websearch_to_tsquery('simple', :q) || websearch_to_tsquery('english', :q)
                                      || websearch_to_tsquery('french', :q) || websearch_to_tsquery('spanish', :q)))
  and (:before_id::bigint is null or id < :before_id)
order by id desc
limit :lim;

-- name: get_needs_by_ids(ids)
select id, organisation_id, reference, title, description, language, country, region,
       gcm_objectives, capacity_areas, resource_types, sectors, amount, currency, committed,
       remaining, amount_usd, deadline, status, created_at, updated_at
from needs_read where id = any(:ids::bigint[]);
