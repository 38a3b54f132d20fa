-- name: insert_user(email, password_hash, role, organisation_id)^
insert into users (email, password_hash, role, organisation_id)
values (:email, :password_hash, :role, :organisation_id)
on conflict (email) do nothing
returning id, email, role, organisation_id, created_at;

-- name: get_user(id)^
select id, email, role, organisation_id, created_at from users where id = :id;

-- name: get_user_credentials(email)^
select id, password_hash from users where email = :email;

-- name: update_password_hash(id, password_hash)!
update users set password_hash = :password_hash where id = :id;
