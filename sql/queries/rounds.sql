-- name: insert_round(name, description, opens_on, closes_on, offer_ids, gcm_objectives, regions, resource_type, rules, pins, excluded, created_by)$
insert into rounds (name, description, opens_on, closes_on, offer_ids, gcm_objectives, regions, resource_type,
                    rules, pins, excluded, created_by)
values (:name, :description, :opens_on, :closes_on, :offer_ids, :gcm_objectives, :regions, :resource_type,
        :rules, :pins, :excluded, :created_by)
on conflict (name) do nothing
returning id;

-- name: get_round(id)^
select r.id, r.name, r.description, r.opens_on, r.closes_on, r.offer_ids, r.gcm_objectives, r.regions,
       r.resource_type, r.rules, r.pins, r.excluded, r.status, r.created_by, r.created_at, r.updated_at,
       r.committed_proposal_id,
       (select max(p.id) from round_proposals p where p.round_id = r.id) as latest_proposal_id
from rounds r where r.id = :id;

-- name: round_by_name(name)$
select id from rounds where name = :name;

-- name: lock_round(id)^
select id, name, status from rounds where id = :id for update;

-- name: list_rounds(before_id, lim)
select r.id, r.name, r.description, r.opens_on, r.closes_on, r.offer_ids, r.gcm_objectives, r.regions,
       r.resource_type, r.rules, r.pins, r.excluded, r.status, r.created_by, r.created_at, r.updated_at,
       r.committed_proposal_id,
       (select max(p.id) from round_proposals p where p.round_id = r.id) as latest_proposal_id
from rounds r
where (:before_id::bigint is null or r.id < :before_id)
order by r.id desc
limit :lim;

-- name: update_round(id, name, description, opens_on, closes_on, offer_ids, gcm_objectives, regions, resource_type, rules, pins, excluded)!
update rounds set name = :name, description = :description, opens_on = :opens_on, closes_on = :closes_on,
    offer_ids = :offer_ids, gcm_objectives = :gcm_objectives, regions = :regions, resource_type = :resource_type,
    rules = :rules, pins = :pins, excluded = :excluded, updated_at = now()
where id = :id;

-- name: mark_committed(id, proposal_id)!
update rounds set status = 'committed', committed_proposal_id = :proposal_id, updated_at = now() where id = :id;

-- name: known_offers(ids)
select id from offers where id = any(:ids::bigint[]);

-- name: round_needs(gcm_objectives, regions, resource_type)
-- The needs a round is open to: open, still asking, not past their deadline, asking the round's
-- resource, naming one of its objectives and in one of its regions (when it names any).
select n.id, n.organisation_id, n.country, c.region, n.gcm_objectives, n.currency, n.amount - n.committed as remaining,
       usd_rate(n.currency, current_date) as units_per_usd
from needs n join countries c on c.alpha3 = n.country
where n.status = 'open' and n.committed < n.amount
  and (n.deadline is null or n.deadline >= current_date)
  and :resource_type = any(n.resource_types)
  and (cardinality(:gcm_objectives::smallint[]) = 0 or n.gcm_objectives && :gcm_objectives::smallint[])
  and (cardinality(:regions::text[]) = 0 or c.region = any(:regions::text[]))
order by n.id;

-- name: round_offers(ids, resource_type)
-- The round's offers that can give: open, with budget left, not past their deadline, giving the resource.
select o.id, o.organisation_id, o.currency, o.budget - o.committed as remaining, o.min_amount, o.max_amount,
       usd_rate(o.currency, current_date) as units_per_usd
from offers o
where o.id = any(:ids::bigint[]) and o.status = 'open' and o.committed < o.budget
  and (o.deadline is null or o.deadline >= current_date)
  and :resource_type = any(o.resource_types)
order by o.id;

-- name: insert_proposal(round_id, status, value, bound, gap, seconds, pairs, needs, inputs, greedy, blocking, created_by)$
insert into round_proposals (round_id, status, value, bound, gap, seconds, pairs, needs, inputs, greedy, blocking,
                             created_by)
values (:round_id, :status, :value, :bound, :gap, :seconds, :pairs, :needs, :inputs, :greedy, :blocking, :created_by)
returning id;

-- name: insert_allocations(proposal_id, need_ids, offer_ids, amounts, currencies, amounts_usd, scores, explanations)!
-- ``explanations``: a JSON array, one item per allocation, in the order of the other lists.
insert into round_allocations (proposal_id, need_id, offer_id, amount, currency, amount_usd, score, explanation)
select :proposal_id, u.need_id, u.offer_id, u.amount, u.currency, u.amount_usd, u.score, e.explanation
from unnest(:need_ids::bigint[], :offer_ids::bigint[], :amounts::numeric[], :currencies::text[],
            :amounts_usd::numeric[], :scores::float8[])
     with ordinality as u(need_id, offer_id, amount, currency, amount_usd, score, n)
join jsonb_array_elements(:explanations::jsonb) with ordinality as e(explanation, n) on e.n = u.n;

-- name: get_proposal(id)^
select id, round_id, status, value, bound, gap, seconds, pairs, needs, inputs, greedy, blocking, created_by,
       created_at
from round_proposals where id = :id;

-- name: proposal_allocations(proposal_id)
-- A proposal's allocations with what coordinators read them by: both sides' titles and funders,
-- the need's place and objectives.
select a.need_id, a.offer_id, n.title as need_title, nor.name as need_organisation, n.country, c.region,
       n.gcm_objectives, o.title as offer_title, oor.name as offer_organisation, a.amount, a.currency, a.amount_usd,
       a.score, a.explanation, a.match_id
from round_allocations a
join needs n on n.id = a.need_id
join countries c on c.alpha3 = n.country
join organisations nor on nor.id = n.organisation_id
join offers o on o.id = a.offer_id
join organisations oor on oor.id = o.organisation_id
where a.proposal_id = :proposal_id
order by a.need_id, a.offer_id;

-- name: lock_needs(ids)
-- A round's commit locks every need, then every offer, in id order: the order single approvals
-- take (a need, then an offer), so that a round and an approval racing it cannot deadlock.
select id from needs where id = any(:ids::bigint[]) order by id for update;

-- name: lock_offers(ids)
select id from offers where id = any(:ids::bigint[]) order by id for update;

-- name: set_allocation_match(proposal_id, need_id, offer_id, match_id)!
update round_allocations set match_id = :match_id
where proposal_id = :proposal_id and need_id = :need_id and offer_id = :offer_id;
