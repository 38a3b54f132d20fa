"""Saving and loading a fitted ranker with skops, never pickle.

The file holds the fitted ``MatchRanker`` and a metadata dict: what it was trained on
(``data_reference``: file hash and row count), the library versions and glossary it was
built with, and the caller's metrics. Loading refuses any type outside ``TRUSTED_TYPES``,
so a tampered file cannot run code.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import skops.io as sio

from matchmaker.ranking.documents import read_records
from matchmaker.ranking.model import MatchRanker

TRUSTED_TYPES = ["matchmaker.ranking.model.MatchRanker", "matchmaker.ranking.text.TextEncoder"]


class UntrustedModelError(ValueError):
    """The file holds types that are not on the allow-list."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_reference(path: str | Path) -> dict[str, Any]:
    """Where training data came from: file name, SHA-256 and number of records."""
    return {"file": Path(path).name, "sha256": _sha256(Path(path).read_bytes()), "rows": len(read_records(path))}


def _environment() -> dict[str, Any]:
    packages = ("matchmaker", "scikit-learn", "numpy", "scipy", "skops", "msgspec")
    glossary = files("matchmaker.ranking").joinpath("data/glossary.csv").read_bytes()
    return {
        "versions": {"python": platform.python_version(), **{p: version(p) for p in packages}},
        "glossary_sha256": _sha256(glossary),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_model(model: MatchRanker, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
    """Write the fitted model and its metadata (plus versions and glossary hash) to ``path``."""
    sio.dump({"model": model, "metadata": {**(metadata or {}), **_environment()}}, path)


def load_model(path: str | Path) -> tuple[MatchRanker, dict[str, Any]]:
    """(model, metadata) from ``path``; raises ``UntrustedModelError`` on any unknown type."""
    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise UntrustedModelError(f"{path} holds untrusted types: {', '.join(untrusted)}")
    saved = sio.load(path, trusted=TRUSTED_TYPES)
    return saved["model"], saved["metadata"]
