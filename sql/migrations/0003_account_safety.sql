-- migrate:up

-- Failed sign-ins, per account and per client address: after a few, each further attempt
-- waits twice as long as the last (up to a cap); a success clears the account's count.
create table login_throttle (
    key text primary key,
    failures integer not null default 0,
    last_failure_at timestamptz not null default now(),
    blocked_until timestamptz
);

-- Tokens carry the version of their user's credentials: signing out, changing the password
-- or deactivating the account moves it on, and every token issued before stops working.
alter table users
    add column token_version integer not null default 0,
    add column active boolean not null default true;

-- migrate:down
alter table users drop column token_version, drop column active;
drop table login_throttle;
