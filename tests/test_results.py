"""Results of funded matches: indicators, progress reports, overdue ones, the portfolio."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.test_matches import bring_to
from tests.test_tables import _assert_same, _csv_rows, _json_items

TODAY = date.today()


def indicator_body(match_id, **overrides):
    body = {"match_id": match_id, "title": "Border officers trained in risk analysis", "unit": "officers",
            "baseline": 0, "target": 200, "start_date": (TODAY - timedelta(days=400)).isoformat(),
            "end_date": (TODAY + timedelta(days=400)).isoformat(), "report_every_months": 3}
    return {**body, **overrides}


def report_body(**overrides):
    body = {"period_start": (TODAY - timedelta(days=400)).isoformat(), "period_end": (TODAY - timedelta(days=1)).isoformat(),
            "actual": "50", "narrative": "Two courses held in Dakar.", "evidence": ["https://example.org/attendance.pdf"]}
    return {**body, **overrides}


async def _define(api, match_id, as_user="state", **overrides):
    r = await api.post("/api/v1/indicators", as_user=as_user, json=indicator_body(match_id, **overrides))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(("user", "status"), [
    ("state", 201), ("coordinator", 201), ("donor", 403), ("state_b", 422), ("donor_b", 422)])
async def test_the_state_whose_need_it_is_or_a_coordinator_defines_indicators(api, user, status):
    match_id = await bring_to(api, "approved")
    r = await api.post("/api/v1/indicators", as_user=user, json=indicator_body(match_id))
    assert r.status_code == status, r.text
    if status == 422:  # another organisation's match does not exist for it
        assert r.json()["errors"][0]["field"] == "match_id"


async def test_indicators_follow_funded_matches_only_and_every_broken_rule_is_named(api):
    r = await api.post("/api/v1/indicators", as_user="state", json=indicator_body(await bring_to(api, "proposed")))
    assert r.status_code == 409 and r.json()["current_status"] == "proposed"
    match_id = await bring_to(api, "completed")
    r = await api.post("/api/v1/indicators", as_user="state", json=indicator_body(
        match_id, baseline="10.12345", target=10.12345, end_date=indicator_body(0)["start_date"]))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["baseline", "target", "target", "end_date"]
    r = await api.post("/api/v1/indicators", as_user="state", json=indicator_body(match_id, target=-5, report_every_months=2))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"report_every_months"}


async def test_reports_are_filed_once_per_ended_period_and_read_by_both_sides(api, db):
    indicator = await _define(api, await bring_to(api, "disbursed"))
    url = f"/api/v1/indicators/{indicator['id']}/reports"
    future = report_body(period_end=(TODAY + timedelta(days=5)).isoformat())
    r = await api.post(url, as_user="state", json=future)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period_end"
    r = await api.post(url, as_user="state", json=report_body(evidence=["file:///etc/passwd"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "evidence[0]"
    assert (await api.post(url, as_user="donor", json=report_body())).status_code == 403
    r = await api.post(url, as_user="state", json=report_body())
    assert r.status_code == 201, r.text
    assert (r.json()["actual"], r.json()["evidence"]) == (50, ["https://example.org/attendance.pdf"])
    assert (await api.post(url, as_user="state", json=report_body(actual=60))).status_code == 409
    for reader in ("donor", "coordinator", "state"):
        read = json.loads((await api.get(f"/api/v1/indicators/{indicator['id']}", as_user=reader)).text, parse_float=Decimal)
        assert (read["reports"], read["latest_actual"], read["progress"]) == (1, 50, Decimal("0.25"))
        assert read["history"][0]["narrative"] == "Two courses held in Dakar."
    assert (await api.get(f"/api/v1/indicators/{indicator['id']}", as_user="donor_b")).status_code == 404
    # The donor's feed tells it too.
    actions = await db.fetch("select action from audit_log where entity = 'match' and $1 = any(organisation_ids) "
                             "and action in ('indicator_defined', 'progress_reported') order by id", api.org("nordic"))
    assert [a["action"] for a in actions] == ["indicator_defined", "progress_reported"]


async def test_overdue_reports_are_flagged_until_filed(api):
    match_id = await bring_to(api, "approved")
    late = await _define(api, match_id)  # started 400 days ago, a report every 3 months, none filed
    fresh = await _define(api, match_id, start_date=TODAY.isoformat(), title="Cases processed within 30 days")
    assert late["overdue"] is True and date.fromisoformat(late["next_report_due"]) < TODAY
    assert fresh["overdue"] is False and date.fromisoformat(fresh["next_report_due"]) > TODAY
    overdue = (await api.get("/api/v1/indicators", params={"overdue": "true"}, as_user="donor")).json()["items"]
    assert [i["id"] for i in overdue] == [late["id"]]
    r = await api.post(f"/api/v1/indicators/{late['id']}/reports", as_user="state", json=report_body())
    assert r.status_code == 201
    late = (await api.get(f"/api/v1/indicators/{late['id']}")).json()
    assert late["overdue"] is False and date.fromisoformat(late["next_report_due"]) > TODAY
    assert (await api.get("/api/v1/indicators", params={"overdue": "true"})).json()["items"] == []
    ended = await _define(api, match_id, start_date=(TODAY - timedelta(days=30)).isoformat(),
                          end_date=(TODAY - timedelta(days=2)).isoformat(), report_every_months=12)
    assert ended["overdue"] is True and ended["next_report_due"] == (TODAY - timedelta(days=2)).isoformat()
    r = await api.post(f"/api/v1/indicators/{ended['id']}/reports", as_user="coordinator", json=report_body(
        period_start=(TODAY - timedelta(days=30)).isoformat(), period_end=(TODAY - timedelta(days=2)).isoformat()))
    assert r.status_code == 201, r.text
    ended = (await api.get(f"/api/v1/indicators/{ended['id']}")).json()
    assert (ended["overdue"], ended["next_report_due"]) == (False, None)  # all reported


async def test_the_portfolio_sums_progress_by_objective_region_and_funder(api):
    first, second = await bring_to(api, "approved"), await bring_to(api, "completed")
    a = await _define(api, first, gcm_objective=23)
    b = await _define(api, second, baseline=100, target=50, unit="days")  # under its need's objectives: 11 and 1
    await _define(api, second, start_date=TODAY.isoformat())
    await api.post(f"/api/v1/indicators/{a['id']}/reports", as_user="state", json=report_body(actual=300))  # beyond: 1
    await api.post(f"/api/v1/indicators/{b['id']}/reports", as_user="state", json=report_body(actual=90))  # 0.2

    async def rows(by, as_user="coordinator"):
        r = await api.get("/api/v1/results/portfolio", params={"by": by}, as_user=as_user)
        assert r.status_code == 200, r.text
        return {row["key"]: row for row in json.loads(r.text, parse_float=Decimal)["items"]}

    objectives = await rows("gcm_objective")
    assert list(objectives) == [1, 11, 23]
    assert {k: (r["matches"], r["indicators"], r["reported"], r["overdue"], r["mean_progress"]) for k, r in objectives.items()} == {
        1: (1, 2, 1, 0, Decimal("0.2")), 11: (1, 2, 1, 0, Decimal("0.2")), 23: (1, 1, 1, 0, Decimal("1"))}
    assert objectives[23]["label"].startswith("23. ")
    region = (await rows("region"))["Africa"]
    assert (region["indicators"], region["mean_progress"]) == (3, Decimal("0.6"))
    funders = await rows("funder")
    assert [(r["label"], r["matches"]) for r in funders.values()] == [("Test nordic", 2)]
    assert await rows("region", as_user="donor_b") == {}
    header, csv_rows = await _csv_rows(api, "/api/v1/results/portfolio", by="gcm_objective")
    _assert_same(header, csv_rows, list(objectives.values()))


async def test_indicators_as_csv_equal_their_json(api):
    match_id = await bring_to(api, "approved")
    for i in range(4):
        await _define(api, match_id, title=f"Indicator number {i}", gcm_objective=i + 1)
    header, rows = await _csv_rows(api, "/api/v1/indicators")
    _assert_same(header, rows, await _json_items(api, "/api/v1/indicators"))
