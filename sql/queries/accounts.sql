-- name: insert_user(email, password_hash, role, organisation_id)^
insert into users (email, password_hash, role, organisation_id)
values (:email, :password_hash, :role, :organisation_id)
on conflict (email) do nothing
returning id, email, role, organisation_id, created_at;

-- name: get_user(id)^
select id, email, role, organisation_id, created_at from users where id = :id;

-- name: get_user_credentials(email)^
select id, email, password_hash from users where email = :email;

-- name: update_password_hash(id, password_hash)!
update users set password_hash = :password_hash where id = :id;

-- name: login_wait(keys)$
-- Seconds before any of these keys may try to sign in again (null: now).
select ceil(extract(epoch from max(blocked_until) - now()))::integer
from login_throttle where key = any(:keys) and blocked_until > now();

-- name: login_failed(key, free_attempts, window_seconds, cap_seconds)!
-- One more failure for the key (the count starts again after a quiet window); past the free
-- attempts, a wait of 1, 2, 4, ... seconds, at most the cap.
insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
values (:key, 1, now(), null)
on conflict (key) do update set
    failures = case when t.last_failure_at < now() - make_interval(secs => :window_seconds) then 1
                    else t.failures + 1 end,
    last_failure_at = now(),
    blocked_until = case
        when t.last_failure_at < now() - make_interval(secs => :window_seconds) then null
        when t.failures + 1 > :free_attempts
            then now() + make_interval(secs => least(:cap_seconds, power(2, t.failures - :free_attempts)))
        end;

-- name: login_succeeded(key)!
delete from login_throttle where key = :key;

-- name: get_account(id)^
-- A user with what a token is checked against: the credentials' version and whether active.
select id, email, role, organisation_id, created_at, token_version, active from users where id = :id;

-- name: revoke_tokens(id)!
-- Every token issued to the user so far stops working.
update users set token_version = token_version + 1 where id = :id;

-- name: set_password(id, password_hash)!
update users set password_hash = :password_hash, token_version = token_version + 1 where id = :id;

-- name: set_active(id, active)^
update users set active = :active, token_version = token_version + case when :active then 0 else 1 end
where id = :id
returning id, email, role, organisation_id, created_at;

-- name: get_user_credentials_by_id(id)^
select id, email, password_hash from users where id = :id;

-- name: list_users()
-- Every account, for administrators at the command line.
select u.id, u.email, u.role, u.active, o.external_id as organisation_key, o.name as organisation
from users u left join organisations o on o.id = u.organisation_id
order by u.id;

-- name: organisation_kind(id)$
-- What kind of organisation a new user joins (null: there is no such organisation).
select kind from organisations where id = :id;
