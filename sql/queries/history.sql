-- name: insert_funding_record(record_id, funder_ref, funder_name, funder_type, recipient_countries, recipient_region, sectors, title, description, language, amount_usd, year)*!
-- Records already imported (same record_id) are kept as they are: importing twice adds nothing.
insert into funding_records (record_id, funder_ref, funder_name, funder_type, recipient_countries,
                             recipient_region, sectors, title, description, language, amount_usd, year,
                             organisation_id)
values (:record_id, :funder_ref, :funder_name, :funder_type, :recipient_countries, :recipient_region, :sectors,
        :title, :description, :language, :amount_usd, :year,
        (select id from organisations where external_id = :funder_ref))
on conflict (record_id) do nothing;

-- name: link_funding_records()!
-- Organisations registered after their history was imported pick it up here.
update funding_records f set organisation_id = o.id
from organisations o
where o.external_id = f.funder_ref and f.organisation_id is distinct from o.id;

-- name: history_summary()^
select count(*) as records, count(distinct funder_ref) as funders,
       count(*) filter (where organisation_id is not null) as linked_records,
       count(distinct organisation_id) as linked_funders
from funding_records;
