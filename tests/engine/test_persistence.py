"""skops persistence with an allow-list."""

import numpy as np
import pytest
import skops.io as sio
from support import TODAY, fitted, need, offer

from matchmaker.engine.index import OfferIndex
from matchmaker.engine.persistence import (
    UntrustedModelError,
    data_reference,
    load_model,
    save_model,
)


class Payload:
    """A type no allow-list knows."""


def test_round_trip_keeps_weights_scores_and_metadata(tmp_path):
    ranker, path = fitted(), tmp_path / "ranker.skops"
    csv = tmp_path / "train.csv"
    csv.write_text("record_id,funder_id,title\nr1,F,Border\nr2,F,Water\n")
    save_model(ranker, path, {"data": data_reference(csv), "metrics": {"MRR": 0.5}})
    loaded, metadata = load_model(path)
    assert np.array_equal(loaded.weights_, ranker.weights_)
    assert metadata["data"]["rows"] == 2 and len(metadata["data"]["sha256"]) == 64
    assert metadata["metrics"] == {"MRR": 0.5} and "scikit-learn" in metadata["versions"]
    offers = [offer("a", title="Border management")]
    assert np.array_equal(loaded.score([need()], OfferIndex.build(offers, None, loaded), TODAY),
                          ranker.score([need()], OfferIndex.build(offers, None, ranker), TODAY))


def test_untrusted_types_are_refused(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"model": Payload(), "metadata": {}}, path)
    with pytest.raises(UntrustedModelError, match="Payload"):
        load_model(path)
