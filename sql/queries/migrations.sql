-- name: create_migrations_table()!
create table if not exists schema_migrations (
    version text primary key,
    applied_at timestamptz not null default now()
);

-- name: lock_migrations()$
-- Session-level advisory lock: a second migrating process waits here until the first is done.
select pg_advisory_lock(hashtext('matchmaker.migrations'));

-- name: unlock_migrations()$
select pg_advisory_unlock(hashtext('matchmaker.migrations'));

-- name: applied_versions()
select version from schema_migrations order by version;

-- name: record_migration(version)!
insert into schema_migrations (version) values (:version);
