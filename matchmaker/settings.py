"""Settings read once from the environment: one documented field each."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
SEED_DIR = PROJECT_ROOT / "seed"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@lru_cache(maxsize=1)
def rates_stale_days() -> int:
    """``MATCHMAKER_RATES_STALE_DAYS``: how many days the newest official exchange rate may lag
    behind the value date before conversions are said to use stale rates (default 7)."""
    return int(os.environ.get("MATCHMAKER_RATES_STALE_DAYS", "7"))


class Publisher(msgspec.Struct, frozen=True):
    """The organisation that publishes Matchmaker's IATI file (its ``reporting-org``)."""

    #: ``MATCHMAKER_IATI_ORG_REF``: its IATI organisation identifier (registration agency
    #: prefix, then its number in that registry, e.g. ``XM-DAC-41114``).
    ref: str
    #: ``MATCHMAKER_IATI_ORG_NAME``.
    name: str
    #: ``MATCHMAKER_IATI_ORG_TYPE``: its IATI OrganisationType code (``40``: multilateral).
    type: str


def iati_publisher() -> Publisher:
    return Publisher(
        ref=os.environ.get("MATCHMAKER_IATI_ORG_REF", "XM-MATCHMAKER-DEMO"),
        name=os.environ.get("MATCHMAKER_IATI_ORG_NAME", "Matchmaker"),
        type=os.environ.get("MATCHMAKER_IATI_ORG_TYPE", "40"),
    )


class AlertSettings(msgspec.Struct, frozen=True):
    """How alerts to funders are delivered."""

    #: ``MATCHMAKER_SMTP_URL``: the mail server for e-mail alerts (``smtp://user:password@host:25``,
    #: ``smtps://...`` for TLS from the start, ``smtp+starttls://...`` to upgrade); unset, none are sent.
    smtp_url: str | None
    #: ``MATCHMAKER_SMTP_FROM``: the sender of e-mail alerts.
    smtp_from: str
    #: ``MATCHMAKER_ALERT_RETRY_SECONDS``: wait before the first retry; it doubles at each (at most an hour).
    retry_seconds: float
    #: ``MATCHMAKER_ALERT_DISABLE_AFTER``: failed attempts in a row after which a subscription is switched off.
    disable_after: int
    #: ``MATCHMAKER_ALERT_POLL_SECONDS``: how often due retries are looked for.
    poll_seconds: float
    #: ``MATCHMAKER_ALERT_PRIVATE_HOSTS``: ``1`` lets webhooks reach loopback and private
    #: networks (an intranet's receivers); by default the server posts only to public addresses.
    private_hosts: bool = False


def alert_settings() -> AlertSettings:
    return AlertSettings(
        smtp_url=os.environ.get("MATCHMAKER_SMTP_URL") or None,
        smtp_from=os.environ.get("MATCHMAKER_SMTP_FROM", "matchmaker@localhost"),
        retry_seconds=float(os.environ.get("MATCHMAKER_ALERT_RETRY_SECONDS", "30")),
        disable_after=int(os.environ.get("MATCHMAKER_ALERT_DISABLE_AFTER", "10")),
        poll_seconds=float(os.environ.get("MATCHMAKER_ALERT_POLL_SECONDS", "5")),
        private_hosts=os.environ.get("MATCHMAKER_ALERT_PRIVATE_HOSTS", "") == "1",
    )


class Settings(msgspec.Struct, frozen=True):
    #: PostgreSQL DSN; ``None`` starts the embedded server in ``data_dir``.
    database_url: str | None
    #: Where the embedded server, the signing key and the fitted ranker live.
    data_dir: Path
    #: Secret used to sign access tokens.
    secret_key: str
    #: Lifetime of an access token, in minutes.
    token_minutes: int
    #: Size of each worker's connection pool.
    pool_size: int
    #: Seconds a request waits for a free connection before a 503 with ``Retry-After``.
    pool_timeout: float = 5.0
    #: Days the newest official exchange rate may lag behind the value date before it is stale.
    rates_stale_days: int = msgspec.field(default_factory=rates_stale_days)
    #: Who publishes the IATI export.
    iati_publisher: Publisher = msgspec.field(default_factory=iati_publisher)
    #: How alerts to funders are delivered.
    alerts: AlertSettings = msgspec.field(default_factory=alert_settings)


def _secret_key(data_dir: Path) -> str:
    """A key from the environment, else a random one kept in the data directory."""
    if key := os.environ.get("MATCHMAKER_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two workers start at once, exactly one writes the key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("MATCHMAKER_DATA_DIR", ".matchmaker")).resolve()
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        token_minutes=int(os.environ.get("MATCHMAKER_TOKEN_MINUTES", "720")),
        pool_size=int(os.environ.get("MATCHMAKER_POOL_SIZE", "10")),
        pool_timeout=float(os.environ.get("MATCHMAKER_POOL_TIMEOUT", "5")),
    )
