"""The command line as an operator meets it: demo accounts stay out of real databases,
passwords stay out of the shell's history, organisations are named by their keys, a second
seed or import has nothing to do, and progress is drawn on a terminal only, never on stdout."""

import csv
import os
import pty
import shutil
import subprocess
import sys
import threading

from matchmaker.history import check_history_file, import_history
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



ROW_COUNTS = """
select (select count(*) from organisations) as organisations, (select count(*) from users) as users,
       (select count(*) from needs) as needs, (select count(*) from offers) as offers,
       (select count(*) from audit_log) as audit_log, (select count(*) from funding_records) as funding_records,
       (select count(*) from history_imports) as history_imports
"""


async def _row_counts(db) -> dict[str, int]:
    return dict(await db.fetchrow(ROW_COUNTS))


async def test_a_second_seed_and_import_have_nothing_to_do_change_nothing_and_say_so(dsn, db, tmp_path):
    history = PROJECT_ROOT / "seed" / "history.csv"
    r = _matchmaker(dsn, tmp_path, "seed", "--allow-external-database")
    assert r.returncode == 0 and "56 new needs" in r.stdout, r.stderr
    r = _matchmaker(dsn, tmp_path, "import-history", str(history))
    assert r.returncode == 0 and "248 new" in r.stdout, r.stderr
    before = await _row_counts(db)
    r = _matchmaker(dsn, tmp_path, "seed", "--allow-external-database")
    assert (r.returncode, r.stdout, r.stderr) == (0, "demo data: already loaded, nothing to do\n", "")
    copy = tmp_path / "same-content.csv"  # recognised by its content, whatever its name
    shutil.copy(history, copy)
    for path in (history, copy):
        r = _matchmaker(dsn, tmp_path, "import-history", str(path))
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert r.stdout.count("\n") == 1 and r.stdout.rstrip().endswith("nothing to do"), r.stdout
    assert await _row_counts(db) == before
    grown = tmp_path / "grown.csv"  # other content: only its new rows are stored
    grown.write_text(history.read_text(encoding="utf-8")
                     + "new-1,che-migration-partnerships,Switzerland,,SEN,,,Border posts,,en,1000,2024\n", encoding="utf-8")
    r = _matchmaker(dsn, tmp_path, "import-history", str(grown))
    assert r.returncode == 0 and ": 1 new;" in r.stdout, r.stdout + r.stderr


def _drain(fd: int, into: list[bytes]) -> None:
    """Read a terminal until its other end closes (a full terminal would block the writer)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed
            return
        if not chunk:
            return
        into.append(chunk)


async def test_progress_is_drawn_on_a_terminal_and_standard_output_stays_the_same(dsn, tmp_path):
    terminal, stderr = pty.openpty()  # standard error a terminal, standard output piped
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": str(tmp_path), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "import-history", "seed/history.csv"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    os.close(stderr)
    drawn: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(terminal, drawn))
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(terminal)
    assert proc.returncode == 0
    assert out == ("read 248 records from seed/history.csv: 248 new; 248 records of 12 funders in all, "
                   "0 linked to 0 registered organisations\n"), out
    assert b"records stored" in b"".join(drawn)


async def test_refunds_in_an_export_are_kept_without_an_amount(db, tmp_path):
    # IATI exports carry refunds and corrections as negative amounts: the activity is evidence
    # of what the funder funds; the negative sum is no funding size.
    with (PROJECT_ROOT / "seed" / "history.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        first = next(reader)
    refund = {**first, "record_id": "refund-1", "amount_usd": "-1250.00"}
    export = tmp_path / "export.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(first))
        writer.writeheader()
        writer.writerows([first, refund])
    await import_history(db, export)
    amounts = await db.fetch("select amount_usd from funding_records order by id")
    assert [a["amount_usd"] is None for a in amounts] == [False, True]
