"""Ranking metrics for one right answer per query: recall@k, MRR, NDCG@10.

Ranks count ties in the right answer's favour (rank = 1 + number of strictly better
candidates), as the bench README does. With a single relevant item, NDCG@10 is
1/log2(rank + 1) when the rank is at most 10, else 0 (the ideal DCG is 1).
"""

from __future__ import annotations

import numpy as np


def ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of each row's true column in ``scores`` (queries, candidates)."""
    true_scores = scores[np.arange(len(truth)), truth]
    return 1 + np.sum(scores > true_scores[:, None], axis=1)


def summary(rank: np.ndarray) -> dict[str, float]:
    rank = np.asarray(rank, dtype=np.float64)
    if not rank.size:
        return {"R@1": 0.0, "R@10": 0.0, "MRR": 0.0, "NDCG@10": 0.0, "n": 0}
    return {
        "R@1": float(np.mean(rank <= 1)),
        "R@10": float(np.mean(rank <= 10)),
        "MRR": float(np.mean(1 / rank)),
        "NDCG@10": float(np.mean(np.where(rank <= 10, 1 / np.log2(rank + 1), 0.0))),
        "n": int(rank.size),
    }


def line(name: str, metrics: dict[str, float]) -> str:
    """``<name> R@1 <x> R@10 <x> MRR <x> NDCG@10 <x>`` with 3 decimals."""
    return f"{name} " + " ".join(f"{key} {metrics[key]:.3f}" for key in ("R@1", "R@10", "MRR", "NDCG@10"))
