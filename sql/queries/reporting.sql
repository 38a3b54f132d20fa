-- name: funding_gaps(by)
-- Requested, committed and missing money per key, in US dollars at today's rates (the same
-- rate for what is asked and what is committed, so the gap is consistent). A need appears
-- under each of its keys (a need with two objectives counts under both), so rows overlap.
-- Closed needs are left out. Non-financial commitments are counted at their estimated value
-- and shown apart as well.
with need_usd as (
    select n.id, n.gcm_objectives::text[] as objectives, n.resource_types, c.region, n.country,
           case when cardinality(n.capacity_areas) = 0 then array['unspecified'] else n.capacity_areas end as areas,
           n.amount, usd_rate(n.currency, current_date) as rate
    from needs n join countries c on c.alpha3 = n.country
    where n.status <> 'closed'
), held as (
    select need_id, resource_type, sum(need_delta) as amount
    from ledger_entries group by need_id, resource_type
), keyed as (
    select k.key, n.id, n.amount / n.rate as requested_usd,
           coalesce((select sum(h.amount) from held h where h.need_id = n.id
                     and (:by <> 'resource_type' or h.resource_type = k.key)), 0) / n.rate as committed_usd,
           coalesce((select sum(h.amount) from held h where h.need_id = n.id and h.resource_type = 'financial'
                     and (:by <> 'resource_type' or h.resource_type = k.key)), 0) / n.rate as financial_usd
    from need_usd n
    cross join lateral unnest(case :by
        when 'gcm_objective' then n.objectives
        when 'region' then array[n.region]
        when 'country' then array[n.country]
        when 'capacity_area' then n.areas
        when 'resource_type' then n.resource_types
    end) as k(key)
)
select key,
       round(sum(requested_usd), 2) as requested_usd,
       round(sum(committed_usd), 2) as committed_usd,
       round(sum(requested_usd) - sum(committed_usd), 2) as gap_usd,
       count(*) as needs,
       round(sum(financial_usd), 2) as committed_financial_usd,
       round(sum(committed_usd) - sum(financial_usd), 2) as committed_non_financial_usd
from keyed
group by key
order by gap_usd desc, key;
