"""Hostile callers: bodies built to exhaust the parser, guessed passwords, forged tokens."""

import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/api/v1/auth/token", "/api/v1/needs", "/api/v1/matches"])
async def test_deeply_nested_json_is_refused_with_a_problem(api, url):
    body = "[" * 5000 + "]" * 5000
    r = await api.post(url, content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    nested = '{"email": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}'
    r = await api.post(url, content=nested, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text


async def _sign_in(api, email, password="wrong password"):
    return await api.client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_repeated_wrong_passwords_are_slowed_down_without_telling_whether_the_account_exists(api):
    for email in ("state@test.example", "nobody@test.example"):
        for _ in range(5):
            r = await _sign_in(api, email)
            assert r.status_code == 401 and r.json()["detail"] == "wrong email or password"
        assert (await _sign_in(api, email)).status_code == 401  # the sixth failure starts the waits
        r = await _sign_in(api, email, password=PASSWORD)
        assert r.status_code == 429, r.text  # even the right password waits its turn
        assert r.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(r.headers["retry-after"]) <= 2


async def test_a_success_clears_the_count(api):
    for _ in range(5):
        assert (await _sign_in(api, "donor@test.example")).status_code == 401
    assert (await _sign_in(api, "donor@test.example", password=PASSWORD)).status_code == 200
    for _ in range(5):
        assert (await _sign_in(api, "donor@test.example")).status_code == 401
    assert (await _sign_in(api, "donor@test.example", password=PASSWORD)).status_code == 200


async def test_one_address_guessing_across_many_accounts_is_slowed_down(api):
    for i in range(21):  # 20 free failures per address, whatever the accounts
        assert (await _sign_in(api, f"guess{i}@test.example")).status_code == 401
    r = await _sign_in(api, "coordinator@test.example", password=PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
