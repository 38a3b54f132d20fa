"""The event feed and its live stream: coordinators see proposals, states see decisions on their needs."""

import asyncio
import contextlib
import json

import msgspec

from matchmaker.accounts.schemas import User
from matchmaker.events.hub import STREAMS_PER_USER
from matchmaker.events.queries import events_sql
from tests.test_matches import make_pair, propose, step


async def test_feed_shows_each_role_what_concerns_it(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer, as_user="donor")).json()
    await step(api, match["id"], "approve")

    async def actions(user, **params):
        r = await api.get("/api/v1/events", as_user=user, params=params)
        assert r.status_code == 200, r.text
        return [(e["entity"], e["action"]) for e in r.json()["items"]]

    everything = [("need", "created"), ("offer", "created"), ("match", "proposed"), ("match", "approved")]
    assert await actions("coordinator") == everything
    assert await actions("state") == [everything[0], *everything[2:]]  # not the donor's offer creation
    assert await actions("donor") == everything[1:]
    assert await actions("state_b") == []
    assert await actions("coordinator", entity="match") == everything[2:]
    first = (await api.get("/api/v1/events")).json()["items"][0]["id"]
    assert await actions("coordinator", after=first) == everything[1:]


async def test_feed_pages(api):
    for _ in range(3):
        await make_pair(api)
    page = (await api.get("/api/v1/events", params={"limit": 4})).json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    assert (await api.get("/api/v1/events", params={"limit": 4, "after": page["items"][-1]["id"]})).json()["next_cursor"] is None


async def _read_stream(api, user, headers=None, **params):
    r = await api.get("/api/v1/events/stream", as_user=user, params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    messages = [block for block in r.text.replace("\r\n", "\n").split("\n\n") if block.startswith(("id:", "event:", "data:"))]
    return [
        {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in block.splitlines()} for block in messages
    ]


async def test_stream_delivers_backlog_then_live_events(api):
    need, offer = await make_pair(api)
    # The stream first replays what exists, then waits for what comes next.
    reader = asyncio.create_task(_read_stream(api, "state", max_events=3))
    await asyncio.sleep(0.3)
    assert not reader.done()
    match = (await propose(api, need, offer, as_user="donor")).json()
    await step(api, match["id"], "reject")
    messages = await asyncio.wait_for(reader, 10)
    assert [m["event"] for m in messages] == ["need.created", "match.proposed", "match.rejected"]
    assert json.loads(messages[-1]["data"])["reason"] == "reject for the test"
    ids = [int(m["id"]) for m in messages]
    assert ids == sorted(ids)


async def test_stream_resumes_after_last_event_id(api):
    await make_pair(api)
    first = (await api.get("/api/v1/events")).json()["items"][0]["id"]
    messages = await _read_stream(api, "coordinator", max_events=1, headers={"Last-Event-ID": str(first)})
    assert messages[0]["event"] == "offer.created"


async def test_the_feed_pages_by_its_cursor_to_the_end(api):
    for _ in range(3):
        await make_pair(api)  # six events
    seen, params = [], {"limit": 4}
    for _ in range(5):  # a cursor that were ignored would loop for ever
        page = (await api.get("/api/v1/events", params=params)).json()
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 4, "cursor": page["next_cursor"]}
    assert page["next_cursor"] is None
    assert len(seen) == 6 and seen == sorted(set(seen))


async def test_one_query_feeds_every_open_stream_and_each_user_has_a_few(api, app, monkeypatch):
    hub, users = app.state.events, {}
    for key in ("coordinator", "state", "state_b", "donor"):
        users[key] = (await api.get("/api/v1/me", as_user=key)).json()
    reads = []
    real = events_sql.events_by_ids

    def counted(conn, **kwargs):
        reads.append(kwargs["ids"])
        return real(conn, **kwargs)

    monkeypatch.setattr(events_sql, "events_by_ids", counted)
    with contextlib.ExitStack() as stack:
        feeds = {key: stack.enter_context(hub.subscribe(_user(user))) for key, user in users.items()}
        for _ in range(3):  # more streams of the same users: still no more reads
            stack.enter_context(hub.subscribe(_user(users["coordinator"])))
        need, offer = await make_pair(api)
        await asyncio.sleep(0.3)
        got = {key: [feed.events.get_nowait().entity for _ in range(feed.events.qsize())] for key, feed in feeds.items()}
        assert got == {"coordinator": ["need", "offer"], "state": ["need"], "state_b": [], "donor": ["offer"]}
        assert sorted(i for ids in reads for i in ids) == sorted(set(i for ids in reads for i in ids))  # each once
        assert 1 <= len(reads) <= 2  # one read per announcement batch, for all seven streams

        for _ in range(STREAMS_PER_USER - 1):
            stack.enter_context(hub.subscribe(_user(users["donor"])))
        r = await api.get("/api/v1/events/stream", as_user="donor")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "at most" in r.json()["detail"]


def _user(body):
    return msgspec.convert(body, User)


async def test_matches_and_events_name_what_they_are_about(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer, as_user="donor")).json()
    assert (match["need_title"], match["offer_title"]) == (need["title"], offer["title"])
    assert (match["need_organisation"], match["offer_organisation"]) == ("Test senegal", "Test nordic")
    listed = (await api.get("/api/v1/matches")).json()["items"][0]
    assert listed["need_title"] == need["title"] and listed["offer_organisation"] == "Test nordic"
    subjects = [(e["entity"], e["subject"]) for e in (await api.get("/api/v1/events")).json()["items"]]
    assert subjects == [("need", need["title"]), ("offer", offer["title"]),
                        ("match", f"{need['title']} ↔ {offer['title']}")]
