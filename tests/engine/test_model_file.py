"""The saved ranker survives crashes: written atomically, fitted by one process at a time,
and a damaged file is refitted rather than fatal."""

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from support import fitted, history

from matchmaker.engine.persistence import load_model, save_model
from matchmaker.ranking.service import fit_or_load

SAVE_FOREVER = """
import sys
from pathlib import Path
sys.path.insert(0, {support!r})
from support import fitted
from matchmaker.engine.persistence import save_model
model = fitted()
print("saving", flush=True)
while True:
    save_model(model, Path({path!r}))
"""

FIT_OR_LOAD = """
import sys
from pathlib import Path
sys.path.insert(0, {support!r})
from support import history
from matchmaker.ranking.service import fit_or_load
print(fit_or_load(Path({path!r}), history(), []).weights_.tolist())
"""


def test_a_damaged_model_file_is_refitted_and_replaced(tmp_path, caplog):
    path = tmp_path / "ranker.skops"
    save_model(fitted(), path, {"data_reference": "older data"})
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # what a crash during a plain write left behind
    model = fit_or_load(path, history(), [])
    assert np.array_equal(model.weights_, fitted().weights_)
    assert "ignoring the saved ranker" in caplog.text
    assert np.array_equal(load_model(path)[0].weights_, model.weights_)  # a whole file again
    assert fit_or_load(path, history(), []).weights_.tolist() == model.weights_.tolist()


def test_a_process_killed_while_saving_leaves_a_whole_file(tmp_path):
    path, support = tmp_path / "ranker.skops", str(Path(__file__).parent)
    for delay in (0.05, 0.2, 0.45):
        process = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER.format(support=support, path=str(path))],
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "saving\n"
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if path.exists():
            load_model(path)  # raises on a partial file
    assert path.exists()


def test_processes_starting_together_fit_one_model_between_them(tmp_path):
    path, support = tmp_path / "ranker.skops", str(Path(__file__).parent)
    script = FIT_OR_LOAD.format(support=support, path=str(path))
    processes = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert load_model(path)[1]["records"] == len(history())


def test_a_model_of_another_feature_list_is_refitted_not_used(tmp_path):
    # A model saved by a version that computed other features, on this very data.
    path = tmp_path / "ranker.skops"
    model = fit_or_load(path, history(), [])
    older = copy.deepcopy(fitted())  # (the shared fitted model stays as it is)
    older.feature_names_ = older.feature_names_[:-1]
    older.weights_ = older.weights_[:-1] / older.weights_[:-1].sum()
    save_model(older, path, load_model(path)[1])
    refitted = fit_or_load(path, history(), [])
    assert refitted.feature_names_ == model.feature_names_
    assert np.array_equal(refitted.weights_, model.weights_)
    assert load_model(path)[0].feature_names_ == model.feature_names_  # the file is replaced
    assert load_model(path)[1]["features"] == model.feature_names_
