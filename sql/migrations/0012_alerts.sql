-- migrate:up

-- A funder's standing question: tell me when a new or changed need ranks among the `top`
-- of this offer's opportunities (within `filters`, the needs list's filters) with at least
-- `min_score`; by a webhook signed with `secret` (HMAC-SHA256), by e-mail, or both. After
-- `consecutive_failures` reaches the configured limit it is switched off (`active`).
create table alert_subscriptions (
    id bigint generated always as identity primary key,
    organisation_id bigint not null references organisations,
    offer_id bigint not null references offers,
    filters jsonb not null default '{}',
    min_score double precision not null default 0 check (min_score between 0 and 1),
    top integer not null default 20 check (top between 1 and 100),
    webhook_url text check (webhook_url ~ '^https?://'),
    email text check (email ~ '^[^@\s]+@[^@\s]+$'),
    secret text not null check (length(secret) >= 32),
    active boolean not null default true,
    consecutive_failures integer not null default 0,
    created_by bigint references users,
    created_at timestamptz not null default now(),
    check (webhook_url is not null or email is not null)
);
create index alert_subscriptions_offer on alert_subscriptions (offer_id);

-- The outbox: every new or changed need, written by the database in the transaction that
-- records the change (whatever wrote it: the API, an import, the demo data), so none is lost.
create table alert_outbox (
    id bigint generated always as identity primary key,
    need_id bigint not null references needs,
    audit_id bigint not null unique,
    created_at timestamptz not null default now(),
    processed_at timestamptz
);
create index alert_outbox_pending on alert_outbox (id) where processed_at is null;

create function alert_outbox_enqueue() returns trigger
language plpgsql as $$
begin
    if new.entity = 'need' and new.action in ('created', 'updated') then
        insert into alert_outbox (need_id, audit_id) values (new.entity_id, new.id);
    end if;
    return new;
end;
$$;
create trigger audit_log_alert_outbox after insert on audit_log
    for each row execute function alert_outbox_enqueue();

-- One alert to one receiver: its id is what receivers deduplicate on, its body the exact
-- bytes sent (and signed) at every attempt.
create table alert_deliveries (
    id uuid primary key default gen_random_uuid(),
    subscription_id bigint not null references alert_subscriptions,
    outbox_id bigint not null references alert_outbox,
    channel text not null check (channel in ('webhook', 'email')),
    body text not null,
    status text not null default 'pending' check (status in ('pending', 'delivered')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    unique (subscription_id, outbox_id, channel)
);
create index alert_deliveries_due on alert_deliveries (next_attempt_at) where status = 'pending';

-- The delivery log: every attempt and how it went.
create table alert_attempts (
    id bigint generated always as identity primary key,
    delivery_id uuid not null references alert_deliveries,
    at timestamptz not null default now(),
    ok boolean not null,
    status_code integer,
    error text
);
create index alert_attempts_delivery on alert_attempts (delivery_id);

-- migrate:down
drop table alert_attempts;
drop table alert_deliveries;
drop trigger audit_log_alert_outbox on audit_log;
drop function alert_outbox_enqueue();
drop table alert_outbox;
drop table alert_subscriptions;
