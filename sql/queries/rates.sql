-- name: create_ecb_staging()!
-- A file's rates land here first (COPY; each day's rates as JSON text), then join ecb_rates
-- without touching the days loaded already.
create temp table ecb_rates_staging (day date, units_per_eur text) on commit drop;

-- name: merge_ecb_staging()^
-- One row a day; days already loaded keep their rates (the ECB does not revise them).
with added as (
    insert into ecb_rates (day, units_per_eur)
    select day, units_per_eur::jsonb from ecb_rates_staging
    on conflict (day) do nothing
    returning day, units_per_eur
)
select (select count(*) from added) as days,
       (select count(*) from added, jsonb_object_keys(units_per_eur)) as rates,
       (select count(*) from (select distinct jsonb_object_keys(units_per_eur) from added) as keys) as currencies;

-- name: drop_ecb_staging()!
drop table ecb_rates_staging;

-- name: newest_official_day(on_day)$
-- The ECB's latest publication on or before a day (null: none).
select max(day) from ecb_rates where day <= :on_day;

-- name: rate_detail(currency, on_day)^
-- The rate as text: exact, whatever codec the connection decodes numeric with.
select units_per_usd::text as units_per_usd, source, rate_date from usd_rate_detail(:currency, :on_day);

-- name: rate_sources()
-- Each source of rates: its newest day and how many currencies it covers then.
select 'ecb' as source, day as newest, (select count(*) from jsonb_object_keys(units_per_eur)) as currencies
from (select day, units_per_eur from ecb_rates order by day desc limit 1) newest
union all
select 'peg', max(since), count(*) from rate_pegs
union all
select 'indicative', max(valid_from), count(distinct currency) from usd_rates;

-- name: upsert_rate_peg(currency, anchor, units_per_anchor, since, legal_source)*!
insert into rate_pegs (currency, anchor, units_per_anchor, since, legal_source)
values (:currency, :anchor, :units_per_anchor, :since, :legal_source)
on conflict (currency) do update set
    anchor = excluded.anchor, units_per_anchor = excluded.units_per_anchor,
    since = excluded.since, legal_source = excluded.legal_source;
