-- migrate:up

-- Funding-history files imported so far, by the SHA-256 of their content: importing the
-- same content again is recognised at once and does nothing.
create table history_imports (
    sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    file_name text not null,
    records integer not null check (records >= 0),
    imported_at timestamptz not null default now()
);

-- migrate:down
drop table history_imports;
