-- name: offer_owner(id)^
select organisation_id from offers where id = :id;

-- name: insert_subscription(organisation_id, offer_id, filters, min_score, top, webhook_url, email, secret, created_by)$
insert into alert_subscriptions (organisation_id, offer_id, filters, min_score, top, webhook_url, email, secret,
                                 created_by)
values (:organisation_id, :offer_id, :filters, :min_score, :top, :webhook_url, :email, :secret, :created_by)
returning id;

-- name: get_subscription(id)^
select id, organisation_id, offer_id, filters, min_score, top, webhook_url, email, active, consecutive_failures,
       created_at
from alert_subscriptions where id = :id;

-- name: list_subscriptions(organisation_id, before_id, lim)
-- organisation_id null: every one (staff).
select id, organisation_id, offer_id, filters, min_score, top, webhook_url, email, active, consecutive_failures,
       created_at
from alert_subscriptions
where (:organisation_id::bigint is null or organisation_id = :organisation_id)
  and (:before_id::bigint is null or id < :before_id)
order by id desc
limit :lim;

-- name: set_subscription_active(id, active)!
-- Switched on again, it starts afresh: no failures counted.
update alert_subscriptions set active = :active, consecutive_failures = 0 where id = :id;

-- name: list_deliveries(subscription_id, lim)
select d.id, d.channel, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at,
       o.need_id, d.body,
       coalesce((select jsonb_agg(jsonb_build_object('at', a.at, 'ok', a.ok, 'status_code', a.status_code,
                                                      'error', a.error) order by a.id)
                 from alert_attempts a where a.delivery_id = d.id), '[]') as log
from alert_deliveries d join alert_outbox o on o.id = d.outbox_id
where d.subscription_id = :subscription_id
order by o.id desc, d.channel
limit :lim;

-- name: pending_changes(lim)
-- New or changed needs not yet looked at, oldest first.
select id, need_id from alert_outbox where processed_at is null order by id limit :lim;

-- name: claim_changes(ids)
-- Those of them still not looked at, locked (another dispatcher skips them meanwhile).
select id from alert_outbox where id = any(:ids::bigint[]) and processed_at is null
for update skip locked;

-- name: active_subscriptions()
select id, offer_id, filters, min_score, top, webhook_url, email from alert_subscriptions where active;

-- name: insert_delivery(id, subscription_id, outbox_id, channel, body)!
insert into alert_deliveries (id, subscription_id, outbox_id, channel, body)
values (:id, :subscription_id, :outbox_id, :channel, :body)
on conflict (subscription_id, outbox_id, channel) do nothing;

-- name: mark_processed(ids)!
update alert_outbox set processed_at = now() where id = any(:ids::bigint[]);

-- name: claim_delivery()^
-- One pending delivery whose time has come, of a subscription still on; locked while it is
-- sent, so that no other dispatcher sends it too.
select d.id, d.channel, d.body, d.attempts, d.subscription_id, s.webhook_url, s.email, s.secret
from alert_deliveries d join alert_subscriptions s on s.id = d.subscription_id
where d.status = 'pending' and d.next_attempt_at <= now() and s.active
order by d.next_attempt_at
limit 1
for update of d skip locked;

-- name: log_attempt(delivery_id, ok, status_code, error)!
insert into alert_attempts (delivery_id, ok, status_code, error) values (:delivery_id, :ok, :status_code, :error);

-- name: mark_delivered(id, subscription_id)!
with delivered as (
    update alert_deliveries set status = 'delivered', attempts = attempts + 1, delivered_at = now() where id = :id
)
update alert_subscriptions set consecutive_failures = 0 where id = :subscription_id;

-- name: mark_failed(id, subscription_id, retry_seconds, disable_after)!
-- Tried again after retry_seconds × 2^(attempts so far), at most an hour; the subscription is
-- switched off after disable_after failures in a row.
with failed as (
    update alert_deliveries set attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => least(:retry_seconds::float8 * 2 ^ attempts, 3600))
    where id = :id
)
update alert_subscriptions set consecutive_failures = consecutive_failures + 1,
    active = consecutive_failures + 1 < :disable_after
where id = :subscription_id;
