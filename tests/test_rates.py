"""Exchange rates: the ECB's rate of the value date, fixed parities, the labelled indicative
fallback, rates recorded on ledger entries, `rates update` and staleness."""

import io
import logging
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker import rates
from tests.test_cli import _matchmaker
from tests.test_matches import make_pair, propose, step

EXACT = "select units_per_usd::text, source, rate_date from usd_rate_detail($1, $2)"


async def _rate(db, currency, day):
    row = await db.fetchrow(EXACT, currency, day)
    return None if row["source"] is None else (Decimal(row[0]), row[1], row[2])


async def _convert(db, amount, source, target, day):
    return Decimal(await db.fetchval(
        "select round($1::numeric / usd_rate($2, $4) * usd_rate($3, $4), 2)::text", str(amount), source, target, day))


def _ecb_file(days, codes=("USD", "JPY", "GBP")):
    """A file in the ECB's history format, newest day first, for the given {day: [rates]}."""
    lines = ["Date," + ",".join(codes) + ","]
    lines += [f"{day.isoformat()}," + ",".join(values) + "," for day, values in sorted(days.items(), reverse=True)]
    return "\n".join(lines) + "\n"


async def test_a_historical_value_date_converts_at_that_days_ecb_rate(db):
    # The ECB's very first reference rate: 1 EUR = 1.1789 USD on 4 January 1999.
    units, source, day = await _rate(db, "EUR", date(1999, 1, 4))
    assert (source, day) == ("ecb", date(1999, 1, 4))
    assert units == pytest.approx(Decimal(1) / Decimal("1.1789"), abs=Decimal("1e-15"))
    assert await _convert(db, 1000, "EUR", "USD", date(1999, 1, 4)) == Decimal("1178.90")
    # A Saturday takes the Friday's publication; a cross rate goes through the euro.
    units, source, day = await _rate(db, "GBP", date(1999, 1, 9))
    assert (source, day) == ("ecb", date(1999, 1, 8))
    assert units == pytest.approx(Decimal("0.7094") / Decimal("1.1659"), abs=Decimal("1e-15"))
    assert await _convert(db, 1000, "EUR", "USD", date(2024, 1, 2)) == Decimal("1095.60")
    assert await _rate(db, "USD", date(2024, 1, 2)) == (Decimal(1), "usd", date(2024, 1, 2))


async def test_fixed_parities_are_exact(db):
    day = date(2024, 1, 2)
    assert await _convert(db, 655_957, "XOF", "EUR", day) == Decimal("1000.00")
    assert await _convert(db, 1000, "EUR", "XAF", day) == Decimal("655957.00")
    assert await _convert(db, 491_967.75, "KMF", "EUR", day) == Decimal("1000.00")
    assert await _convert(db, 110_265, "CVE", "EUR", day) == Decimal("1000.00")
    assert await _convert(db, 195_583, "BAM", "EUR", day) == Decimal("100000.00")
    units, source, rate_day = await _rate(db, "XOF", day)
    assert (source, rate_day) == ("peg", day)  # through the ECB's euro rate of the day
    assert units == pytest.approx(Decimal("655.957") / Decimal("1.0956"), abs=Decimal("1e-12"))
    assert await _rate(db, "SAR", day) == (Decimal("3.75"), "peg", date(1999, 1, 1))
    assert await _convert(db, 3672.5, "AED", "USD", day) == Decimal("1000.00")
    assert (await _rate(db, "BND", day))[0] == (await _rate(db, "SGD", day))[0]  # at par with the Singapore dollar
    legal = await db.fetchval("select legal_source from rate_pegs where currency = 'XOF'")
    assert "98/683/EC" in legal


async def test_currencies_neither_the_ecb_nor_a_parity_covers_use_the_labelled_indicative_fallback(db):
    units, source, day = await _rate(db, "NGN", date(2026, 1, 15))
    assert (source, day) == ("indicative", date(2025, 1, 2))
    assert units == Decimal(await db.fetchval("select units_per_usd::text from usd_rates where currency = 'NGN'"))
    assert await _rate(db, "NGN", date(2024, 1, 2)) is None  # the fallback starts on its own date
    # A currency the ECB stopped quoting falls through to the fallback, not to its last ECB rate.
    assert (await _rate(db, "RUB", date(2026, 1, 15)))[1] == "indicative"
    assert (await _rate(db, "RUB", date(2021, 6, 1)))[1] == "ecb"


async def test_ledger_entries_record_the_rate_its_source_and_its_day(api, db):
    need, offer = await make_pair(api, need={"amount": 100000, "currency": "EUR"},
                                  offer={"budget": 100000, "currency": "USD", "min_amount": None, "max_amount": None})
    match = (await propose(api, need, offer, amount=6_000_000, currency="XOF")).json()
    r = await step(api, match["id"], "approve")
    assert r.status_code == 200, r.text
    entry = r.json()["ledger"][0]
    today = date.today()
    newest = await db.fetchval("select max(day) from ecb_rates where day <= $1", today)
    assert entry["rate_date"] == today.isoformat()
    assert (entry["rate_source"], entry["rate_source_date"]) == ("peg", newest.isoformat())
    units = Decimal(await db.fetchval("select units_per_usd::text from ledger_entries where id = $1", entry["id"]))
    assert units == (await _rate(db, "XOF", today))[0].quantize(Decimal("1e-12"))
    assert entry["units_per_usd"] == pytest.approx(float(units))
    assert Decimal(str(entry["usd_value"])) == (Decimal(6_000_000) / units).quantize(Decimal("0.01"))


