"""Funding rounds from the command line: create, solve (summary printed), show, commit, export."""

import csv
import io

from tests.factories import need_body, offer_body
from tests.test_cli import _matchmaker


async def test_a_round_run_from_the_command_line(dsn, db, tmp_path, api):
    for country, amount in (("SEN", 40_000), ("MEX", 30_000)):
        r = await api.post("/api/v1/needs", as_user="state" if country == "SEN" else "state_b",
                           json=need_body(country=country, amount=amount, currency="USD"))
        assert r.status_code == 201, r.text
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        budget=50_000, min_amount=None, max_amount=None, regions=["Africa", "Americas"]))).json()

    r = _matchmaker(dsn, tmp_path, "rounds", "create", "--as", "coordinator@test.example", "--name", "Pilot call",
                    "--opens", "2027-01-01", "--closes", "2027-02-01", "--offers", str(offer["id"]),
                    "--rules", '{"objectives": {"11": {"min": 0.5}}, "regions": {"Africa": {"max": 0.5}, "Americas": {"max": 0.5}}}')
    assert r.returncode == 0, r.stderr
    assert "created round" in r.stdout
    r = _matchmaker(dsn, tmp_path, "rounds", "solve", "Pilot call", "--as", "state@test.example")
    assert r.returncode != 0 and "coordinators" in r.stderr
    r = _matchmaker(dsn, tmp_path, "rounds", "solve", "Pilot call", "--as", "coordinator@test.example", "--time-limit", "5")
    assert r.returncode == 0, r.stderr
    assert "optimal" in r.stdout and "greedy: value" in r.stdout and "Americas" in r.stdout
    # Greedy funds the best-scored need whole first: more than half goes to its region.
    assert "greedy breaks region_max" in r.stdout
    assert r.stderr == ""  # no progress bars when standard error is not a terminal

    r = _matchmaker(dsn, tmp_path, "rounds", "list")
    assert r.returncode == 0 and "Pilot call" in r.stdout and "draft" in r.stdout
    r = _matchmaker(dsn, tmp_path, "rounds", "commit", "Pilot call", "--as", "coordinator@test.example",
                    "--reason", "pilot")
    assert r.returncode == 0, r.stderr
    r = _matchmaker(dsn, tmp_path, "rounds", "export", "Pilot call")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    americas = sum(float(row["amount_usd"]) for row in rows if row["region"] == "Americas")
    assert [round(float(row["amount_usd"])) for row in rows] == [25_000, 25_000] and americas == 25_000
    assert await db.fetchval("select count(*) from matches where status = 'approved'") == len(rows)
    r = _matchmaker(dsn, tmp_path, "rounds", "show", "Pilot call")
    assert r.returncode == 0 and "committed" in r.stdout
