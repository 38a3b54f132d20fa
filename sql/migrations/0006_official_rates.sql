-- migrate:up

-- The European Central Bank's euro foreign exchange reference rates, one row per publication
-- day as the ECB publishes them: {"USD": 1.1172, "JPY": 175.68, ...}, units of each currency
-- per euro (jsonb numbers are numeric: exact). Currencies the euro has replaced (CYP, EEK,
-- ...) are kept for their days. One row a day keeps loading 27 years of history fast.
create table ecb_rates (
    day date primary key,
    units_per_eur jsonb not null check (jsonb_typeof(units_per_eur) = 'object' and units_per_eur ? 'USD')
);

-- Fixed parities set by law: units of a currency per unit of its anchor (EUR, USD, or a
-- currency the ECB quotes), applied from a day (matchmaker/reference/rate_pegs.csv).
create table rate_pegs (
    currency char(3) primary key references currencies,
    anchor char(3) not null references currencies,
    units_per_anchor numeric(24, 8) not null check (units_per_anchor > 0),
    since date not null,
    legal_source text not null,
    check (anchor <> currency)
);

comment on table usd_rates is
    'Indicative rates (usd_rates.csv): the fallback for currencies neither the ECB nor a fixed parity covers';

-- Units of a currency per US dollar on a value date, where that rate comes from and of which
-- day: the ECB's latest publication on or before the day (a currency it no longer quotes falls
-- through), else a fixed parity (through its anchor's ECB rate, unless the anchor is the
-- dollar), else the indicative fallback; all null when nothing covers the currency then.
-- plpgsql stops at the first source that answers: it runs for every row of a ranking load.
create function usd_rate_detail(cur char(3), on_day date,
                                out units_per_usd numeric, out source text, out rate_date date)
language plpgsql stable as $$
declare
    quotes jsonb;
    quoted_on date;
    peg rate_pegs%rowtype;
begin
    if cur = 'USD' then
        select 1, 'usd', on_day into units_per_usd, source, rate_date;
        return;
    end if;
    select day, units_per_eur into quoted_on, quotes from ecb_rates where day <= on_day order by day desc limit 1;
    if quotes ? cur or (cur = 'EUR' and quotes is not null) then
        select coalesce((quotes ->> cur)::numeric, 1) / (quotes ->> 'USD')::numeric, 'ecb', quoted_on
        into units_per_usd, source, rate_date;
        return;
    end if;
    select * into peg from rate_pegs p where p.currency = cur and p.since <= on_day;
    if peg.anchor = 'USD' then
        select peg.units_per_anchor, 'peg', peg.since into units_per_usd, source, rate_date;
        return;
    elsif quotes ? peg.anchor or (peg.anchor = 'EUR' and quotes is not null) then
        select peg.units_per_anchor * coalesce((quotes ->> peg.anchor)::numeric, 1) / (quotes ->> 'USD')::numeric,
               'peg', quoted_on
        into units_per_usd, source, rate_date;
        return;
    end if;
    select u.units_per_usd, 'indicative', u.valid_from into units_per_usd, source, rate_date
    from usd_rates u where u.currency = cur and u.valid_from <= on_day order by u.valid_from desc limit 1;
end
$$;

create or replace function usd_rate(cur char(3), on_day date) returns numeric
language sql stable as $$
    select (usd_rate_detail(cur, on_day)).units_per_usd
$$;

-- Each ledger entry names the rate it was valued at: units per US dollar, where that rate
-- came from and of which day (rate_date stays the value date). Entries made before this
-- migration did not record it; NOT VALID leaves them be and holds every new entry to it.
alter table ledger_entries
    add column units_per_usd numeric(24, 12),
    add column rate_source text check (rate_source in ('usd', 'ecb', 'peg', 'indicative')),
    add column rate_source_date date,
    add constraint ledger_entries_rate_recorded
        check (units_per_usd is not null and rate_source is not null and rate_source_date is not null) not valid;

-- migrate:down
alter table ledger_entries drop constraint ledger_entries_rate_recorded,
    drop column units_per_usd, drop column rate_source, drop column rate_source_date;
create or replace function usd_rate(cur char(3), on_day date) returns numeric
language sql stable as $$
    select units_per_usd from usd_rates
    where currency = cur and valid_from <= on_day
    order by valid_from desc limit 1
$$;
drop function usd_rate_detail;
comment on table usd_rates is null;
drop table rate_pegs, ecb_rates;
