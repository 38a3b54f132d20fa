"""Lists as CSV: the same rows and columns as the JSON, every page of them, streamed."""

import csv
import io
import json
from decimal import Decimal

import pytest

from matchmaker.web import tables
from tests.factories import need_body, offer_body
from tests.test_matches import bring_to, make_pair, propose, step


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)


async def _json_items(api, url, as_user="coordinator", **params):
    """Every item of a list, page by page, with amounts read as exact decimals."""
    items, cursor = [], None
    while True:
        r = await api.get(url, as_user=as_user, params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = json.loads(r.text, parse_float=Decimal)
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def _csv_rows(api, url, as_user="coordinator", **params):
    r = await api.get(url, as_user=as_user, params={**params, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(r.text))
    return reader.fieldnames, list(reader)


def _assert_same(header, rows, items, optional=()):
    assert len(rows) == len(items) > 0
    assert [c for c in header if c not in optional] == [k for k in items[0] if k not in optional]
    for row, item in zip(rows, items, strict=True):
        assert {k: row[k] for k in item} == {k: _cell(v) for k, v in item.items()}
        assert all(row[k] == "" for k in header if k not in item)


@pytest.fixture
def small_batches(monkeypatch):
    """Streams fetch two rows at a time: a few items cross several batches."""
    monkeypatch.setattr(tables, "BATCH", 2)


async def test_needs_and_offers_as_csv_equal_their_json_across_batches(api, small_batches):
    for i in range(5):
        r = await api.post("/api/v1/needs", as_user="state", json=need_body(
            title=f"Border data, \"phase\" {i}", description="Line one;\nline two, with a comma", amount=f"1000{i}.50"))
        assert r.status_code == 201, r.text
        assert (await api.post("/api/v1/offers", as_user="donor", json=offer_body(title=f"Offer {i}"))).status_code == 201
    for url in ("/api/v1/needs", "/api/v1/offers"):
        header, rows = await _csv_rows(api, url)
        _assert_same(header, rows, await _json_items(api, url), optional=("relevance",))
    header, rows = await _csv_rows(api, "/api/v1/needs", q="border")
    items = await _json_items(api, "/api/v1/needs", q="border")
    _assert_same(header, rows, items)
    assert rows[0]["description"] == "Line one;\nline two, with a comma"
    assert rows[0]["amount"] == "10004.50"
    assert rows[0]["gcm_objectives"] == "11;1"


async def test_accept_header_asks_for_csv_and_json_stays_the_default(api):
    await api.post("/api/v1/needs", as_user="state", json=need_body())
    r = await api.get("/api/v1/needs", headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("id,organisation_id,")
    assert 'filename="needs.csv"' in r.headers["content-disposition"]
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/json, text/csv;q=0.5"}):
        r = await api.get("/api/v1/needs", headers=accept)
        assert r.headers["content-type"].startswith("application/json"), accept
    r = await api.get("/api/v1/needs", params={"format": "json"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("application/json")


async def test_a_bad_filter_is_a_problem_not_a_broken_stream(api):
    r = await api.get("/api/v1/needs", params={"format": "csv", "country": "ZZZ"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "country"
    r = await api.get("/api/v1/matches", params={"format": "csv", "cursor": "nonsense"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"


async def test_matches_and_the_ledger_as_csv_equal_their_json_and_stay_private(api, small_batches):
    for state in ("approved", "disbursed", "cancelled", "proposed"):
        await bring_to(api, state)
    for url in ("/api/v1/matches", "/api/v1/ledger"):
        header, rows = await _csv_rows(api, url)
        _assert_same(header, rows, await _json_items(api, url))
    kinds = [row["kind"] for row in (await _csv_rows(api, "/api/v1/ledger"))[1]]
    assert sorted(kinds) == ["commitment", "commitment", "commitment", "disbursement", "release"]
    assert len((await _csv_rows(api, "/api/v1/ledger", kind="release"))[1]) == 1
    assert len(await _json_items(api, "/api/v1/ledger", as_user="state")) == 5
    r = await api.get("/api/v1/ledger", as_user="donor_b", params={"format": "csv"})
    assert r.status_code == 200 and r.text.count("\n") == 1  # the header alone: none of its matches


async def test_ledger_lists_one_matchs_entries_with_the_amounts_of_its_detail(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer, amount="12345.67")).json()
    assert (await step(api, match["id"], "approve")).status_code == 200
    assert (await step(api, match["id"], "disburse")).status_code == 200
    detail = json.loads((await api.get(f"/api/v1/matches/{match['id']}")).text, parse_float=Decimal)
    listed = await _json_items(api, "/api/v1/ledger", match_id=match["id"])
    assert [e["id"] for e in listed] == [e["id"] for e in reversed(detail["ledger"])]
    assert all(e["amount"] == Decimal("12345.67") and e["match_id"] == match["id"] for e in listed)


async def test_funding_gaps_as_csv_equal_their_json(api):
    await api.post("/api/v1/needs", as_user="state", json=need_body())
    await api.post("/api/v1/needs", as_user="state_b", json=need_body(country="MEX", gcm_objectives=[3]))
    for by in ("gcm_objective", "region"):
        r = await api.get("/api/v1/stats/funding-gaps", params={"by": by})
        items = json.loads(r.text, parse_float=Decimal)["items"]
        header, rows = await _csv_rows(api, "/api/v1/stats/funding-gaps", by=by)
        _assert_same(header, rows, items)
