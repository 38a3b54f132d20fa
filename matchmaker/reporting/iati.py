"""What was funded, as open data: an IATI 2.03 ``iati-activities`` file, one activity per
approved, disbursed or completed match.

Each activity names the publisher (``reporting-org``, from the settings), the funder
(participating role 1, Funding) and the state (role 4, Implementing) with their IATI
organisation identifiers where known, the recipient country, the DAC sectors (the need's,
else the offer's, else 15190, migration) and the GCM objectives (as tags), and every ledger
entry as a transaction in the match's currency with its value date: a commitment is an
outgoing commitment (2), a release the same, negative, and a disbursement a disbursement (3).
Each indicator of the match is a result, its progress reports the result's periods (the
value at the period's end, the narrative, links to the evidence).
"""

from __future__ import annotations

import mimetypes
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from matchmaker.db.queries import fetch_all
from matchmaker.errors import NotFound
from matchmaker.reporting.queries import reporting_sql
from matchmaker.settings import Publisher
from matchmaker.vocabulary import gcm_objectives

VERSION = "2.03"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MIGRATION_SECTOR = "15190"  # DAC: facilitation of orderly, safe, regular and responsible migration and mobility
# IATI OrganisationType codes of our kinds of organisation.
ORGANISATION_TYPES = {
    "state_agency": "10", "local_authority": "11", "bilateral_donor": "10", "multilateral": "40",
    "un_agency": "40", "foundation": "60", "private_sector": "70", "diaspora_organisation": "22",
    "individual": "90", "civil_society": "22",
}
# IATI ActivityStatus: implementation (2) until the match is completed, then finalisation (3).
ACTIVITY_STATUS = {"approved": "2", "disbursed": "2", "completed": "3"}
# IATI TransactionType of each kind of ledger entry, and the sign of its value.
TRANSACTIONS = {"commitment": ("2", 1), "release": ("2", -1), "disbursement": ("3", 1)}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _narrative(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = _sub(parent, tag, **attributes)
    _sub(element, "narrative", text)
    return element


def _organisation(parent: ET.Element, tag: str, name: str, kind: str, ref: str | None, **attributes: str) -> None:
    extra = {"ref": ref} if ref else {}
    _narrative(parent, tag, name, **extra, type=ORGANISATION_TYPES[kind], **attributes)


def _shares(count: int) -> list[Decimal]:
    """Percentages to two places adding up to exactly 100."""
    share = (Decimal(100) / count).quantize(Decimal("0.01"))
    return [share] * (count - 1) + [Decimal(100) - share * (count - 1)]


def _transaction(activity: ET.Element, match: asyncpg.Record, entry: asyncpg.Record) -> None:
    code, sign = TRANSACTIONS[entry["kind"]]
    transaction = _sub(activity, "transaction")
    _sub(transaction, "transaction-type", code=code)
    _sub(transaction, "transaction-date", iso_date=entry["created_at"].date().isoformat())
    _sub(transaction, "value", str(sign * entry["amount"]), currency=entry["currency"],
         value_date=entry["rate_date"].isoformat())
    if match["resource_type"] != "financial":
        _narrative(transaction, "description", f"Estimated value of {match['resource_type'].replace('_', ' ')}")
    _organisation(transaction, "provider-org", match["offer_organisation"], match["offer_organisation_kind"],
                  match["offer_organisation_ref"])
    _organisation(transaction, "receiver-org", match["need_organisation"], match["need_organisation_kind"],
                  match["need_organisation_ref"])


def _number(value: Decimal) -> str:
    """A measured value without the trailing zeros of its column (``50``, ``12.5``)."""
    return f"{value.normalize():f}"


def _evidence(parent: ET.Element, url: str, filed: datetime) -> None:
    link = _sub(parent, "document-link", url=url, format=mimetypes.guess_type(url)[0] or "text/html")
    _narrative(link, "title", "Evidence")
    _sub(link, "category", code="A08")  # DocumentCategory: results, outcomes and outputs
    _sub(link, "document-date", iso_date=filed.date().isoformat())


def _result(activity: ET.Element, indicator: asyncpg.Record, reports: list[asyncpg.Record]) -> None:
    # ResultType 9 (other): an indicator does not say whether it measures an output or an outcome.
    result = _sub(activity, "result", type="9")
    _narrative(result, "title", indicator["title"])
    measure = _sub(result, "indicator", measure="1", ascending="true" if indicator["target"] > indicator["baseline"] else "false")
    _narrative(measure, "title", indicator["title"])
    _narrative(measure, "description", " ".join(filter(None, (indicator["description"], f"Unit: {indicator['unit']}."))))
    if indicator["gcm_objective"] is not None:
        _sub(measure, "reference", vocabulary="99", code=f"GCM-{indicator['gcm_objective']}")
    baseline_day = indicator["baseline_date"] or indicator["start_date"]
    _sub(measure, "baseline", year=str(baseline_day.year), iso_date=baseline_day.isoformat(),
         value=_number(indicator["baseline"]))
    for report in reports:
        period = _sub(measure, "period")
        _sub(period, "period-start", iso_date=report["period_start"].isoformat())
        _sub(period, "period-end", iso_date=report["period_end"].isoformat())
        _sub(period, "target", value=_number(indicator["target"]))
        actual = _sub(period, "actual", value=_number(report["actual"]))
        if report["narrative"]:
            _narrative(actual, "comment", report["narrative"])
        for url in report["evidence"]:
            _evidence(actual, url, report["filed_at"])


def _activity(root: ET.Element, publisher: Publisher, match: asyncpg.Record, entries: list[asyncpg.Record],
              indicators: list[asyncpg.Record], reports: dict[int, list[asyncpg.Record]]) -> None:
    activity = _sub(root, "iati-activity", last_updated_datetime=match["updated_at"].isoformat(),
                    default_currency=match["currency"])
    activity.set(LANG, match["language"])
    _sub(activity, "iati-identifier", activity_identifier(publisher, match["id"]))
    _narrative(activity, "reporting-org", publisher.name, ref=publisher.ref, type=publisher.type)
    _narrative(activity, "title", match["need_title"])
    _narrative(activity, "description", match["need_description"] or match["need_title"], type="1")
    _organisation(activity, "participating-org", match["offer_organisation"], match["offer_organisation_kind"],
                  match["offer_organisation_ref"], role="1")
    _organisation(activity, "participating-org", match["need_organisation"], match["need_organisation_kind"],
                  match["need_organisation_ref"], role="4")
    _sub(activity, "activity-status", code=ACTIVITY_STATUS[match["status"]])
    if match["approved_at"] is not None:
        _sub(activity, "activity-date", type="2", iso_date=match["approved_at"].date().isoformat())
    if match["deadline"] is not None:
        _sub(activity, "activity-date", type="3", iso_date=match["deadline"].isoformat())
    if match["status"] == "completed":
        _sub(activity, "activity-date", type="4", iso_date=match["updated_at"].date().isoformat())
    _sub(activity, "recipient-country", code=match["country_alpha2"], percentage="100")
    sectors = match["sectors"] or [MIGRATION_SECTOR]
    for code, share in zip(sectors, _shares(len(sectors))):
        _sub(activity, "sector", vocabulary="1", code=code, percentage=str(share))
    titles = gcm_objectives()
    for objective in match["gcm_objectives"]:
        # Tag vocabulary 99: the reporting organisation's own, here the objectives of the Global Compact for Migration.
        _narrative(activity, "tag", f"GCM objective {objective}: {titles[objective]}", vocabulary="99",
                   code=f"GCM-{objective}")
    for entry in entries:
        _transaction(activity, match, entry)
    for indicator in indicators:
        _result(activity, indicator, reports[indicator["id"]])


def activity_identifier(publisher: Publisher, match_id: int) -> str:
    return f"{publisher.ref}-match-{match_id}"


async def iati_activities(conn: asyncpg.Connection, publisher: Publisher, organisation_id: int | None,
                          generated: datetime) -> bytes:
    """The IATI file of the matches an organisation is part of (``None``: every match);
    ``NotFound`` when there is none."""
    matches = await fetch_all(reporting_sql.iati_activities(conn, organisation_id=organisation_id))
    if not matches:  # the standard wants at least one activity in a file
        raise NotFound("no approved, disbursed or completed match to report")
    match_ids = [m["id"] for m in matches]
    entries: dict[int, list[Any]] = defaultdict(list)
    for entry in await fetch_all(reporting_sql.iati_transactions(conn, match_ids=match_ids)):
        entries[entry["match_id"]].append(entry)
    indicators: dict[int, list[Any]] = defaultdict(list)
    for indicator in await fetch_all(reporting_sql.iati_indicators(conn, match_ids=match_ids)):
        indicators[indicator["match_id"]].append(indicator)
    reports: dict[int, list[Any]] = defaultdict(list)
    for report in await fetch_all(reporting_sql.iati_reports(conn, match_ids=match_ids)):
        reports[report["indicator_id"]].append(report)
    root = ET.Element("iati-activities", {"version": VERSION, "generated-datetime": generated.isoformat(timespec="seconds")})
    for match in matches:
        _activity(root, publisher, match, entries[match["id"]], indicators[match["id"]], reports)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
