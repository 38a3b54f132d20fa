"""Alerts for funders: signed webhooks delivered once (across a restart too), retried, switched
off after failures in a row, and e-mails that reach a real SMTP server."""

import asyncio
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import socket

import httpx
import msgspec
import pytest
from aiosmtpd.controller import Controller

from matchmaker.alerts.dispatcher import pinned
from matchmaker.app import create_app
from matchmaker.settings import AlertSettings
from tests.conftest import Api
from tests.factories import need_body, offer_body

FAST = AlertSettings(smtp_url=None, smtp_from="alerts@test.example", retry_seconds=0.05, disable_after=3,
                     poll_seconds=0.1, private_hosts=True)  # the receivers are on loopback


class Receiver:
    """A webhook receiver on loopback: records each request; answers with ``answers`` in turn
    (then 200); holds its answers while ``hold`` is clear."""

    def __init__(self, answers=(), hold=None):
        self.received, self.answers, self.hold = [], list(answers), hold

    async def _handle(self, reader, writer):
        await reader.readline()
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        self.received.append((headers, body))
        if self.hold is not None:
            await self.hold.wait()
        status = self.answers.pop(0) if self.answers else 200
        with contextlib.suppress(ConnectionError):
            writer.write(f"HTTP/1.1 {status} Answer\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hooks/matchmaker"
        return self

    async def __aexit__(self, *exc):
        self.server.close()

    def alerts(self, secret):
        """Each alert once, as a receiver that deduplicates on the delivery id sees them; every signature checked."""
        seen = {}
        for headers, body in self.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["x-matchmaker-signature"], expected)
            assert json.loads(body)["id"] == headers["x-matchmaker-delivery"]
            seen.setdefault(headers["x-matchmaker-delivery"], json.loads(body))
        return list(seen.values())


async def until(condition, seconds=15.0):
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def settings(settings):
    return msgspec.structs.replace(settings, alerts=FAST)


