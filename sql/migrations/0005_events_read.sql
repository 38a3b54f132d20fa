-- migrate:up

-- The event feed as it is read: each audited change with its subject, named as it is now
-- (a need's or offer's title, an organisation's name, or both sides of a match).
create view events_read as
select a.id, a.at, a.actor_id, a.entity, a.entity_id, a.action, a.changes, a.reason, a.organisation_ids,
       coalesce(n.title, o.title, org.name, mn.title || ' ↔ ' || mo.title) as subject
from audit_log a
left join needs n on a.entity = 'need' and n.id = a.entity_id
left join offers o on a.entity = 'offer' and o.id = a.entity_id
left join organisations org on a.entity = 'organisation' and org.id = a.entity_id
left join matches m on a.entity = 'match' and m.id = a.entity_id
left join needs mn on mn.id = m.need_id
left join offers mo on mo.id = m.offer_id;

-- migrate:down
drop view events_read;
