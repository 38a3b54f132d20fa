"""How evidence features combine into one score, and how their weights are learned.

    score = Σ_f w_f·v_f·a_f / max(Σ_f w_f·a_f, min_evidence)

with v_f ∈ [0, 1] the feature's value, a_f ∈ {0, 1} whether it is available for the pair
(both sides said something), and weights w ≥ 0 summing to 1. Missing evidence is thus
neither good nor bad: the score is the weighted mean of the evidence there is (a new
funder ranks on its declared offer, a funder without a declared text on its history),
but a pair with little evidence at all (less weight than ``min_evidence``) cannot reach
a high score. Each term is a feature's exact contribution, so an explanation adds up.

The weights are the softmax of free parameters, fitted deterministically (L-BFGS) on
- listwise groups: a need, its true funder in slot 0 and the other candidates (history);
- labelled pairs: coordinators' approvals (1) and rejections (0), by logistic regression
  on the score;
with a Dirichlet-like prior (KL to prior weights) that keeps evidence the data cannot see
(e.g. offer text when training on history alone) at its prior share.

Decisions are few, noisy and arrive one by one, so ``fit_to_decisions`` only moves weights
already fitted (to history) and does so cautiously: the decisions' log-loss is mixed with
KL(current‖w) in the proportions n : n0, so that the current weights count as n0 decisions
and the pull towards them fades as decisions accumulate, and the move is then scaled down
until no block's weight has moved by more than a bound.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_softmax, softmax
from threadpoolctl import threadpool_limits


class Groups(NamedTuple):
    """Listwise training data: (groups, candidates, features), the positive in slot 0."""

    values: np.ndarray
    available: np.ndarray
    valid: np.ndarray


class Pairs(NamedTuple):
    """Labelled pairs: (pairs, features) and 0/1 labels."""

    values: np.ndarray
    available: np.ndarray
    labels: np.ndarray


def combine(values: np.ndarray, available: np.ndarray, weights: np.ndarray, min_evidence: float) -> np.ndarray:
    """Scores of feature arrays shaped (..., features)."""
    return (values * available) @ weights / np.maximum(available @ weights, min_evidence)


class _Flat(NamedTuple):
    """Training arrays flattened to (rows, features) float64, computed once per fit."""

    weighted: np.ndarray
    available: np.ndarray


def _flat(values: np.ndarray, available: np.ndarray) -> _Flat:
    # float32 halves the memory traffic that dominates each step; sums come back as float64.
    d = values.shape[-1]
    available = available.reshape(-1, d).astype(np.float32)
    return _Flat(values.reshape(-1, d).astype(np.float32) * available, available)


def _scores(flat: _Flat, weights: np.ndarray, min_evidence: float):
    """Scores, their denominators, and where the denominator is not floored."""
    w = weights.astype(np.float32)
    raw = (flat.available @ w).astype(np.float64)
    den = np.maximum(raw, min_evidence)
    return (flat.weighted @ w).astype(np.float64) / den, den, raw > min_evidence


def _back(g_scores: np.ndarray, scores, den, active, flat: _Flat) -> np.ndarray:
    """Chain rule from d loss / d score to d loss / d weights."""
    a = (g_scores / den).astype(np.float32) @ flat.weighted
    b = (g_scores * scores * active / den).astype(np.float32) @ flat.available
    return a.astype(np.float64) - b


def fit_weights(
    prior: np.ndarray,
    groups: Groups | None,
    pairs: Pairs | None,
    regularization: float,
    min_evidence: float,
) -> tuple[np.ndarray, dict[str, float]]:
    """Weights (on the simplex) minimising listwise + pairwise log-loss + λ·KL(prior‖w)."""
    prior = np.asarray(prior, dtype=np.float64) / np.sum(prior)
    d = len(prior)
    listwise = groups if groups is not None and len(groups.values) else None
    pointwise = pairs if pairs is not None and len(pairs.values) else None
    if listwise is not None:
        group_flat, shape = _flat(listwise.values, listwise.available), listwise.valid.shape
    if pointwise is not None:
        pair_flat = _flat(pointwise.values, pointwise.available)

    def loss(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, log_beta, bias, log_slope = x[:d], x[d], x[d + 1], x[d + 2]
        w = softmax(theta)
        total = regularization * float(prior @ (np.log(prior) - np.log(w)))
        g_w = -regularization * prior / w
        grad = np.zeros_like(x)
        if listwise is not None:
            beta = np.exp(log_beta)
            s, den, active = _scores(group_flat, w, min_evidence)
            logits = np.where(listwise.valid, beta * s.reshape(shape), -np.inf)
            logp = log_softmax(logits, axis=1)
            total += float(-logp[:, 0].mean())
            residual = np.where(listwise.valid, np.exp(logp), 0.0)
            residual[:, 0] -= 1
            residual = residual.ravel() / shape[0]
            g_w += _back(beta * residual, s, den, active, group_flat)
            grad[d] = float(residual @ s) * beta
        if pointwise is not None:
            slope = np.exp(log_slope)
            s, den, active = _scores(pair_flat, w, min_evidence)
            z = bias + slope * s
            total += float(np.mean(np.logaddexp(0, z) - pointwise.labels * z))
            residual = (expit(z) - pointwise.labels) / len(z)
            g_w += _back(slope * residual, s, den, active, pair_flat)
            grad[d + 1] = float(residual.sum())
            grad[d + 2] = float(np.sum(residual * s)) * slope
        grad[:d] = w * (g_w - w @ g_w)
        return total, grad

    start = np.concatenate([np.log(prior), [np.log(20.0), 0.0, np.log(5.0)]])
    bounds = [(-20.0, 20.0)] * d + [(np.log(0.1), np.log(1e4)), (-50.0, 50.0), (np.log(0.1), np.log(1e4))]
    # Each step is a few skinny matrix-vector products: BLAS threads only add their hand-offs,
    # many times over on a busy machine (a 10k-record fit: 22 s with them, 6 s without).
    with threadpool_limits(1, "blas"):
        result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    weights = softmax(result.x[:d])
    return weights, {"loss": float(result.fun), "iterations": int(result.nit), "temperature": float(np.exp(result.x[d]))}


class DecisionFit(NamedTuple):
    """Weights moved by decisions: ``shrinkage`` = n0/(n0+n), the share of the objective that
    pulls towards the current weights; ``kept``, the share of the fitted move within the bound."""

    weights: np.ndarray
    shrinkage: float
    kept: float


def fit_to_decisions(
    current: np.ndarray,
    pairs: Pairs,
    blocks: np.ndarray,
    prior_decisions: float,
    max_block_step: float,
    min_evidence: float,
) -> DecisionFit:
    """Weights minimising (n·log-loss + n0·KL(current‖w)) / (n + n0) over the pairs, then
    moved back along the line to ``current`` until every block (``blocks``: features ×
    blocks, 0/1) has moved by at most ``max_block_step``."""
    current = np.asarray(current, dtype=np.float64)
    n = len(pairs.labels)
    shrinkage = prior_decisions / (prior_decisions + n)
    weights, _ = fit_weights(current, None, pairs, shrinkage / (1 - shrinkage), min_evidence)
    moved = np.abs((weights - current) @ blocks).max()
    kept = 1.0 if moved <= max_block_step else max_block_step / moved
    # A point between two points of the simplex is on it: still non-negative, still sums to one.
    return DecisionFit(current + kept * (weights - current), shrinkage, kept)