async def _offer(api):
    r = await api.post("/api/v1/offers", as_user="donor", json=offer_body())
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _subscribe(api, **body):
    r = await api.post("/api/v1/alerts/subscriptions", as_user="donor", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_who_may_subscribe_and_what_a_subscription_needs(api):
    offer_id = await _offer(api)
    r = await api.post("/api/v1/alerts/subscriptions", as_user="donor_b", json={"offer_id": offer_id, "email": "a@b.c"})
    assert r.status_code == 403
    assert (await api.post("/api/v1/alerts/subscriptions", as_user="state",
                           json={"offer_id": offer_id, "email": "a@b.c"})).status_code == 403
    r = await api.post("/api/v1/alerts/subscriptions", as_user="donor", json={"offer_id": offer_id})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "webhook_url"
    r = await api.post("/api/v1/alerts/subscriptions", as_user="donor", json={
        "offer_id": offer_id, "email": "a@b.c", "filters": {"region": "Nowhere land"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filters.region"
    created = await _subscribe(api, offer_id=offer_id, email="funder@test.example", min_score=0.1,
                               filters={"region": "afrique de l'ouest", "country": "sen"})
    assert len(created["secret"]) >= 32 and created["filters"] == {"region": "Western Africa", "country": "SEN"}
    read = (await api.get(f"/api/v1/alerts/subscriptions/{created['id']}", as_user="donor")).json()
    assert "secret" not in read and read["active"] is True
    assert (await api.get(f"/api/v1/alerts/subscriptions/{created['id']}", as_user="donor_b")).status_code == 404
    assert [s["id"] for s in (await api.get("/api/v1/alerts/subscriptions", as_user="donor")).json()["items"]] == [created["id"]]


async def test_a_need_entering_the_top_results_is_posted_once_signed(api, app):
    offer_id = await _offer(api)
    async with Receiver() as receiver:
        subscription = await _subscribe(api, offer_id=offer_id, webhook_url=receiver.url, filters={"country": "SEN"})
        other = await _subscribe(api, offer_id=offer_id, webhook_url=receiver.url + "/strict", min_score=1)
        need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
        await api.post("/api/v1/needs", as_user="state_b", json=need_body(country="MEX"))  # filtered out
        await until(lambda: _delivered(api, subscription["id"], 1))
        await asyncio.sleep(0.3)  # nothing more comes
        [alert] = receiver.alerts(subscription["secret"])
        assert (alert["type"], alert["offer_id"], alert["rank"], alert["need"]["id"]) == ("need.ranked", offer_id, 1, need["id"])
        assert alert["need"]["title"] == need["title"] and 0 < alert["score"] <= 1
        assert len(receiver.received) == 1
        assert (await api.get(f"/api/v1/alerts/subscriptions/{other['id']}/deliveries", as_user="donor")).json()["items"] == []
        # A change to the need is news again.
        await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"title": "Border data for Dakar airport"})
        await until(lambda: _delivered(api, subscription["id"], 2))
        assert [a["need"]["title"] for a in receiver.alerts(subscription["secret"])][1] == "Border data for Dakar airport", [
            (h, b) for h, b in receiver.received]


async def _delivered(api, subscription_id, count):
    items = (await api.get(f"/api/v1/alerts/subscriptions/{subscription_id}/deliveries", as_user="donor")).json()["items"]
    return sum(d["status"] == "delivered" for d in items) >= count


async def test_failures_are_retried_with_growing_waits_then_switch_the_subscription_off(api, db):
    offer_id = await _offer(api)
    async with Receiver(answers=[500, 503]) as receiver:
        flaky = await _subscribe(api, offer_id=offer_id, webhook_url=receiver.url)
        await api.post("/api/v1/needs", as_user="state", json=need_body())
        await until(lambda: _delivered(api, flaky["id"], 1))
        [delivery] = (await api.get(f"/api/v1/alerts/subscriptions/{flaky['id']}/deliveries", as_user="donor")).json()["items"]
        assert [(a["ok"], a["status_code"]) for a in delivery["log"]] == [(False, 500), (False, 503), (True, 200)]
        assert len(receiver.alerts(flaky["secret"])) == 1 and len(receiver.received) == 3
        times = [await db.fetchval("select extract(epoch from at) from alert_attempts where id = $1", i) for i in
                 [r["id"] for r in await db.fetch("select id from alert_attempts order by id")]]
        assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1  # waits of 0.05 s, then 0.1 s: doubling
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    dead = await _subscribe(api, offer_id=offer_id, webhook_url=closed)
    await api.post("/api/v1/needs", as_user="state", json=need_body(title="Another border need", reference="B-2"))

    async def switched_off():
        return not (await api.get(f"/api/v1/alerts/subscriptions/{dead['id']}", as_user="donor")).json()["active"]

    await until(switched_off)
    assert await db.fetchval("select count(*) from alert_attempts a join alert_deliveries d on d.id = a.delivery_id "
                             "where d.subscription_id = $1", dead["id"]) == 3
    assert await db.fetchval("select status from alert_deliveries where subscription_id = $1", dead["id"]) == "pending"
    r = await api.patch(f"/api/v1/alerts/subscriptions/{dead['id']}", as_user="donor", json={"active": True})
    assert (r.json()["active"], r.json()["consecutive_failures"]) == (True, 0)


async def test_a_restart_mid_delivery_sends_the_same_alert_again_and_it_counts_once(settings, world, db):
    hold = asyncio.Event()
    async with Receiver(hold=hold) as receiver:
        first = create_app(settings)
        async with first.lifespan():
            api = Api(httpx_client(first), settings, world)
            offer_id = await _offer(api)
            subscription = await _subscribe(api, offer_id=offer_id, webhook_url=receiver.url)
            await api.post("/api/v1/needs", as_user="state", json=need_body())
            await until(lambda: _true(len(receiver.received) == 1))
        # Stopped while the receiver had the alert but had not answered: nothing was marked.
        assert await db.fetchval("select status from alert_deliveries") == "pending"
        assert await db.fetchval("select count(*) from alert_attempts") == 0
        hold.set()
        second = create_app(settings)
        async with second.lifespan():
            await until(lambda: _true(len(receiver.received) == 2))

            async def delivered():
                return await db.fetchval("select status from alert_deliveries") == "delivered"

            await until(delivered)
    (h1, b1), (h2, b2) = receiver.received
    assert h1["x-matchmaker-delivery"] == h2["x-matchmaker-delivery"] and b1 == b2
    assert len(receiver.alerts(subscription["secret"])) == 1
    assert await db.fetchval("select count(*) from alert_attempts where ok") == 1


def httpx_client(app):
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://matchmaker.test")


async def _true(value):
    return value


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.fixture
def mail_settings(settings, smtp_server):
    return msgspec.structs.replace(settings, alerts=msgspec.structs.replace(
        FAST, smtp_url=f"smtp://127.0.0.1:{smtp_server[0]}"))


async def test_alerts_are_emailed_through_the_configured_server(mail_settings, world, smtp_server):
    _, mailbox = smtp_server
    app = create_app(mail_settings)
    async with app.lifespan():
        api = Api(httpx_client(app), mail_settings, world)
        offer_id = await _offer(api)
        subscription = await _subscribe(api, offer_id=offer_id, email="funder@test.example")
        need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
        await until(lambda: _true(len(mailbox.messages) == 1))
        await until(lambda: _delivered(api, subscription["id"], 1))
        [delivery] = (await api.get(f"/api/v1/alerts/subscriptions/{subscription['id']}/deliveries",
                                    as_user="donor")).json()["items"]
    [envelope] = mailbox.messages
    assert envelope.mail_from == "alerts@test.example" and envelope.rcpt_tos == ["funder@test.example"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == f"Matchmaker: a need ranks #1 for your offer {offer_id}: {need['title']}"
    assert "Amount: 250000.00 EUR" in message.get_content()
    assert message["Message-ID"] == f"<{delivery['id']}@matchmaker>"


async def test_by_default_no_alert_is_posted_into_the_servers_own_network(settings, world, dsn):
    guarded = msgspec.structs.replace(settings, alerts=msgspec.structs.replace(FAST, private_hosts=False))
    app = create_app(guarded)
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://matchmaker.test") as client, Receiver() as receiver:
        api = Api(client, guarded, world)
        subscription = await _subscribe(api, offer_id=await _offer(api), webhook_url=receiver.url)
        await api.post("/api/v1/needs", as_user="state", json=need_body())

        async def refused():
            items = (await api.get(f"/api/v1/alerts/subscriptions/{subscription['id']}/deliveries",
                                   as_user="donor")).json()["items"]
            return bool(items and items[0]["log"])

        await until(refused)
        [delivery] = (await api.get(f"/api/v1/alerts/subscriptions/{subscription['id']}/deliveries",
                                    as_user="donor")).json()["items"]
        assert "non-public address (127.0.0.1): refused" in delivery["log"][0]["error"]
        assert receiver.received == []


def test_a_checked_webhook_address_is_the_one_posted_to_under_the_receivers_name():
    url, headers, extensions = pinned("https://hooks.example.org:8443/in?x=1", "93.184.215.14")
    assert str(url) == "https://93.184.215.14:8443/in?x=1"
    assert headers == {"Host": "hooks.example.org:8443"} and extensions == {"sni_hostname": "hooks.example.org"}
    url, headers, extensions = pinned("http://hooks.example.org/in", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert str(url) == "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/in"
    assert headers == {"Host": "hooks.example.org"} and extensions == {}
