"""The evaluation command on a fixture whose answers can be worked out by hand, and the CSV reader."""

import io
from math import log2
from pathlib import Path

import pytest

from matchmaker.engine.documents import read_records
from matchmaker.evaluation.evaluate import evaluate
from matchmaker.evaluation.metrics import summary

FIXTURES = Path(__file__).parent.parent / "engine" / "fixtures"


def test_evaluate_on_a_hand_checked_fixture():
    out = io.StringIO()
    results = evaluate(FIXTURES / "evaluate_train.csv", FIXTURES / "evaluate_test.csv", out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:4]] == ["matchmaker", "popularity", "tfidf", "bm25"]
    # The whole picture in one run: the new-funder protocol's figures follow, ours beside BM25's.
    assert [line.split(" MRR")[0] for line in lines[4:]] == ["matchmaker new-funder", "bm25 new-funder"]
    assert set(results["bm25 (new funders)"]) == {"new", "all", "n_new"}
    # t3's funder has no training record: two queries. t1 goes to A everywhere; t2 (funder B,
    # in Senegal where only A funded) ranks 1 by text, 2 by popularity (B ties C at 0, behind A).
    assert results["popularity"] == {"R@1": 0.5, "R@10": 1.0, "MRR": 0.75, "NDCG@10": pytest.approx((1 + 1 / log2(3)) / 2), "n": 2}
    for name in ("matchmaker", "tfidf", "bm25"):
        assert results[name] == {"R@1": 1.0, "R@10": 1.0, "MRR": 1.0, "NDCG@10": 1.0, "n": 2}, name
    assert lines[1] == "popularity R@1 0.500 R@10 1.000 MRR 0.750 NDCG@10 0.815"


def test_metrics_count_ties_in_the_answers_favour():
    assert summary([1, 3, 20])["MRR"] == pytest.approx((1 + 1 / 3 + 1 / 20) / 3)
    assert summary([1, 3, 20])["R@10"] == pytest.approx(2 / 3)


def test_reader_is_tolerant():
    records = read_records(FIXTURES / "tolerant.csv")
    assert [r.record_id for r in records] == ["r1", "r2"]  # a row without funder is skipped
    first, second = records
    assert first.countries == ("SEN", "MLI") and first.language == "fr" and first.year == 2019
    assert first.sectors == ("Facilitation of orderly, safe, regular and responsible migration and mobility",)
    assert first.description == "Long description\nover two lines" and first.amount_usd == 1000.5
    assert second.countries == () and second.region == "Africa" and second.sectors == ("15190", "15110")
    assert second.language is None and second.amount_usd is None and second.year is None
