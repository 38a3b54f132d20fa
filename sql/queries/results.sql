-- name: match_parties(id)^
-- Who a match is between, and where it stands: who may define and read its results.
select m.status, n.organisation_id as need_organisation_id, o.organisation_id as offer_organisation_id
from matches m join needs n on n.id = m.need_id join offers o on o.id = m.offer_id
where m.id = :id;

-- name: insert_indicator(match_id, title, description, unit, baseline, baseline_date, target, start_date, end_date, report_every_months, gcm_objective, created_by)$
insert into indicators (match_id, title, description, unit, baseline, baseline_date, target, start_date, end_date,
                        report_every_months, gcm_objective, created_by)
values (:match_id, :title, :description, :unit, :baseline, :baseline_date, :target, :start_date, :end_date,
        :report_every_months, :gcm_objective, :created_by)
returning id;

-- name: get_indicator(id)^
select id, match_id, title, description, unit, baseline, baseline_date, target, start_date, end_date,
       report_every_months, gcm_objective, created_at, need_organisation_id, offer_organisation_id, reports,
       last_period_end, latest_actual, progress, next_report_due
from indicators_read where id = :id;

-- name: list_indicators(match_id, due_before, organisation_id, before_id, lim)
-- Newest first; due_before: only those whose next report was due before that day (overdue);
-- organisation_id null: every one (staff), else those of the organisation's matches.
select id, match_id, title, description, unit, baseline, baseline_date, target, start_date, end_date,
       report_every_months, gcm_objective, created_at, need_organisation_id, offer_organisation_id, reports,
       last_period_end, latest_actual, progress, next_report_due
from indicators_read
where (:match_id::bigint is null or match_id = :match_id)
  and (:due_before::date is null or next_report_due < :due_before)
  and (:organisation_id::bigint is null or :organisation_id in (need_organisation_id, offer_organisation_id))
  and (:before_id::bigint is null or id < :before_id)
order by id desc
limit :lim;

-- name: insert_report(indicator_id, period_start, period_end, actual, narrative, evidence, filed_by)$
-- Null when the period was reported already.
insert into progress_reports (indicator_id, period_start, period_end, actual, narrative, evidence, filed_by)
values (:indicator_id, :period_start, :period_end, :actual, :narrative, :evidence, :filed_by)
on conflict (indicator_id, period_end) do nothing
returning id;

-- name: indicator_reports(indicator_id)
select id, period_start, period_end, actual, narrative, evidence, filed_by, filed_at
from progress_reports where indicator_id = :indicator_id order by period_end;

-- name: portfolio(by, organisation_id, today)
-- Progress per GCM objective (the indicator's own, else its need's), region or funder: an
-- indicator counts under each of its keys; progress is clipped to [0, 1] before averaging.
with visible as (
    select i.id, i.match_id, i.reports, i.progress, i.next_report_due, i.funder, i.offer_organisation_id,
           i.region, case when i.gcm_objective is null then i.need_objectives::text[]
                          else array[i.gcm_objective::text] end as objectives
    from indicators_read i
    where :organisation_id::bigint is null or :organisation_id in (i.need_organisation_id, i.offer_organisation_id)
)
select k.key, min(v.funder) as funder, count(distinct v.match_id) as matches, count(*) as indicators,
       count(*) filter (where v.reports > 0) as reported,
       count(*) filter (where v.next_report_due < :today) as overdue,
       -- (greatest and least skip nulls: an indicator without a report is left out explicitly)
       round(avg(case when v.progress is not null then least(greatest(v.progress, 0), 1) end), 4) as mean_progress
from visible v
cross join lateral unnest(case :by
    when 'gcm_objective' then v.objectives
    when 'region' then array[v.region]
    when 'funder' then array[v.offer_organisation_id::text]
end) as k(key)
group by k.key
order by k.key;
