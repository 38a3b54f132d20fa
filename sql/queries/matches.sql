-- name: insert_match(need_id, offer_id, resource_type, amount, currency, note, score, proposed_by)$
insert into matches (need_id, offer_id, resource_type, amount, currency, note, score, proposed_by)
values (:need_id, :offer_id, :resource_type, :amount, :currency, :note, :score, :proposed_by)
on conflict (need_id, offer_id, resource_type) where status = 'proposed' do nothing
returning id;

-- name: get_match(id)^
select id, need_id, offer_id, resource_type, amount, currency, status, note, score, proposed_by,
       created_at, updated_at, need_organisation_id, offer_organisation_id, need_title, offer_title,
       need_organisation, offer_organisation
from matches_read where id = :id;

-- name: lock_match(id)^
select id, need_id, offer_id, resource_type, amount, currency, status, proposed_by
from matches where id = :id for update;

-- name: set_match_status(id, status, amount)!
update matches set status = :status, amount = :amount, updated_at = now() where id = :id;

-- name: list_matches(status, need_id, offer_id, organisation_id, before_id, lim)
-- organisation_id null: every match (staff); else those on the organisation's needs or offers.
select id, need_id, offer_id, resource_type, amount, currency, status, note, score, proposed_by,
       created_at, updated_at, need_organisation_id, offer_organisation_id, need_title, offer_title,
       need_organisation, offer_organisation
from matches_read
where (:status::text is null or status = :status)
  and (:need_id::bigint is null or need_id = :need_id)
  and (:offer_id::bigint is null or offer_id = :offer_id)
  and (:organisation_id::bigint is null or :organisation_id in (need_organisation_id, offer_organisation_id))
  and (:before_id::bigint is null or id < :before_id)
order by id desc
limit :lim;

-- name: lock_need_budget(id)^
-- Approvals lock the need first, then the offer: one order for everyone, so they cannot deadlock.
select amount - committed as remaining, currency, status, deadline from needs where id = :id for update;

-- name: lock_offer_budget(id)^
select budget - committed as remaining, currency, status, min_amount, max_amount, deadline
from offers where id = :id for update;

-- name: convert_amount(amount, from_currency, to_currency, on_day)$
-- Through US dollars at the rates valid on that day.
select round(:amount::numeric / usd_rate(:from_currency, :on_day) * usd_rate(:to_currency, :on_day), 2);

-- name: insert_ledger_entry(match_id, need_id, offer_id, kind, resource_type, amount, currency, need_delta, offer_delta, actor_id)!
-- Valued in US dollars at the rate of the day, recorded with its source and date; the rate is
-- rounded first so that amount / units_per_usd gives usd_value again. A currency without
-- any rate leaves usd_value null, which the table refuses.
insert into ledger_entries (match_id, need_id, offer_id, kind, resource_type, amount, currency,
                            need_delta, offer_delta, usd_value, rate_date, units_per_usd, rate_source,
                            rate_source_date, actor_id)
select :match_id, :need_id, :offer_id, :kind, :resource_type, :amount, :currency,
       :need_delta, :offer_delta, round(:amount::numeric / r.units_per_usd, 2), current_date, r.units_per_usd,
       r.source, r.rate_date, :actor_id
from (select 1) as one
left join lateral (select round(d.units_per_usd, 12) as units_per_usd, d.source, d.rate_date
                   from usd_rate_detail(:currency, current_date) d) as r on true;

-- name: apply_commitment(need_id, offer_id, need_delta, offer_delta)!
-- Keeps committed equal to the ledger's sums, in the same transaction as the entry; statuses
-- follow (a fully committed need is funded, a fully committed offer exhausted).
with need as (
    update needs set committed = committed + :need_delta,
        status = case when committed + :need_delta >= amount and status = 'open' then 'funded'
                      when committed + :need_delta < amount and status = 'funded' then 'open'
                      else status end,
        updated_at = now()
    where id = :need_id
)
update offers set committed = committed + :offer_delta,
    status = case when committed + :offer_delta >= budget and status = 'open' then 'exhausted'
                  when committed + :offer_delta < budget and status = 'exhausted' then 'open'
                  else status end,
    updated_at = now()
where id = :offer_id;

-- name: match_ledger(match_id)
select id, kind, resource_type, amount, currency, need_delta, offer_delta, usd_value, rate_date, units_per_usd,
       rate_source, rate_source_date, created_at
from ledger_entries where match_id = :match_id order by id;

-- name: claim_idempotency_key(user_id, key, fingerprint)$
-- Waits while a concurrent request holds the same key; true when this request claimed it.
insert into idempotency_keys (user_id, key, fingerprint) values (:user_id, :key, :fingerprint)
on conflict do nothing
returning true;

-- name: get_idempotency_key(user_id, key)^
select fingerprint, response_status, response_body from idempotency_keys where user_id = :user_id and key = :key;

-- name: store_idempotent_response(user_id, key, response_status, response_body)!
update idempotency_keys set response_status = :response_status, response_body = :response_body
where user_id = :user_id and key = :key;

-- name: match_commitment(match_id)^
-- What the match holds now: releasing exactly this keeps the ledger balanced whatever the rates do.
select coalesce(sum(need_delta), 0) as need_delta, coalesce(sum(offer_delta), 0) as offer_delta
from ledger_entries where match_id = :match_id;

-- name: open_proposal(need_id, offer_id, resource_type)$
-- The proposal that stands in the way of another for the same pairing and resource.
select id from matches
where need_id = :need_id and offer_id = :offer_id and resource_type = :resource_type and status = 'proposed';

-- name: list_ledger(match_id, need_id, offer_id, kind, organisation_id, before_id, lim)
-- Newest first; organisation_id null: every entry (staff); else those of matches on the
-- organisation's needs or offers.
select e.id, e.match_id, e.need_id, e.offer_id, e.kind, e.resource_type, e.amount, e.currency, e.need_delta,
       e.offer_delta, e.usd_value, e.rate_date, e.units_per_usd, e.rate_source, e.rate_source_date, e.created_at
from ledger_entries e
join needs n on n.id = e.need_id
join offers o on o.id = e.offer_id
where (:match_id::bigint is null or e.match_id = :match_id)
  and (:need_id::bigint is null or e.need_id = :need_id)
  and (:offer_id::bigint is null or e.offer_id = :offer_id)
  and (:kind::text is null or e.kind = :kind)
  and (:organisation_id::bigint is null or :organisation_id in (n.organisation_id, o.organisation_id))
  and (:before_id::bigint is null or e.id < :before_id)
order by e.id desc
limit :lim;
