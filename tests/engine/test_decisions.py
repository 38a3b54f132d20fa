"""Learning from coordinators' decisions: a minimum sample, shrinkage towards the history-fitted
weights, a bound per block, determinism."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from support import decisions, fitted, history
from support import fitted_on_decisions as fit

from matchmaker.engine.model import MatchRanker


def change(model: MatchRanker) -> dict[str, float]:
    after, before = model.block_weights(), model.block_weights(model.history_weights_)
    return {block: after[block] - before[block] for block in after}


def test_new_parameters_are_stored_only():
    ranker = MatchRanker(min_decisions=10, prior_decisions=50.0, max_block_step=0.05)
    assert clone(ranker).get_params()["min_decisions"] == 10 and not hasattr(ranker, "history_weights_")


def test_six_decisions_change_nothing():
    model = fit(6)
    assert np.array_equal(model.weights_, model.history_weights_)
    assert np.array_equal(model.weights_, fitted().weights_)  # exactly as without decisions
    assert np.array_equal(model.encoder_.idf_, fitted().encoder_.idf_)
    assert "shrinkage" not in model.training_


def test_one_outcome_alone_changes_nothing():
    approvals = [d for d in decisions(200) if d.approved]
    model = MatchRanker(max_queries=200).fit(history(), approvals)
    assert len(approvals) >= 30 and np.array_equal(model.weights_, model.history_weights_)


def test_consistent_decisions_move_weights_their_way_within_the_bound():
    model = fit(200)
    moved = change(model)
    assert moved["thematic"] > 0.01 and moved["resources_amount"] < -0.01  # the objective, not the resource types
    assert max(abs(v) for v in moved.values()) <= model.max_block_step
    assert np.array_equal(model.history_weights_, fitted().weights_)  # the bound holds against no decisions at all
    gcm = model.feature_names_.index("gcm")
    assert model.weights_[gcm] > model.history_weights_[gcm]
    tight = fit(200, max_block_step=0.01)
    assert max(abs(v) for v in change(tight).values()) == pytest.approx(0.01)
    assert tight.training_["kept"] < 1
    assert change(tight)["thematic"] == pytest.approx(0.01)  # scaled down, not turned


def test_a_smaller_sample_or_a_stronger_prior_moves_less():
    assert 0 < change(fit(40))["thematic"] < change(fit(200))["thematic"] < change(fit(800))["thematic"]
    assert change(fit(200, prior_decisions=1000.0))["thematic"] < change(fit(200))["thematic"]
    assert fit(40).training_["shrinkage"] == pytest.approx(100 / 140)


def test_the_same_decisions_give_the_same_weights():
    a, b = (MatchRanker(max_queries=200).fit(history(), decisions(100)) for _ in range(2))
    assert np.array_equal(a.weights_, b.weights_) and a.training_ == b.training_


def test_the_same_data_give_the_same_weights_in_any_process():
    # String hashing differs between processes: nothing fitted may depend on set order.
    script = ("from matchmaker.engine.documents import read_records; from matchmaker.engine.model import MatchRanker; "
              "from matchmaker.settings import PROJECT_ROOT; "
              "print(MatchRanker(max_queries=200).fit(read_records(PROJECT_ROOT / 'seed' / 'history.csv')).weights_.tolist())")
    runs = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(runs) == 1
