"""The dispatcher: reads the outbox, decides who is alerted, and delivers.

For each new or changed need in the outbox, once the rankings have taken the change in,
every active subscription whose offer now ranks the need among its ``top`` (within its
filters, at ``min_score`` or more) gets a delivery per channel, written with the outbox row's
``processed`` mark in one transaction. Deliveries are then sent one at a time, each locked
while it is sent and marked delivered in the same transaction: a process stopped mid-send
leaves it pending, and it is sent again with the same id and body (receivers deduplicate on
``X-Matchmaker-Delivery``). A failure is logged and retried after a doubling wait; enough
failures in a row switch the subscription off. Every server process runs one; the row locks
keep two from sending the same delivery at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import smtplib
import uuid
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg
import httpx

from matchmaker.alerts.queries import alerts_sql
from matchmaker.db.pool import Database
from matchmaker.db.queries import fetch_all
from matchmaker.errors import NotFound, Unavailable
from matchmaker.events.hub import EventHub
from matchmaker.ranking.service import RankingService
from matchmaker.schemas import to_json
from matchmaker.settings import AlertSettings

log = logging.getLogger(__name__)
BATCH = 50
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Matchmaker-Signature"
DELIVERY_HEADER = "X-Matchmaker-Delivery"


class DeliveryFailed(Exception):
    def __init__(self, error: str, status_code: int | None = None) -> None:
        super().__init__(error)
        self.error, self.status_code = error, status_code


def sign(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the body under the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _mail(url: str, sender: str, to: str, delivery_id: str, alert: dict[str, Any]) -> None:
    """Send one alert by e-mail (blocking: run in a thread)."""
    where = urlsplit(url)
    need = alert["need"]
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = f"Matchmaker: a need ranks #{alert['rank']} for your offer {alert['offer_id']}: {need['title']}"
    message["Message-ID"] = f"<{delivery_id}@matchmaker>"
    message.set_content(
        f"{need['title']}\n\n{need['description']}\n\nCountry: {need['country']}\n"
        f"Amount: {need['amount']} {need['currency']}\nDeadline: {need['deadline'] or 'none'}\n"
        f"Score: {alert['score']:.3f} (rank {alert['rank']} among your offer's opportunities)\n"
        f"API: /api/v1/needs/{need['id']}\n")
    secure = where.scheme == "smtps"
    smtp = (smtplib.SMTP_SSL if secure else smtplib.SMTP)(
        where.hostname or "localhost", where.port or (465 if secure else 25), timeout=TIMEOUT_SECONDS)
    with smtp:
        if where.scheme == "smtp+starttls":
            smtp.starttls()
        if where.username:
            smtp.login(unquote(where.username), unquote(where.password or ""))
        smtp.send_message(message)


async def _public_address(url: str) -> str:
    """The address to post to, once the receiver's host is known to be public: a host that
    is, or resolves to, a loopback, private, link-local or reserved address is refused, since
    a subscriber must not make the server post into its own network."""
    where = urlsplit(url)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(where.hostname, where.port or 443)
    except OSError as exc:
        raise DeliveryFailed(f"the webhook's host does not resolve: {exc}") from exc
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise DeliveryFailed(f"the webhook's host {where.hostname} is a non-public address ({ip}): refused")
    return str(found[0][4][0])


def pinned(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """(URL, headers, request extensions) that reach ``url`` at ``address``, the one that
    was checked: the name is not resolved again, so it cannot be pointed into the server's
    own network between the check and the connection. The Host header and the TLS server
    name (which the certificate is checked against) stay the receiver's name."""
    target = httpx.URL(url)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return target.copy_with(host=address), {"Host": target.netloc.decode("ascii")}, extensions


