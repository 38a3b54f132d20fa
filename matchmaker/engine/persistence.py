"""Saving and loading a fitted ranker with skops, never pickle.

The file holds the fitted ``MatchRanker`` and a metadata dict: what it was trained on
(``data_reference``: file hash and row count), the library versions and glossary it was
built with, and the caller's metrics. Loading refuses any type outside ``TRUSTED_TYPES``,
so a tampered file cannot run code.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import skops.io as sio

from matchmaker.engine.documents import read_records
from matchmaker.engine.model import MatchRanker

TRUSTED_TYPES = ["matchmaker.engine.model.MatchRanker", "matchmaker.engine.text.TextEncoder"]


class UntrustedModelError(ValueError):
    """The file holds types that are not on the allow-list."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_reference(path: str | Path) -> dict[str, Any]:
    """Where training data came from: file name, SHA-256 and number of records."""
    return {"file": Path(path).name, "sha256": _sha256(Path(path).read_bytes()), "rows": len(read_records(path))}


def _environment() -> dict[str, Any]:
    packages = ("matchmaker", "scikit-learn", "numpy", "scipy", "skops", "msgspec")
    glossary = files("matchmaker.engine").joinpath("data/glossary.csv").read_bytes()
    return {
        "versions": {"python": platform.python_version(), **{p: version(p) for p in packages}},
        "glossary_sha256": _sha256(glossary),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_model(model: MatchRanker, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
    """Write the fitted model and its metadata (plus versions and glossary hash) to ``path``,
    atomically: a reader, or a process killed mid-write, sees the old file or the new one,
    never a part of one."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        sio.dump({"model": model, "metadata": {**(metadata or {}), **_environment()}}, temporary)
        with temporary.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


@contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold a lock beside ``path`` (one process at a time fits and saves the model there;
    the others wait, then load what it saved)."""
    with Path(path).with_name(Path(path).name + ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_model(path: str | Path) -> tuple[MatchRanker, dict[str, Any]]:
    """(model, metadata) from ``path``; raises ``UntrustedModelError`` on any unknown type."""
    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise UntrustedModelError(f"{path} holds untrusted types: {', '.join(untrusted)}")
    saved = sio.load(path, trusted=TRUSTED_TYPES)
    return saved["model"], saved["metadata"]
