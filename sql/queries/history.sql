-- name: insert_funding_record(record_id, funder_ref, funder_name, funder_type, recipient_countries, recipient_region, sectors, title, description, language, amount_usd, year)*!
-- Records already imported (same record_id) are kept as they are: importing twice adds nothing.
insert into funding_records (record_id, funder_ref, funder_name, funder_type, recipient_countries,
                             recipient_region, sectors, title, description, language, amount_usd, year,
                             organisation_id)
values (:record_id, :funder_ref, :funder_name, :funder_type, :recipient_countries, :recipient_region, :sectors,
        :title, :description, :language, :amount_usd, :year,
        (select id from organisations where external_id = :funder_ref))
on conflict (record_id) do nothing;

-- name: link_funding_records()$
-- Organisations registered after their history was imported pick it up here; how many records linked.
with linked as (
    update funding_records f set organisation_id = o.id
    from organisations o
    where o.external_id = f.funder_ref and f.organisation_id is distinct from o.id
    returning 1
)
select count(*) from linked;

-- name: get_history_import(sha256)^
select file_name, records, imported_at from history_imports where sha256 = :sha256;

-- name: record_history_import(sha256, file_name, records)!
insert into history_imports (sha256, file_name, records) values (:sha256, :file_name, :records)
on conflict (sha256) do nothing;

-- name: history_summary()^
select count(*) as records, count(distinct funder_ref) as funders,
       count(*) filter (where organisation_id is not null) as linked_records,
       count(distinct organisation_id) as linked_funders
from funding_records;
