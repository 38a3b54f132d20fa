-- migrate:up

-- Signed-in browser sessions. The cookie carries a random key; only its SHA-256 is stored,
-- so a copy of this table opens no session. A session is bound to the version of its
-- user's credentials: signing out everywhere, changing the password or deactivation ends it.
create table web_sessions (
    key_hash bytea primary key,
    user_id bigint not null references users (id),
    token_version integer not null,
    csrf_token text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index web_sessions_user on web_sessions (user_id);
create index web_sessions_expiry on web_sessions (expires_at);

-- migrate:down
drop table web_sessions;
