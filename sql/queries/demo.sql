-- What of the demo data is there already, found in a few queries so that a second seed is cheap.

-- name: organisations_named(names)
select id, name, kind, country, origin_country, external_id, created_at
from organisations where name = any(:names);

-- name: user_emails(emails)
select id, email from users where email = any(:emails);

-- name: need_references(organisation_ids)
select organisation_id, reference from needs where organisation_id = any(:organisation_ids);

-- name: offer_references(organisation_ids)
select organisation_id, reference from offers where organisation_id = any(:organisation_ids);
