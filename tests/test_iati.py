"""The IATI export: valid against the official 2.03 activity schema, and the ledger's figures exactly."""

import importlib.util
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from lxml import etree

from matchmaker.settings import Publisher
from tests.test_matches import bring_to, make_pair, propose, step
from tests.test_results import indicator_body, report_body

PUBLISHER = Publisher(ref="XM-TEST-42", name="Test coordination hub", type="40")


@pytest.fixture(scope="session")
def iati_schema() -> etree.XMLSchema:
    """The official schema, from pyIATI's files (``make install`` installs them)."""
    spec = importlib.util.find_spec("iati")  # finds the package without importing it (its dependencies are absent)
    assert spec is not None and spec.submodule_search_locations, \
        "the IATI schemas come with pyIATI: make install (pip install --no-deps pyIATI==0.4.1)"
    schemas = Path(spec.submodule_search_locations[0]) / "resources" / "standard" / "2-03" / "schemas"
    return etree.XMLSchema(etree.parse(str(schemas / "iati-activities-schema.xsd")))


@pytest.fixture
def settings(settings):
    return msgspec.structs.replace(settings, iati_publisher=PUBLISHER)


def _valid(schema: etree.XMLSchema, body: bytes) -> etree._Element:
    document = etree.fromstring(body)
    assert schema.validate(document), schema.error_log
    return document


async def _world(api, db):
    """Matches in every state that is reported, and two that are not; one in kind, one named in a registry."""
    await db.execute("update organisations set external_id = 'XM-NOR-7' where id = $1", api.org("nordic"))
    ids = {state: await bring_to(api, state) for state in ("approved", "disbursed", "completed", "cancelled", "proposed")}
    need, offer = await make_pair(api, need={"sectors": ["15190", "15110", "13010"], "resource_types": ["training"],
                                             "language": "fr", "title": "Formation des agents aux frontières"},
                                  offer={"resource_types": ["training"], "currency": "EUR", "min_amount": 1000})
    match = (await propose(api, need, offer, amount="7500.25", currency="EUR", resource_type="training")).json()
    assert (await step(api, match["id"], "approve", amount="7000.25")).status_code == 200
    ids["in kind"] = match["id"]
    indicator = (await api.post("/api/v1/indicators", as_user="state", json=indicator_body(
        ids["completed"], gcm_objective=23, baseline="12.5"))).json()
    r = await api.post(f"/api/v1/indicators/{indicator['id']}/reports", as_user="state", json=report_body(
        evidence=["https://example.org/attendance.pdf", "https://example.org/photos"]))
    assert r.status_code == 201, r.text
    return ids


