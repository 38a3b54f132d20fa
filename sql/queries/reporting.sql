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

-- name: iati_activities(organisation_id)
-- The matches an IATI file reports (approved, disbursed, completed), with both sides and
-- their organisations; organisation_id null: every one (staff), else the organisation's.
select m.id, m.status, m.resource_type, m.currency, m.note, m.updated_at,
       n.title as need_title, n.description as need_description, n.language, n.deadline,
       c.alpha2 as country_alpha2,
       case when cardinality(n.sectors) > 0 then n.sectors else o.sectors end as sectors,
       n.gcm_objectives, o.title as offer_title,
       nor.name as need_organisation, nor.kind as need_organisation_kind, nor.external_id as need_organisation_ref,
       oor.name as offer_organisation, oor.kind as offer_organisation_kind, oor.external_id as offer_organisation_ref,
       (select min(e.created_at) from ledger_entries e where e.match_id = m.id and e.kind = 'commitment') as approved_at
from matches m
join needs n on n.id = m.need_id
join offers o on o.id = m.offer_id
join organisations nor on nor.id = n.organisation_id
join organisations oor on oor.id = o.organisation_id
join countries c on c.alpha3 = n.country
where m.status in ('approved', 'disbursed', 'completed')
  and (:organisation_id::bigint is null or :organisation_id in (n.organisation_id, o.organisation_id))
order by m.id;

-- name: iati_transactions(match_ids)
-- The ledger entries of those matches, in the order they were made.
select id, match_id, kind, amount, currency, rate_date, created_at
from ledger_entries where match_id = any(:match_ids::bigint[])
order by match_id, id;

-- name: iati_indicators(match_ids)
-- The indicators of those matches, as IATI results.
select id, match_id, title, description, unit, baseline, baseline_date, target, start_date, gcm_objective
from indicators where match_id = any(:match_ids::bigint[])
order by match_id, id;

-- name: iati_reports(match_ids)
-- Their progress reports, as the periods of the results.
select p.indicator_id, p.period_start, p.period_end, p.actual, p.narrative, p.evidence, p.filed_at
from progress_reports p join indicators i on i.id = p.indicator_id
where i.match_id = any(:match_ids::bigint[])
order by p.indicator_id, p.period_end;
