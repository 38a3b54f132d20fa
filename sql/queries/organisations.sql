-- name: insert_organisation(name, kind, country, origin_country, external_id)^
insert into organisations (name, kind, country, origin_country, external_id)
values (:name, :kind, :country, :origin_country, :external_id)
on conflict do nothing
returning id, name, kind, country, origin_country, external_id, created_at;

-- name: get_organisation(id)^
select id, name, kind, country, origin_country, external_id, created_at
from organisations where id = :id;

-- name: get_organisation_by_name(name)^
select id, name, kind, country, origin_country, external_id, created_at
from organisations where name = :name;

-- name: list_organisations(kind, country, q, after_id, lim)
select id, name, kind, country, origin_country, external_id, created_at
from organisations
where (:kind::text is null or kind = :kind)
  and (:country::text is null or country = :country or origin_country = :country)
  and (:q::text is null or name ilike '%' || :q || '%')
  and (:after_id::bigint is null or id > :after_id)
order by id
limit :lim;

-- name: get_organisation_by_external_id(external_id)^
select id, name, kind, country, origin_country, external_id, created_at
from organisations where external_id = :external_id;

-- name: lock_organisation(id)^
select id, name, kind, country, origin_country, external_id, created_at from organisations where id = :id for update;

-- name: update_organisation(id, name, kind, country, origin_country, external_id)!
update organisations set name = :name, kind = :kind, country = :country, origin_country = :origin_country,
    external_id = :external_id
where id = :id;

-- name: all_organisations()
select id, external_id, name, kind, country, origin_country from organisations order by id;
