"""Learning from decisions: ``matchmaker train`` refits from history and approvals, reports, and workers reload it live."""

import asyncio
from pathlib import Path

from matchmaker.engine.persistence import load_model
from matchmaker.history import import_history
from matchmaker.ranking.service import MODEL_FILE
from matchmaker.ranking.training import train
from matchmaker.settings import PROJECT_ROOT
from tests.factories import need_body, offer_body
from tests.test_matches import propose, step


async def test_train_uses_decisions_and_running_workers_reload(app, api, db, settings):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=900_000, currency="USD"))).json()
    good = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    poor = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        title="Coastal fisheries equipment", description="Boats and nets.", gcm_objectives=[2], capacity_areas=[]))).json()
    approved = (await propose(api, need, good)).json()
    rejected = (await propose(api, need, poor)).json()
    assert (await step(api, approved["id"], "approve")).status_code == 200
    assert (await step(api, rejected["id"], "reject")).status_code == 200

    path = Path(settings.data_dir) / MODEL_FILE
    before = app.state.ranking.ranker
    report = await train(db, path)
    assert "2 decisions (1 approved, 1 rejected)" in report
    assert "too few to learn from" in report and "held-out decisions: too few to tell" in report
    model, metadata = load_model(path)
    assert metadata["decisions"] == 2 and model.training_["decisions"] == 2
    assert metadata["report"]["decisions"] == 2 and not metadata["report"]["learned"]
    assert model.weights_.tolist() == model.history_weights_.tolist()  # two decisions move nothing
    for _ in range(40):  # the notification reaches the worker, which reloads the model
        if app.state.ranking.ranker is not before:
            break
        await asyncio.sleep(0.05)
    assert app.state.ranking.ranker is not before
    assert app.state.ranking.ranker.weights_.tolist() == model.weights_.tolist()


async def test_a_running_service_refits_on_imported_history_by_itself(api, app, db):
    assert app.state.ranking.history is None  # the test world has no funding history
    async with db.transaction():
        report = await import_history(db, PROJECT_ROOT / "seed" / "history.csv")
    assert "248 new" in report
    for _ in range(200):
        if app.state.ranking.history is not None:
            break
        await asyncio.sleep(0.1)
    assert app.state.ranking.history is not None and app.state.ranking.history.size > 0
    assert (await api.get("/health", as_user=None)).status_code == 200