class AlertDispatcher:
    def __init__(self, database: Database, ranking: RankingService, events: EventHub, settings: AlertSettings) -> None:
        self._db, self._ranking, self._events, self._settings = database, ranking, events, settings
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)

    def on_event(self, event: dict[str, Any]) -> None:
        """Hub callback: a need changed, or a decision moved a budget (rankings move): look again."""
        if event.get("entity") in ("need", "match"):
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-dispatcher")

    async def stop(self) -> None:
        # The flag as well as the cancel: a cancel that lands as a wait ends by itself can be lost.
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._http.aclose()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_once()
            except (Unavailable, OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError) as exc:
                log.warning("alerts wait for the database: %s", exc)
            except Exception:  # a bad round must not stop the next
                log.exception("alert dispatch failed")
            try:
                async with asyncio.timeout(self._settings.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def run_once(self) -> None:
        """Take in every change in the outbox, then send every delivery that is due."""
        while await self._evaluate():
            pass
        while await self._send_one():
            pass

    async def _ranked(self, subscription: asyncpg.Record, need_id: int) -> tuple[int, Any] | None:
        """(rank, suggestion) of the need among the subscription's top results, if it is there."""
        try:
            kept = await self._ranking.needs_for_offer(subscription["offer_id"], subscription["top"],
                                                       **subscription["filters"])
        except NotFound:  # the offer is gone from the rankings (closed, exhausted)
            return None
        for rank, item in enumerate(kept.page.items, start=1):
            if item.need.id == need_id and item.score >= subscription["min_score"]:
                return rank, item
        return None

    async def _evaluate(self) -> bool:
        """Turn a batch of the outbox into deliveries; whether there was one. No connection is
        held while the rankings are waited for and read: they need connections of their own."""
        async with self._db.connection(wait=True) as conn:
            changes = await fetch_all(alerts_sql.pending_changes(conn, lim=BATCH))
            subscriptions = await fetch_all(alerts_sql.active_subscriptions(conn)) if changes else []
        if not changes:
            return False
        # Judged only once the rankings have taken in every change committed so far, these included.
        await self._events.caught_up()
        await self._ranking.settle()
        deliveries = []
        for change in changes:
            for subscription in subscriptions:
                found = await self._ranked(subscription, change["need_id"])
                if found is not None:
                    deliveries += [(change["id"], subscription, channel, *found) for channel, to in (
                        ("webhook", subscription["webhook_url"]), ("email", subscription["email"])) if to]
        async with self._db.connection(wait=True) as conn, conn.transaction():
            # Another dispatcher may have taken some meanwhile: only those still pending are written.
            claimed = {r["id"] for r in await fetch_all(alerts_sql.claim_changes(conn, ids=[c["id"] for c in changes]))}
            for outbox_id, subscription, channel, rank, item in deliveries:
                if outbox_id in claimed:
                    delivery_id = uuid.uuid4()
                    body = to_json({"id": str(delivery_id), "type": "need.ranked", "subscription_id": subscription["id"],
                                    "offer_id": subscription["offer_id"], "rank": rank, "score": item.score,
                                    "need": item.need})
                    await alerts_sql.insert_delivery(conn, id=delivery_id, subscription_id=subscription["id"],
                                                     outbox_id=outbox_id, channel=channel, body=body.decode())
            await alerts_sql.mark_processed(conn, ids=sorted(claimed))
        return True

    async def _deliver(self, delivery: asyncpg.Record) -> int | None:
        """Send it; the HTTP status of a webhook; ``DeliveryFailed`` when it did not arrive."""
        body = delivery["body"].encode()
        if delivery["channel"] == "webhook":
            if self._settings.private_hosts:
                url, headers, extensions = httpx.URL(delivery["webhook_url"]), dict[str, str](), dict[str, str]()
            else:
                url, headers, extensions = pinned(delivery["webhook_url"], await _public_address(delivery["webhook_url"]))
            try:
                response = await self._http.post(url, content=body, extensions=extensions, headers={
                    **headers, "Content-Type": "application/json", "User-Agent": "Matchmaker-Alerts",
                    DELIVERY_HEADER: str(delivery["id"]), SIGNATURE_HEADER: sign(delivery["secret"], body)})
            except httpx.HTTPError as exc:
                raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
            if not response.is_success:
                raise DeliveryFailed(f"the receiver answered {response.status_code}", response.status_code)
            return response.status_code
        if self._settings.smtp_url is None:
            raise DeliveryFailed("no mail server: MATCHMAKER_SMTP_URL is not set")
        try:
            await asyncio.to_thread(_mail, self._settings.smtp_url, self._settings.smtp_from, delivery["email"],
                                    str(delivery["id"]), json.loads(body, parse_float=Decimal))
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        return None

    async def _send_one(self) -> bool:
        """Send one due delivery, and record how it went; whether there was one."""
        async with self._db.connection(wait=True) as conn, conn.transaction():
            delivery = await alerts_sql.claim_delivery(conn)
            if delivery is None:
                return False
            try:
                status = await self._deliver(delivery)
            except DeliveryFailed as exc:
                await alerts_sql.log_attempt(conn, delivery_id=delivery["id"], ok=False, status_code=exc.status_code,
                                             error=exc.error[:2000])
                await alerts_sql.mark_failed(conn, id=delivery["id"], subscription_id=delivery["subscription_id"],
                                             retry_seconds=self._settings.retry_seconds,
                                             disable_after=self._settings.disable_after)
            else:
                await alerts_sql.log_attempt(conn, delivery_id=delivery["id"], ok=True, status_code=status, error=None)
                await alerts_sql.mark_delivered(conn, id=delivery["id"], subscription_id=delivery["subscription_id"])
        return True
