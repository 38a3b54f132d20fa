-- name: upsert_country(alpha3, alpha2, name, name_fr, name_es, region, sub_region, intermediate_region)*!
insert into countries (alpha3, alpha2, name, name_fr, name_es, region, sub_region, intermediate_region)
values (:alpha3, :alpha2, :name, :name_fr, :name_es, :region, :sub_region, :intermediate_region)
on conflict (alpha3) do update set
    alpha2 = excluded.alpha2, name = excluded.name, name_fr = excluded.name_fr,
    name_es = excluded.name_es, region = excluded.region, sub_region = excluded.sub_region,
    intermediate_region = excluded.intermediate_region;

-- name: upsert_currency(code, name, minor_unit)*!
insert into currencies (code, name, minor_unit)
values (:code, :name, :minor_unit)
on conflict (code) do update set name = excluded.name, minor_unit = excluded.minor_unit;

-- name: upsert_gcm_objective(number, title)*!
insert into gcm_objectives (number, title)
values (:number, :title)
on conflict (number) do update set title = excluded.title;

-- name: upsert_usd_rate(currency, valid_from, units_per_usd)*!
insert into usd_rates (currency, valid_from, units_per_usd)
values (:currency, :valid_from, :units_per_usd)
on conflict (currency, valid_from) do update set units_per_usd = excluded.units_per_usd;
