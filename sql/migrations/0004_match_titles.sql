-- migrate:up

-- Matches read with what a review queue shows: both sides' titles and organisations' names.
create or replace view matches_read as
select m.id, m.need_id, m.offer_id, m.resource_type, m.amount, m.currency, m.status, m.note, m.score,
       m.proposed_by, m.created_at, m.updated_at,
       n.organisation_id as need_organisation_id, o.organisation_id as offer_organisation_id,
       n.title as need_title, o.title as offer_title,
       nor.name as need_organisation, oor.name as offer_organisation
from matches m
join needs n on n.id = m.need_id
join offers o on o.id = m.offer_id
join organisations nor on nor.id = n.organisation_id
join organisations oor on oor.id = o.organisation_id;

-- migrate:down
drop view matches_read;
create view matches_read as
select m.id, m.need_id, m.offer_id, m.resource_type, m.amount, m.currency, m.status, m.note, m.score,
       m.proposed_by, m.created_at, m.updated_at,
       n.organisation_id as need_organisation_id, o.organisation_id as offer_organisation_id
from matches m
join needs n on n.id = m.need_id
join offers o on o.id = m.offer_id;
