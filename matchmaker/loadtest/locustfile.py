"""The load: one kind of user per scenario, all at once, against a running Matchmaker.

Each scenario has its own users looping without pause, so its throughput shows how fast the
service answers it; ``/health`` is the ceiling. ``matchmaker.loadtest`` runs them one at a
time, then all at once (writers then pause between pairs: ``MATCHMAKER_LOAD_WRITE_PAUSE``),
and passes the token and the ids to use in the environment. A 503 with
``Retry-After`` is counted apart from other failures (it is the answer expected of a
saturated service); anything else but a 2xx is an error.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

WORLD = json.loads(os.environ.get("MATCHMAKER_LOAD_WORLD", "{}"))
HEADERS = {"Authorization": f"Bearer {WORLD.get('token', '')}"}
USERS_EACH = int(os.environ.get("MATCHMAKER_LOAD_USERS_EACH", "1"))
WRITE_PAUSE_SECONDS = float(os.environ.get("MATCHMAKER_LOAD_WRITE_PAUSE", "0"))
_views = itertools.count()
_pairs = itertools.count()


def _checked(response) -> None:
    if 200 <= response.status_code < 300:
        response.success()
    elif response.status_code == 503 and response.headers.get("Retry-After"):
        response.failure("503 with Retry-After")
    else:
        response.failure(f"{response.status_code} {response.text[:200]}")


class _Scenario(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    fixed_count = USERS_EACH

    def _get(self, url: str, name: str, **params) -> None:
        with self.client.get(url, name=name, headers=HEADERS, params=params, catch_response=True) as response:
            _checked(response)


class Health(_Scenario):
    @task
    def health(self) -> None:
        self._get("/health", "health")


class RankedMatches(_Scenario):
    @task
    def matches(self) -> None:
        need = WORLD["needs"][next(_views) % len(WORLD["needs"])]
        self._get(f"/api/v1/needs/{need}/matches", "ranked matches", limit=20)


class RankedOpportunities(_Scenario):
    @task
    def opportunities(self) -> None:
        offer = WORLD["browsed_offers"][next(_views) % len(WORLD["browsed_offers"])]
        self._get(f"/api/v1/offers/{offer}/opportunities", "ranked opportunities", limit=20)


class FilteredList(_Scenario):
    @task
    def filtered(self) -> None:
        self._get("/api/v1/offers", "filtered list", region="Western Africa", resource_type="financial", limit=20)


class FullText(_Scenario):
    @task
    def search(self) -> None:
        word = WORLD["words"][next(_views) % len(WORLD["words"])]
        self._get("/api/v1/offers", "full-text q", q=word, limit=20)


class ProposeApprove(_Scenario):
    wait_time = constant(WRITE_PAUSE_SECONDS)

    @task
    def propose_and_approve(self) -> None:
        i = next(_pairs)
        needs, offers = WORLD["needs"], WORLD["offers"]
        body = {"need_id": needs[i % len(needs)], "offer_id": offers[(i * 7919) % len(offers)], "amount": 1000,
                "currency": "USD", "resource_type": "financial", "note": "load"}
        with self.client.post("/api/v1/matches", name="propose", json=body, headers=HEADERS,
                              catch_response=True) as response:
            _checked(response)
            match = response.json()["id"] if response.status_code == 201 else None
        if match is not None:
            with self.client.post(f"/api/v1/matches/{match}/approve", name="approve", headers=HEADERS,
                                  json={"reason": "load"}, catch_response=True) as response:
                _checked(response)
