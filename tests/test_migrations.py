"""Migrations: idempotent, serialised by a lock, and loud when one fails."""

import asyncio
import os
import shutil

import pytest

from matchmaker.db.migrate import MIGRATIONS_DIR, MigrationError, migrate
from matchmaker.db.pool import connect
from matchmaker.db.server import create_database, drop_database, with_database
from matchmaker.upkeep import bring_up_to_date


@pytest.fixture
async def empty_dsn(admin_dsn):
    name = f"mm_empty_{os.getpid()}"
    await drop_database(admin_dsn, name)
    await create_database(admin_dsn, name)
    yield with_database(admin_dsn, name)
    await drop_database(admin_dsn, name)


async def test_concurrent_migrations_apply_each_file_once(empty_dsn):
    conns = [await connect(empty_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(bring_up_to_date(c) for c in conns))
        applied = sorted(v for r in results for v in r)
        assert applied == sorted(p.name.split("_")[0] for p in MIGRATIONS_DIR.glob("*.sql"))
        assert await bring_up_to_date(conns[0]) == []  # idempotent
        assert await conns[0].fetchval("select count(*) from countries") > 240
    finally:
        for c in conns:
            await c.close()


async def test_a_failing_migration_stops_loudly_and_keeps_the_last_good_schema(empty_dsn, tmp_path):
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path)
    (tmp_path / "9998_good.sql").write_text("-- migrate:up\ncreate table good_one (id int);\n-- migrate:down\n")
    (tmp_path / "9999_broken.sql").write_text(
        "-- migrate:up\ncreate table half_done (id int);\nselect no_such_function();\n-- migrate:down\n")
    conn = await connect(empty_dsn)
    try:
        with pytest.raises(MigrationError, match="9999_broken.sql failed"):
            await migrate(conn, tmp_path)
        versions = [r["version"] for r in await conn.fetch("select version from schema_migrations order by version")]
        assert versions[-1] == "9998"
        assert await conn.fetchval("select to_regclass('good_one') is not null")
        assert await conn.fetchval("select to_regclass('half_done') is null")  # its transaction rolled back
    finally:
        await conn.close()
