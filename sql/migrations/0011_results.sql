-- migrate:up

-- What an approved match is meant to change, as the state (or a coordinator) measures it:
-- from a baseline to a target between two dates, optionally under one GCM objective. A
-- progress report is due every `report_every_months` months from the start, until the end.
create table indicators (
    id bigint generated always as identity primary key,
    match_id bigint not null references matches,
    title text not null check (length(title) between 3 and 300),
    description text not null default '' check (length(description) <= 5000),
    unit text not null check (length(unit) between 1 and 50),
    baseline numeric(20, 4) not null,
    baseline_date date,
    target numeric(20, 4) not null check (target <> baseline),
    start_date date not null,
    end_date date not null check (end_date > start_date),
    report_every_months smallint not null check (report_every_months in (1, 3, 6, 12)),
    gcm_objective smallint check (gcm_objective between 1 and 23),
    created_by bigint references users,
    created_at timestamptz not null default now()
);
create index indicators_match on indicators (match_id);

-- One report per indicator and period: the value measured at its end, what happened, and
-- links to the evidence. A period is reported once, and a report is never rewritten.
create table progress_reports (
    id bigint generated always as identity primary key,
    indicator_id bigint not null references indicators,
    period_start date not null,
    period_end date not null check (period_end >= period_start),
    actual numeric(20, 4) not null,
    narrative text not null default '' check (length(narrative) <= 20000),
    evidence text[] not null default '{}' check (cardinality(evidence) <= 20),
    filed_by bigint references users,
    filed_at timestamptz not null default now(),
    unique (indicator_id, period_end)
);

create trigger progress_reports_append_only before update or delete on progress_reports
    for each row execute function audit_log_append_only();

-- An indicator as it is read: its match's parties, its reports so far, the latest value and
-- how far it has come from the baseline towards the target (1: reached), and when the next
-- report is due (null once the end is reported).
create view indicators_read as
select i.id, i.match_id, i.title, i.description, i.unit, i.baseline, i.baseline_date, i.target, i.start_date,
       i.end_date, i.report_every_months, i.gcm_objective, i.created_by, i.created_at,
       m.status as match_status, n.organisation_id as need_organisation_id,
       o.organisation_id as offer_organisation_id, fo.name as funder, c.region, n.gcm_objectives as need_objectives,
       r.reports, r.last_period_end, r.latest_actual,
       round((r.latest_actual - i.baseline) / (i.target - i.baseline), 4) as progress,
       case when coalesce(r.last_period_end, i.start_date) >= i.end_date then null
            else least((coalesce(r.last_period_end, i.start_date)
                        + make_interval(months => i.report_every_months))::date, i.end_date)
       end as next_report_due
from indicators i
join matches m on m.id = i.match_id
join needs n on n.id = m.need_id
join offers o on o.id = m.offer_id
join organisations fo on fo.id = o.organisation_id
join countries c on c.alpha3 = n.country
cross join lateral (
    select count(*) as reports, max(p.period_end) as last_period_end,
           (array_agg(p.actual order by p.period_end desc))[1] as latest_actual
    from progress_reports p where p.indicator_id = i.id
) as r;

-- migrate:down
drop view indicators_read;
drop table progress_reports;
drop table indicators;
