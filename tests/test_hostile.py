"""Hostile callers: bodies built to exhaust the parser, guessed passwords, forged tokens."""

import jwt
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


async def _token(api, email="state@test.example", password=PASSWORD):
    r = await _sign_in(api, email, password)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()["access_token"]


async def _me(api, authorization):
    return await api.client.get("/api/v1/me", headers={"Authorization": authorization})


async def test_only_bearer_tokens_from_this_service_are_accepted(api):
    token = await _token(api)
    assert (await _me(api, f"Bearer {token}")).status_code == 200
    assert (await _me(api, f"bearer {token}")).status_code == 200
    for authorization in (f"Basic {token}", token, f"Token {token}", "Bearer "):
        r = await _me(api, authorization)
        assert r.status_code == 401, authorization
    claims = jwt.decode(token, options={"verify_signature": False})
    secret = "test-secret-key-0123456789abcdef"
    for changed in ({"aud": "another-api"}, {"iss": "elsewhere"}, {"sub": str(2**70)}, {"sub": "admin"}):
        forged = jwt.encode({**claims, **changed}, secret, algorithm="HS256")
        r = await _me(api, f"Bearer {forged}")
        assert r.status_code == 401, (changed, r.text)
    unversioned = jwt.encode({k: v for k, v in claims.items() if k != "extras"}, secret, algorithm="HS256")
    assert (await _me(api, f"Bearer {unversioned}")).status_code == 401


async def test_signing_out_ends_every_token_issued_before(api):
    first, second = await _token(api), await _token(api)
    r = await api.client.post("/api/v1/auth/sign-out", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 204
    for token in (first, second):
        assert (await _me(api, f"Bearer {token}")).status_code == 401
    assert (await _me(api, f"Bearer {await _token(api)}")).status_code == 200


async def test_changing_the_password_ends_old_tokens_and_the_old_password(api):
    old = await _token(api)
    body = {"current_password": "not it at all", "new_password": "a brand new passphrase"}
    r = await api.client.post("/api/v1/me/password", json=body, headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401
    body["current_password"] = PASSWORD
    r = await api.client.post("/api/v1/me/password", json=body, headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 200, r.text
    assert (await _me(api, f"Bearer {r.json()['access_token']}")).status_code == 200
    assert (await _me(api, f"Bearer {old}")).status_code == 401
    assert (await _sign_in(api, "state@test.example", PASSWORD)).status_code == 401
    await _token(api, password="a brand new passphrase")


async def test_a_deactivated_account_loses_its_tokens_and_cannot_sign_in(api):
    token = await _token(api, "donor@test.example")
    user_id = api.world["users"]["donor"]
    assert (await api.patch(f"/api/v1/users/{user_id}", as_user="donor", json={"active": False})).status_code == 403
    r = await api.patch(f"/api/v1/users/{user_id}", as_user="admin", json={"active": False})
    assert r.status_code == 200, r.text
    assert (await _me(api, f"Bearer {token}")).status_code == 401
    r = await _sign_in(api, "donor@test.example", PASSWORD)
    assert r.status_code == 401 and "deactivated" in r.json()["detail"]
    assert (await api.patch(f"/api/v1/users/{user_id}", as_user="admin", json={"active": True})).status_code == 200
    await _token(api, "donor@test.example")


async def test_responses_carry_security_headers(api):
    for url in ("/health", "/api/v1/needs", "/api/v1/needs/999"):
        r = await api.get(url)
        assert r.headers["x-content-type-options"] == "nosniff", url
    page = await api.get("/schema", as_user=None)
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


async def test_the_documentation_page_works_offline(api):
    for url in ("/schema", "/schema/swagger"):
        page = await api.get(url, as_user=None)
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text  # no CDN: it works offline
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        r = await api.get(f"/static/swagger-ui/{name}", as_user=None)
        assert r.status_code == 200 and kind in r.headers["content-type"] and len(r.content) > 10_000
