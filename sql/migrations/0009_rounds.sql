-- migrate:up

-- A funding round: a named call with a window, the offers whose remaining budgets are pooled,
-- the needs it is open to (filters), its balance rules and the coordinators' adjustments
-- (pinned and excluded pairs). Rules, pins and exclusions are read by the service
-- (matchmaker/rounds/rules.py); the solved proposals are kept beside it.
create table rounds (
    id bigint generated always as identity primary key,
    name text not null unique check (length(name) between 3 and 200),
    description text not null default '' check (length(description) <= 20000),
    opens_on date not null,
    closes_on date not null,
    offer_ids bigint[] not null check (cardinality(offer_ids) between 1 and 5000),
    -- Eligible needs: any of these objectives and regions (empty: any), asking this resource.
    gcm_objectives gcm_objective_list not null default '{}',
    regions text[] not null default '{}' check (regions <@ array['Africa', 'Americas', 'Asia', 'Europe', 'Oceania']),
    resource_type text not null default 'financial' check (array[resource_type]::resource_type_list is not null),
    rules jsonb not null default '{}',
    pins jsonb not null default '[]',
    excluded jsonb not null default '[]',
    status text not null default 'draft' check (status in ('draft', 'committed')),
    created_by bigint not null references users,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (opens_on <= closes_on)
);

-- One solve of a round: the optimiser's allocation, how good it is known to be, and the
-- greedy allocation's value and the rules it breaks (``greedy``), or, for an infeasible round,
-- the rules that block it (``blocking``). ``inputs`` keeps the rules, pins and exclusions solved.
create table round_proposals (
    id bigint generated always as identity primary key,
    round_id bigint not null references rounds,
    status text not null check (status in ('optimal', 'feasible', 'infeasible', 'no_solution')),
    value double precision not null,
    bound double precision,
    gap double precision,
    seconds double precision not null,
    pairs integer not null,
    needs integer not null,
    inputs jsonb not null,
    greedy jsonb not null,
    blocking jsonb not null default '[]',
    created_by bigint not null references users,
    created_at timestamptz not null default now()
);
create index round_proposals_round on round_proposals (round_id);

-- The (need, offer, amount) triples of a proposal; the amount is in the need's currency, as
-- the match committing it will be. ``match_id`` is set when the round is committed.
create table round_allocations (
    proposal_id bigint not null references round_proposals,
    need_id bigint not null references needs,
    offer_id bigint not null references offers,
    amount numeric(18, 2) not null check (amount > 0),
    currency char(3) not null references currencies,
    amount_usd numeric(20, 2) not null check (amount_usd >= 0),
    score double precision not null,
    -- The ranker's explanation of the pair when solved: {"explanation", "shortfalls", "label"}.
    explanation jsonb not null default '{}',
    match_id bigint references matches,
    primary key (proposal_id, need_id, offer_id)
);

alter table rounds add column committed_proposal_id bigint references round_proposals;

alter table audit_log drop constraint audit_log_entity_check;
alter table audit_log add constraint audit_log_entity_check
    check (entity in ('organisation', 'need', 'offer', 'match', 'round'));

create or replace view events_read as
select a.id, a.at, a.actor_id, a.entity, a.entity_id, a.action, a.changes, a.reason, a.organisation_ids,
       coalesce(n.title, o.title, org.name, mn.title || ' ↔ ' || mo.title, r.name) as subject
from audit_log a
left join needs n on a.entity = 'need' and n.id = a.entity_id
left join offers o on a.entity = 'offer' and o.id = a.entity_id
left join organisations org on a.entity = 'organisation' and org.id = a.entity_id
left join matches m on a.entity = 'match' and m.id = a.entity_id
left join needs mn on mn.id = m.need_id
left join offers mo on mo.id = m.offer_id
left join rounds r on a.entity = 'round' and r.id = a.entity_id;

-- migrate:down
create or replace view events_read as
select a.id, a.at, a.actor_id, a.entity, a.entity_id, a.action, a.changes, a.reason, a.organisation_ids,
       coalesce(n.title, o.title, org.name, mn.title || ' ↔ ' || mo.title) as subject
from audit_log a
left join needs n on a.entity = 'need' and n.id = a.entity_id
left join offers o on a.entity = 'offer' and o.id = a.entity_id
left join organisations org on a.entity = 'organisation' and org.id = a.entity_id
left join matches m on a.entity = 'match' and m.id = a.entity_id
left join needs mn on mn.id = m.need_id
left join offers mo on mo.id = m.offer_id;
-- The audit log keeps its rows: those about rounds stay, unchecked.
alter table audit_log drop constraint audit_log_entity_check;
alter table audit_log add constraint audit_log_entity_check
    check (entity in ('organisation', 'need', 'offer', 'match')) not valid;
drop table round_allocations;
alter table rounds drop column committed_proposal_id;
drop table round_proposals, rounds;
