"""Test databases: one template per test session, copied for each test (``CREATE DATABASE ... TEMPLATE``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from matchmaker.db.server import create_database, drop_database, with_database

TEMPLATE = f"mm_template_{os.getpid()}"


@asynccontextmanager
async def template_copy(admin_dsn: str, name: str) -> AsyncIterator[str]:
    """A fresh copy of the template database named ``name``, dropped afterwards; yields its DSN."""
    await drop_database(admin_dsn, name)
    await create_database(admin_dsn, name, template=TEMPLATE)
    try:
        yield with_database(admin_dsn, name)
    finally:
        await drop_database(admin_dsn, name)
