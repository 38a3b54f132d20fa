-- migrate:up

-- Reference vocabularies, filled from matchmaker/reference/*.csv by `matchmaker db migrate`.
create table countries (
    alpha3 char(3) primary key check (alpha3 ~ '^[A-Z]{3}$'),
    alpha2 char(2) not null,
    name text not null,
    name_fr text not null default '',
    name_es text not null default '',
    region text not null default '',
    sub_region text not null default '',
    intermediate_region text not null default ''
);

create table currencies (
    code char(3) primary key check (code ~ '^[A-Z]{3}$'),
    name text not null,
    minor_unit smallint
);

create table gcm_objectives (
    number smallint primary key check (number between 1 and 23),
    title text not null
);

-- Units of a currency per US dollar, valid from a date until the next row of that currency.
create table usd_rates (
    currency char(3) not null references currencies,
    valid_from date not null,
    units_per_usd numeric(24, 8) not null check (units_per_usd > 0),
    primary key (currency, valid_from)
);

create function usd_rate(cur char(3), on_day date) returns numeric
language sql stable as $$
    select units_per_usd from usd_rates
    where currency = cur and valid_from <= on_day
    order by valid_from desc limit 1
$$;

-- Arrays cannot carry foreign keys: a trigger checks their country codes instead.
create function check_country_codes() returns trigger
language plpgsql as $$
declare
    unknown text;
begin
    select string_agg(c, ', ') into unknown
    from unnest(new.countries) as c
    where not exists (select 1 from countries where alpha3 = c);
    if unknown is not null then
        raise exception 'unknown country code(s): %', unknown
            using errcode = '23503', column = 'countries';
    end if;
    return new;
end
$$;

-- The closed vocabularies of needs and offers, one definition each.
create domain gcm_objective_list as smallint[]
    check (value <@ '{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23}');
create domain capacity_area_list as text[] check (value <@ array[
    'data_collection_analysis', 'consular_practices', 'border_management', 'international_obligations',
    'cross_border_coordination', 'whole_of_government', 'whole_of_society', 'diaspora_engagement']);
create domain resource_type_list as text[] check (cardinality(value) >= 1 and value <@ array[
    'financial', 'technical_expertise', 'training', 'equipment', 'in_kind', 'volunteers']);

create table organisations (
    id bigint generated always as identity primary key,
    name text not null unique check (length(name) between 2 and 200),
    kind text not null check (kind in (
        'state_agency', 'local_authority', 'bilateral_donor', 'multilateral', 'un_agency',
        'foundation', 'private_sector', 'diaspora_organisation', 'individual', 'civil_society')),
    country char(3) not null references countries,
    -- A diaspora organisation's or migrant's country of origin: part of its geographic focus.
    origin_country char(3) references countries,
    -- Identifier in outside registries (IATI organisation id), used to link funding history.
    external_id text unique,
    created_at timestamptz not null default now()
);

create table users (
    id bigint generated always as identity primary key,
    email text not null check (email ~ '^[^@\s]+@[^@\s]+$' and email = lower(email)),
    password_hash text not null,
    role text not null check (role in ('state', 'donor', 'coordinator', 'admin')),
    organisation_id bigint references organisations,
    created_at timestamptz not null default now(),
    unique (email),
    check (role not in ('state', 'donor') or organisation_id is not null)
);

create table needs (
    id bigint generated always as identity primary key,
    organisation_id bigint not null references organisations,
    reference text check (length(reference) between 1 and 100),
    title text not null check (length(title) between 3 and 300),
    description text not null default '' check (length(description) <= 20000),
    language text not null check (language in ('en', 'fr', 'es')),
    country char(3) not null references countries,
    gcm_objectives gcm_objective_list not null check (cardinality(gcm_objectives) >= 1),
    capacity_areas capacity_area_list not null default '{}',
    resource_types resource_type_list not null,
    sectors text[] not null default '{}',
    amount numeric(18, 2) not null check (amount > 0 and amount <= 1e11),
    currency char(3) not null references currencies,
    committed numeric(18, 2) not null default 0 check (committed >= 0 and committed <= amount),
    deadline date,
    status text not null default 'open' check (status in ('open', 'funded', 'closed')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    search tsvector generated always as (
        setweight(to_tsvector('simple'::regconfig, title), 'A')
        || to_tsvector('simple'::regconfig, description)
        || to_tsvector('english'::regconfig, title || ' ' || description)
        || to_tsvector('french'::regconfig, title || ' ' || description)
        || to_tsvector('spanish'::regconfig, title || ' ' || description)) stored,
    unique (organisation_id, reference)
);
create index needs_search on needs using gin (search);
create index needs_country on needs (country);
create index needs_objectives on needs using gin (gcm_objectives);

create table offers (
    id bigint generated always as identity primary key,
    organisation_id bigint not null references organisations,
    reference text check (length(reference) between 1 and 100),
    title text not null check (length(title) between 3 and 300),
    description text not null default '' check (length(description) <= 20000),
    language text not null check (language in ('en', 'fr', 'es')),
    gcm_objectives gcm_objective_list not null default '{}',
    capacity_areas capacity_area_list not null default '{}',
    resource_types resource_type_list not null,
    sectors text[] not null default '{}',
    countries char(3)[] not null default '{}',
    regions text[] not null default '{}' check (regions <@ array[
        'Africa', 'Americas', 'Asia', 'Europe', 'Oceania']),
    global boolean not null default false,
    budget numeric(18, 2) not null check (budget > 0 and budget <= 1e11),
    currency char(3) not null references currencies,
    committed numeric(18, 2) not null default 0 check (committed >= 0 and committed <= budget),
    min_amount numeric(18, 2) check (min_amount > 0),
    max_amount numeric(18, 2) check (max_amount > 0),
    deadline date,
    status text not null default 'open' check (status in ('open', 'exhausted', 'closed')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    search tsvector generated always as (
        setweight(to_tsvector('simple'::regconfig, title), 'A')
        || to_tsvector('simple'::regconfig, description)
        || to_tsvector('english'::regconfig, title || ' ' || description)
        || to_tsvector('french'::regconfig, title || ' ' || description)
        || to_tsvector('spanish'::regconfig, title || ' ' || description)) stored,
    unique (organisation_id, reference),
    check (min_amount is null or max_amount is null or min_amount <= max_amount),
    check (min_amount is null or min_amount <= budget),
    -- Where an offer may be spent must be said: somewhere, or everywhere.
    check (global or cardinality(countries) > 0 or cardinality(regions) > 0)
);
create index offers_search on offers using gin (search);
create index offers_countries on offers using gin (countries);
create trigger offers_countries_exist before insert or update of countries on offers
    for each row execute function check_country_codes();

-- What the API reads: the stored row plus what derives from it (region, remaining, USD value).
create view needs_read as
select n.id, n.organisation_id, n.reference, n.title, n.description, n.language, n.country,
       c.region, c.sub_region, c.intermediate_region, n.gcm_objectives, n.capacity_areas, n.resource_types, n.sectors,
       n.amount, n.currency, n.committed, n.amount - n.committed as remaining,
       round(n.amount / usd_rate(n.currency, current_date), 2) as amount_usd,
       n.deadline, n.status, n.created_at, n.updated_at, n.search
from needs n join countries c on c.alpha3 = n.country;

create view offers_read as
select o.id, o.organisation_id, org.kind as organisation_kind, org.origin_country, o.reference,
       o.title, o.description, o.language, o.gcm_objectives, o.capacity_areas, o.resource_types,
       o.sectors, o.countries, o.regions, o.global, o.budget, o.currency, o.committed,
       o.budget - o.committed as remaining,
       round(o.budget / usd_rate(o.currency, current_date), 2) as budget_usd,
       o.min_amount, o.max_amount, o.deadline, o.status, o.created_at, o.updated_at, o.search
from offers o join organisations org on org.id = o.organisation_id;

-- Past funding records (import-history): what a funder really funded, where.
create table funding_records (
    id bigint generated always as identity primary key,
    record_id text not null unique,
    funder_ref text not null,
    funder_name text not null default '',
    funder_type text not null default '',
    organisation_id bigint references organisations,
    recipient_countries text[] not null default '{}',
    recipient_region text not null default '',
    sectors text[] not null default '{}',
    title text not null default '',
    description text not null default '',
    language text not null default '',
    amount_usd numeric(20, 2) check (amount_usd >= 0),
    year smallint check (year between 1900 and 2200),
    imported_at timestamptz not null default now()
);
create index funding_records_funder on funding_records (funder_ref);

-- Every change to a need, offer, organisation or match: who, when, what, why. Rows are
-- never updated or deleted; the log doubles as the event feed clients follow.
create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    actor_id bigint references users,
    entity text not null check (entity in ('organisation', 'need', 'offer', 'match')),
    entity_id bigint not null,
    action text not null check (length(action) between 1 and 50),
    changes jsonb not null default '{}',
    reason text,
    -- Organisations concerned (owners of the need and the offer): who may see the event.
    organisation_ids bigint[] not null default '{}'
);
create index audit_log_entity on audit_log (entity, entity_id);

create function audit_log_notify() returns trigger
language plpgsql as $$
begin
    perform pg_notify('matchmaker_events', json_build_object(
        'id', new.id, 'entity', new.entity, 'entity_id', new.entity_id, 'action', new.action)::text);
    return new;
end
$$;
create trigger audit_log_notify after insert on audit_log
    for each row execute function audit_log_notify();

create function audit_log_append_only() returns trigger
language plpgsql as $$
begin
    raise exception '% is append-only: rows are never changed or deleted', tg_table_name;
end
$$;
create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_append_only();

-- migrate:down
drop table audit_log;
drop function audit_log_notify, audit_log_append_only;
drop view needs_read, offers_read;
drop table funding_records, offers, needs, users, organisations, usd_rates, gcm_objectives,
    currencies, countries;
drop function check_country_codes, usd_rate;
drop domain gcm_objective_list, capacity_area_list, resource_type_list;
