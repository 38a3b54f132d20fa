-- migrate:up

-- A proposed pairing of a need and an offer, and where it stands in the approval workflow.
create table matches (
    id bigint generated always as identity primary key,
    need_id bigint not null references needs,
    offer_id bigint not null references offers,
    -- Casting to the list domain checks the value against the one vocabulary of resource types.
    resource_type text not null check (array[resource_type]::resource_type_list is not null),
    -- Proposed (and, once approved, committed) amount; for non-financial resources an estimated value.
    amount numeric(18, 2) not null check (amount > 0 and amount <= 1e11),
    currency char(3) not null references currencies,
    status text not null default 'proposed' check (status in (
        'proposed', 'approved', 'rejected', 'withdrawn', 'disbursed', 'completed', 'cancelled')),
    note text not null default '' check (length(note) <= 5000),
    -- The ranker's score when proposed: with the coordinator's decision, a training example.
    score double precision,
    proposed_by bigint not null references users,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index matches_need on matches (need_id);
create index matches_offer on matches (offer_id);
-- One open proposal per pairing and resource: a second one would only confuse the decision.
create unique index matches_one_open_proposal on matches (need_id, offer_id, resource_type)
    where status = 'proposed';

-- The budget ledger: committed amounts are the sums of these entries, never edited in place.
-- Each entry carries its amount in the match's, the need's and the offer's currency, and in
-- US dollars at the rate of the day it was made.
create table ledger_entries (
    id bigint generated always as identity primary key,
    match_id bigint not null references matches,
    need_id bigint not null references needs,
    offer_id bigint not null references offers,
    kind text not null check (kind in ('commitment', 'release', 'disbursement')),
    resource_type text not null,
    amount numeric(18, 2) not null check (amount > 0),
    currency char(3) not null references currencies,
    -- Signed effect on committed: + for a commitment, - for a release, 0 for a disbursement.
    need_delta numeric(18, 2) not null,
    offer_delta numeric(18, 2) not null,
    usd_value numeric(20, 2) not null check (usd_value >= 0),
    rate_date date not null,
    actor_id bigint references users,
    created_at timestamptz not null default now()
);
create index ledger_entries_need on ledger_entries (need_id);
create index ledger_entries_offer on ledger_entries (offer_id);

create trigger ledger_entries_append_only before update or delete on ledger_entries
    for each row execute function audit_log_append_only();

-- A retried request with the same Idempotency-Key gets the stored response instead of a second effect.
create table idempotency_keys (
    user_id bigint not null references users,
    key text not null check (length(key) between 1 and 200),
    fingerprint text not null,
    response_status smallint,
    response_body jsonb,
    created_at timestamptz not null default now(),
    primary key (user_id, key)
);

-- A match with the organisations on both sides (who may see it).
create view matches_read as
select m.id, m.need_id, m.offer_id, m.resource_type, m.amount, m.currency, m.status, m.note, m.score,
       m.proposed_by, m.created_at, m.updated_at,
       n.organisation_id as need_organisation_id, o.organisation_id as offer_organisation_id
from matches m
join needs n on n.id = m.need_id
join offers o on o.id = m.offer_id;

-- migrate:down
drop view matches_read;
drop table idempotency_keys, ledger_entries, matches;
