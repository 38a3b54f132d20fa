"""The command line as an operator meets it: demo accounts stay out of real databases,
passwords stay out of the shell's history, organisations are named by their keys."""

import os
import subprocess
import sys

from tests.conftest import PASSWORD


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
