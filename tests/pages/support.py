"""A browser's view of the pages over HTTP: cookies kept, forms posted with their tokens."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


class Visitor:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(url, **kwargs)
        if found := _CSRF.search(response.text):
            self.csrf = found.group(1)
        return response

    async def post(self, url: str, data: dict[str, Any], *, token: bool = True, **kwargs: Any) -> httpx.Response:
        return await self.client.post(url, data={**({"csrf_token": self.csrf} if token else {}), **data}, **kwargs)

    async def sign_in(self, who: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.get("/signin")
        response = await self.post("/signin", {"form_token": _FORM_TOKEN.search(form.text).group(1),
                                               "email": f"{who}@test.example", "password": password, "next": "/"},
                                   token=False)
        if response.status_code == 303:
            await self.get(response.headers["location"])  # picks up the session's form token
        return response
