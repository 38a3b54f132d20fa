-- name: insert_audit(actor_id, entity, entity_id, action, changes, reason, organisation_ids)$
insert into audit_log (actor_id, entity, entity_id, action, changes, reason, organisation_ids)
values (:actor_id, :entity, :entity_id, :action, :changes, :reason, :organisation_ids)
returning id;

-- name: entity_history(entity, entity_id)
select a.id, a.at, a.actor_id, u.email as actor_email, u.role as actor_role, o.name as actor_organisation,
       a.action, a.changes, a.reason
from audit_log a left join users u on u.id = a.actor_id left join organisations o on o.id = u.organisation_id
where a.entity = :entity and a.entity_id = :entity_id
order by a.id;
