-- name: open_session(key_hash, user_id, token_version, csrf_token, seconds)!
-- Expired sessions of anyone are cleared on the way: the table holds only live ones.
with cleared as (delete from web_sessions where expires_at < now())
insert into web_sessions (key_hash, user_id, token_version, csrf_token, expires_at)
values (:key_hash, :user_id, :token_version, :csrf_token, now() + make_interval(secs => :seconds));

-- name: read_session(key_hash)^
-- A live session and its user, if the user is active and has not signed out everywhere since.
select u.id, u.email, u.role, u.organisation_id, u.created_at, s.csrf_token,
       org.name as organisation_name, org.kind as organisation_kind
from web_sessions s
join users u on u.id = s.user_id and u.active and u.token_version = s.token_version
left join organisations org on org.id = u.organisation_id
where s.key_hash = :key_hash and s.expires_at > now();

-- name: close_session(key_hash)!
delete from web_sessions where key_hash = :key_hash;