def _zip(name, text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


async def test_rates_update_adds_newer_days_and_a_bad_file_changes_nothing(dsn, db, tmp_path):
    today = date.today()
    await db.execute("delete from ecb_rates where day >= $1", today - timedelta(days=3))
    before = await db.fetchval("select count(*) from ecb_rates")
    # The ECB's daily file: "Date, USD, ..." with the day written out.
    daily = tmp_path / "eurofxref.csv"
    daily.write_text(f"Date, USD, JPY, GBP, \n{today.day} {today:%B %Y}, 1.2000, 180.00, 0.8500, \n")
    r = _matchmaker(dsn, tmp_path, "rates", "update", str(daily))
    assert r.returncode == 0, r.stderr
    assert f"1 new day(s), 3 currency(ies); newest ECB day {today.isoformat()}" in r.stdout
    units, source, day = await _rate(db, "EUR", today)
    assert (source, day) == ("ecb", today) and units == pytest.approx(Decimal(1) / Decimal("1.2"), abs=Decimal("1e-15"))
    # A history zip adds the day before; the day it repeats is left as it was.
    yesterday = today - timedelta(days=1)
    history = tmp_path / "eurofxref-hist.zip"
    history.write_bytes(_zip("eurofxref-hist.csv", _ecb_file(
        {today: ["1.3000", "190.0", "N/A"], yesterday: ["1.1900", "N/A", "0.8400"]})))
    r = _matchmaker(dsn, tmp_path, "rates", "update", str(history))
    assert r.returncode == 0, r.stderr
    assert "added 2 rate(s): 1 new day(s), 2 currency(ies)" in r.stdout
    assert await db.fetchval("select count(*) from ecb_rates") == before + 2
    assert (await _rate(db, "EUR", today))[0] == units

    earlier = [yesterday - timedelta(days=n) for n in (1, 2)]
    bad_files = {  # each has a good day too: nothing of a bad file is loaded
        "bad_rate.csv": _ecb_file({earlier[0]: ["1.1", "1.2", "0.8"], earlier[1]: ["1.1", "1.2", "x"]}),
        "no_usd.csv": _ecb_file({earlier[0]: ["1.1", "1.2", "0.8"], earlier[1]: ["N/A", "1.2", "0.8"]}),
        "future.csv": _ecb_file({earlier[0]: ["1.1", "1.2", "0.8"], today + timedelta(days=1): ["1.1", "1.2", "0.8"]}),
        "not_ecb.csv": "name,value\na,1\n",
        "broken.zip": "PK\x03\x04 not really a zip",
    }
    for name, text in bad_files.items():
        (tmp_path / name).write_text(text)
        r = _matchmaker(dsn, tmp_path, "rates", "update", str(tmp_path / name))
        assert r.returncode != 0, name
        assert r.stderr.startswith(f"error: {name}") and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.stderr
    assert await db.fetchval("select count(*) from ecb_rates") == before + 2  # nothing from any bad file


async def test_a_bad_line_is_named_and_the_file_is_refused_whole():
    text = _ecb_file({date(2020, 1, 3): ["1.1", "120", "0.85"], date(2020, 1, 2): ["1.1", "-3", "0.85"]})
    with pytest.raises(rates.RatesFileError, match=r"line 3: rate '-3' is not a positive decimal number"):
        rates.parse_ecb_csv(text, "x.csv")
    with pytest.raises(rates.RatesFileError, match="2020-01-03 is given twice"):
        rates.parse_ecb_csv(_ecb_file({date(2020, 1, 3): ["1.1", "1", "1"]}) + "2020-01-03,1.1,1,1,\n", "x.csv")


async def test_stale_rates_are_reported_by_health_the_log_and_rates_status(api, db, dsn, tmp_path, caplog):
    today = date.today()
    await db.execute("delete from ecb_rates where day > $1", today - timedelta(days=30))
    newest = await db.fetchval("select max(day) from ecb_rates")
    body = (await api.get("/health", as_user=None)).json()
    assert (body["status"], body["rates_date"], body["rates_stale"]) == ("ok", newest.isoformat(), True)
    r = _matchmaker(dsn, tmp_path, "rates", "status")
    assert r.returncode == 0, r.stderr
    lines = [line.split() for line in r.stdout.splitlines()]
    assert ["ecb", newest.isoformat()] in [line[:2] for line in lines]
    assert ["indicative", "2025-01-02"] in [line[:2] for line in lines]
    assert "official rates: stale" in r.stdout

    need, offer = await make_pair(api, need={"amount": 100000, "currency": "EUR"})
    match = (await propose(api, need, offer, amount=20_000, currency="EUR")).json()
    with caplog.at_level(logging.WARNING, logger="matchmaker.rates"):
        assert (await step(api, match["id"], "approve")).status_code == 200
    assert f"the newest official (ECB) rate is of {newest.isoformat()}" in caplog.text

    fresh = tmp_path / "eurofxref.csv"
    fresh.write_text(f"Date, USD, \n{today.day} {today:%B %Y}, 1.1, \n")
    assert _matchmaker(dsn, tmp_path, "rates", "update", str(fresh)).returncode == 0
    body = (await api.get("/health", as_user=None)).json()
    assert (body["rates_date"], body["rates_stale"]) == (today.isoformat(), False)
    assert "official rates: current (0 day(s) old" in _matchmaker(dsn, tmp_path, "rates", "status").stdout
