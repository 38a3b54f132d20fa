-- name: list_events(after_id, organisation_id, entity, lim)
-- organisation_id null: every event (coordinators); else the events that concern it.
select id, at, actor_id, entity, entity_id, action, changes, reason, subject
from events_read
where id > :after_id
  and (:organisation_id::bigint is null or :organisation_id = any(organisation_ids))
  and (:entity::text is null or entity = :entity)
order by id
limit :lim;

-- name: last_event_id()$
-- Where the event feed stands now (a listener replays from here after losing its connection).
select coalesce(max(id), 0) from audit_log;

-- name: events_by_ids(ids)
-- Announced events in full, with who may see them (the live streams' one query per batch).
select id, at, actor_id, entity, entity_id, action, changes, reason, organisation_ids, subject
from events_read where id = any(:ids::bigint[]) order by id;
