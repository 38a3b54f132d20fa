async def test_health(api):
    r = await api.get("/health", as_user=None)
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
