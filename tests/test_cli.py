"""The command line as an operator meets it: demo accounts stay out of real databases,
passwords stay out of the shell's history, organisations are named by their keys."""

import os
import subprocess
import sys

from matchmaker.history import check_history_file
from matchmaker.settings import PROJECT_ROOT
from tests.conftest import PASSWORD

SHARED_BENCH = PROJECT_ROOT.parent / "shared" / "bench"


def _matchmaker(dsn, tmp_path, *args, stdin=""):
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "matchmaker.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


async def test_demo_accounts_are_not_loaded_into_a_database_of_ones_own_unless_asked(dsn, db, tmp_path):
    r = _matchmaker(dsn, tmp_path, "seed")
    assert r.returncode != 0 and "published passwords" in r.stderr
    assert await db.fetchval("select count(*) from users where email like '%@matchmaker.example'") == 0


async def test_users_are_created_with_a_password_from_standard_input_and_an_organisation_key(dsn, db, tmp_path, world):
    await db.execute("update organisations set external_id = 'sen-test' where id = $1", world["organisations"]["senegal"])
    r = _matchmaker(dsn, tmp_path, "users", "create", "--email", "new@test.example", "--role", "state",
                    "--organisation", "sen-test", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout
    row = await db.fetchrow("select role, organisation_id from users where email = 'new@test.example'")
    assert (row["role"], row["organisation_id"]) == ("state", world["organisations"]["senegal"])
    r = _matchmaker(dsn, tmp_path, "users", "create", "--email", "other@test.example", "--role", "state",
                    "--organisation", "nowhere", stdin=PASSWORD + "\n")
    assert r.returncode != 0 and "nowhere" in r.stderr


async def test_a_history_file_with_bad_rows_is_refused_whole_with_each_row_named(dsn, db, tmp_path):
    bad = tmp_path / "history.csv"
    bad.write_text("record_id,funder_id,funder_name,recipient_iso3,title,amount_usd,year\n"
                   "r1,F1,Fund,SEN,Border posts,1000,2020\n"
                   "r2,F1,Fund,ZZZ,Border posts,abc,20x4\n")
    r = _matchmaker(dsn, tmp_path, "import-history", str(bad))
    assert r.returncode != 0
    for expected in ("nothing was imported", "line 3: recipient_iso3 'ZZZ'", "amount_usd 'abc'", "year '20x4'"):
        assert expected in r.stderr, r.stderr
    assert await db.fetchval("select count(*) from funding_records") == 0
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,value\na,1\n")
    r = _matchmaker(dsn, tmp_path, "import-history", str(wrong))
    assert r.returncode != 0 and "lacks the column(s) record_id, funder_id, title" in r.stderr


async def test_a_missing_file_is_one_line_not_a_traceback(dsn, tmp_path):
    for args in (("import-history", "nowhere.csv"), ("evaluate", "--train", "nowhere.csv", "--test", "x.csv")):
        r = _matchmaker(dsn, tmp_path, *args)
        assert r.returncode != 0 and "Traceback" not in r.stderr and "nowhere.csv" in r.stderr, r.stderr


def test_the_fields_real_exports_pass_the_checks():
    for path in (PROJECT_ROOT / "seed" / "history.csv", *SHARED_BENCH.glob("*/train.csv")):
        check_history_file(path)  # IATI-derived and FTS-derived formats, negative amounts included


async def test_users_and_organisations_are_listed_with_their_keys(dsn, db, tmp_path, world):
    await db.execute("update organisations set external_id = 'sen-test' where id = $1", world["organisations"]["senegal"])
    r = _matchmaker(dsn, tmp_path, "organisations", "list")
    assert r.returncode == 0 and "sen-test" in r.stdout and "Test senegal" in r.stdout
    r = _matchmaker(dsn, tmp_path, "users", "list")
    assert r.returncode == 0 and "state@test.example" in r.stdout and "Test senegal (sen-test)" in r.stdout