async def test_the_file_validates_and_reports_each_funded_match(api, db, iati_schema):
    ids = await _world(api, db)
    r = await api.get("/api/v1/exports/iati-activities.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = _valid(iati_schema, r.content)
    assert root.get("version") == "2.03"
    activities = {a.findtext("iati-identifier"): a for a in root.iter("iati-activity")}
    assert sorted(activities) == sorted(f"XM-TEST-42-match-{ids[s]}" for s in ("approved", "disbursed", "completed", "in kind"))
    one = activities[f"XM-TEST-42-match-{ids['in kind']}"]
    assert one.find("reporting-org").attrib == {"ref": "XM-TEST-42", "type": "40"}
    assert one.findtext("reporting-org/narrative") == "Test coordination hub"
    assert one.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert one.findtext("title/narrative") == "Formation des agents aux frontières"
    funder, state = one.findall("participating-org")
    assert (funder.get("role"), funder.get("ref"), funder.get("type"), funder.findtext("narrative")) == (
        "1", "XM-NOR-7", "10", "Test nordic")
    assert (state.get("role"), state.get("ref"), state.get("type")) == ("4", None, "10")
    assert one.find("recipient-country").get("code") == "SN"
    assert [(s.get("code"), s.get("percentage")) for s in one.findall("sector")] == [
        ("15190", "33.33"), ("15110", "33.33"), ("13010", "33.34")]
    assert [t.get("code") for t in one.findall("tag")] == ["GCM-11", "GCM-1"]
    assert one.findtext("transaction/description/narrative") == "Estimated value of training"
    statuses = {ident: a.find("activity-status").get("code") for ident, a in activities.items()}
    assert statuses[f"XM-TEST-42-match-{ids['completed']}"] == "3"
    assert statuses[f"XM-TEST-42-match-{ids['approved']}"] == "2"
    result = activities[f"XM-TEST-42-match-{ids['completed']}"].find("result")
    assert result.findtext("title/narrative") == "Border officers trained in risk analysis"
    measure = result.find("indicator")
    assert (measure.get("measure"), measure.get("ascending"), measure.find("reference").get("code")) == ("1", "true", "GCM-23")
    assert measure.find("baseline").get("value") == "12.5"
    assert measure.findtext("description/narrative") == "Unit: officers."
    period = measure.find("period")
    assert (period.find("target").get("value"), period.find("actual").get("value")) == ("200", "50")
    assert period.findtext("actual/comment/narrative") == "Two courses held in Dakar."
    assert [(d.get("url"), d.get("format")) for d in period.find("actual").findall("document-link")] == [
        ("https://example.org/attendance.pdf", "application/pdf"), ("https://example.org/photos", "text/html")]
    assert activities[f"XM-TEST-42-match-{ids['approved']}"].find("result") is None
    # A broken file is refused by the same schema: the validation is real.
    del one[1]  # its reporting-org
    assert not iati_schema.validate(root)


async def test_transactions_round_trip_the_ledger(api, db, iati_schema):
    await _world(api, db)
    root = _valid(iati_schema, (await api.get("/api/v1/exports/iati-activities.xml")).content)
    exported = defaultdict(list)
    for activity in root.iter("iati-activity"):
        match_id = int(activity.findtext("iati-identifier").rsplit("-", 1)[1])
        for t in activity.iter("transaction"):
            value = t.find("value")
            exported[match_id].append((t.find("transaction-type").get("code"), Decimal(value.text),
                                       value.get("currency"), value.get("value-date")))
    rows = await db.fetch("select e.match_id, e.kind, e.amount, e.currency, e.rate_date from ledger_entries e "
                          "join matches m on m.id = e.match_id where m.status in ('approved', 'disbursed', 'completed') "
                          "order by e.match_id, e.id")
    ledger = defaultdict(list)
    for r in rows:
        code, sign = {"commitment": ("2", 1), "release": ("2", -1), "disbursement": ("3", 1)}[r["kind"]]
        ledger[r["match_id"]].append((code, sign * r["amount"], r["currency"], r["rate_date"].isoformat()))
    assert exported == ledger
    totals = {code: sum(v for entries in exported.values() for c, v, *_ in entries if c == code) for code in "23"}
    assert totals == {"2": Decimal("157000.25"), "3": Decimal("100000.00")}


async def test_each_organisation_exports_its_own_matches_only(api, db, iati_schema):
    ids = await _world(api, db)
    mine = _valid(iati_schema, (await api.get("/api/v1/exports/iati-activities.xml", as_user="state")).content)
    assert len(mine.findall("iati-activity")) == 4
    await db.execute("update needs set organisation_id = $1 where id = (select need_id from matches where id = $2)",
                     api.org("mexico"), ids["approved"])
    theirs = _valid(iati_schema, (await api.get("/api/v1/exports/iati-activities.xml", as_user="state_b")).content)
    assert [a.findtext("iati-identifier") for a in theirs.iter("iati-activity")] == [f"XM-TEST-42-match-{ids['approved']}"]
    r = await api.get("/api/v1/exports/iati-activities.xml", as_user="donor_b")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


async def test_the_command_writes_the_same_file(dsn, db, api, tmp_path, iati_schema):
    await _world(api, db)
    out = tmp_path / "activities.xml"
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": str(tmp_path), "MATCHMAKER_IATI_ORG_REF": "XM-CLI-1"}
    r = subprocess.run([sys.executable, "-m", "matchmaker.cli", "export", "iati", "-o", str(out)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    root = _valid(iati_schema, out.read_bytes())
    assert len(root.findall("iati-activity")) == 4
    assert {a.find("reporting-org").get("ref") for a in root.iter("iati-activity")} == {"XM-CLI-1"}
