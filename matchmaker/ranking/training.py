"""``matchmaker train``: refit how the ranker combines its evidence, from history and decisions.

The report says what the new weights rest on and how sure they are: the sample sizes;
each block's weight fitted to history alone and after the decisions, with its spread over
bootstrap resamples of the decisions; how well scores separate held-out approvals from
rejections (ROC AUC, each decision scored by weights learned without it) before and after,
with 95 % bootstrap intervals — or that there are too few decisions to tell; and the history
MRR, to show what the decisions cost on the funding records. The new model is saved where
the service loads it, and every worker is told to reload it (no restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import asyncpg
import msgspec
import numpy as np
from scipy.stats import rankdata

from matchmaker.engine.documents import DecisionRecord, FundingRecord
from matchmaker.engine.learning import Pairs, combine
from matchmaker.engine.model import MatchRanker
from matchmaker.engine.persistence import exclusive, load_model, save_model
from matchmaker.ranking.queries import ranking_sql
from matchmaker.ranking.service import data_reference, load_training_data

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
FOLDS = 5
WEIGHT_RESAMPLES = 100  # each one a refit on the decisions
SCORE_RESAMPLES = 2000  # each one an AUC of scores already computed


class Interval(msgspec.Struct, frozen=True):
    """An estimate and its 95 % interval."""

    value: float
    low: float
    high: float


class BlockChange(msgspec.Struct, frozen=True, kw_only=True):
    """One block's weight: in the saved model (if any), fitted to history, after the decisions
    (``learned``), and the standard deviation of ``learned`` over resampled decisions."""

    block: str
    saved: float | None
    history: float
    learned: float
    spread: float | None


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """A quality measure on ``n`` held-out cases, before and after the decisions."""

    measure: str
    n: int
    before: Interval
    after: Interval
    change: Interval


class HistoryChange(msgspec.Struct, frozen=True, kw_only=True):
    """MRR on the ``n`` history groups with the history-fitted weights and after the decisions.
    The weights were fitted to these groups: this shows what the decisions cost on history."""

    n: int
    before: float
    after: float
    change: Interval


class TrainingReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a refit learned from, what it changed, and how sure that is."""

    records: int
    history_groups: int
    decisions: int
    approved: int
    rejected: int
    min_decisions: int
    max_block_step: float
    learned: bool
    shrinkage: float | None
    kept: float | None
    blocks: list[BlockChange]
    decision_auc: Comparison | None  # None: too few decisions to tell
    history_mrr: HistoryChange | None


def _resample(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, n) bootstrap indices drawn within each outcome, approvals first: every resample
    keeps the sample's numbers of approvals and rejections."""
    parts = []
    for label in (1.0, 0.0):
        where = np.flatnonzero(labels == label)
        parts.append(where[rng.integers(0, len(where), (size, len(where)))])
    return np.concatenate(parts, axis=1)


def _auc(scores: np.ndarray, positives: int) -> np.ndarray:
    """ROC AUC of each row of ``scores`` whose first ``positives`` columns are the approvals."""
    ranks = rankdata(scores, axis=-1)
    negatives = scores.shape[-1] - positives
    return (ranks[..., :positives].sum(axis=-1) - positives * (positives + 1) / 2) / (positives * negatives)


def _interval(value: float, resampled: np.ndarray) -> Interval:
    low, high = np.percentile(resampled, [2.5, 97.5])
    return Interval(value, float(low), float(high))


def _scores(model: MatchRanker, pairs: Pairs, weights: np.ndarray) -> np.ndarray:
    return combine(pairs.values, pairs.available, weights, model.min_evidence).astype(np.float64)


def _held_out_scores(model: MatchRanker, pairs: Pairs, rng: np.random.Generator) -> np.ndarray:
    """Each decision's score under weights learned from the other folds of decisions (folds
    drawn within each outcome)."""
    labels = pairs.labels
    fold = np.empty(len(labels), dtype=np.intp)
    for label in (0.0, 1.0):
        where = np.flatnonzero(labels == label)
        fold[rng.permutation(where)] = np.arange(len(where)) % FOLDS
    scores = np.empty(len(labels))
    for k in range(FOLDS):
        train, test = fold != k, fold == k
        weights = model.history_weights_
        if len(set(labels[train])) == 2:  # one outcome alone teaches nothing
            weights = model.fit_decisions(Pairs(*(a[train] for a in pairs))).weights
        scores[test] = _scores(model, Pairs(*(a[test] for a in pairs)), weights)
    return scores


def _decision_auc(model: MatchRanker, pairs: Pairs, rng: np.random.Generator) -> Comparison:
    labels = pairs.labels
    order = np.concatenate([np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)])
    positives = int(labels.sum())
    before = _scores(model, pairs, model.history_weights_)[order]
    after = _held_out_scores(model, pairs, rng)[order]
    picks = _resample(labels[order], SCORE_RESAMPLES, rng)
    auc_before, auc_after = _auc(before[picks], positives), _auc(after[picks], positives)
    b, a = float(_auc(before, positives)), float(_auc(after, positives))
    return Comparison(measure="AUC", n=len(labels), before=_interval(b, auc_before), after=_interval(a, auc_after),
                      change=_interval(a - b, auc_after - auc_before))


def _weight_spread(model: MatchRanker, pairs: Pairs, rng: np.random.Generator, progress: Progress) -> np.ndarray:
    """Standard deviation of each block's learned weight over resampled decisions."""
    picks = _resample(pairs.labels, WEIGHT_RESAMPLES, rng)
    blocks = []
    for i, pick in enumerate(picks):
        progress("resampling decisions", i, len(picks))
        weights = model.fit_decisions(Pairs(*(a[pick] for a in pairs))).weights
        blocks.append(list(model.block_weights(weights).values()))
    progress("resampling decisions", len(picks), len(picks))
    return np.std(blocks, axis=0)


def assess(model: MatchRanker, records: list[FundingRecord], decisions: list[DecisionRecord],
           saved: MatchRanker | None = None, progress: Progress = lambda *_: None) -> TrainingReport:
    """The report on a model just fitted on ``records`` and ``decisions``; ``saved``: the model it replaces."""
    info = model.training_
    learned = model.enough_decisions([d.approved for d in decisions])
    rng = np.random.default_rng(model.random_state)
    spread, auc = None, None
    if learned:
        pairs = model.decision_pairs(records, decisions)
        auc = _decision_auc(model, pairs, rng)
        spread = _weight_spread(model, pairs, rng, progress).tolist()
    history, after = model.block_weights(model.history_weights_), model.block_weights()
    before = saved.block_weights() if saved is not None else {}
    blocks = [BlockChange(block=b, saved=before.get(b), history=history[b], learned=after[b],
                          spread=None if spread is None else spread[k]) for k, b in enumerate(after)]
    mrr = None
    if info.get("queries"):
        change, se = info["mrr_fitted"] - info["mrr_history"], info["mrr_change_se"]
        mrr = HistoryChange(n=int(info["queries"]), before=info["mrr_history"], after=info["mrr_fitted"],
                            change=Interval(change, change - 1.96 * se, change + 1.96 * se))
    return TrainingReport(
        records=len(records), history_groups=int(info.get("queries", 0)), decisions=len(decisions),
        approved=int(info["approved"]), rejected=int(info["rejected"]), min_decisions=model.min_decisions,
        max_block_step=model.max_block_step, learned=learned,
        shrinkage=info.get("shrinkage"), kept=info.get("kept"), blocks=blocks, decision_auc=auc, history_mrr=mrr,
    )


def _verdict(change: Interval) -> str:
    if change.low > 0:
        return "better"
    if change.high < 0:
        return "worse"
    return "no clear difference"


def format_report(report: TrainingReport) -> list[str]:
    """The report as lines of text."""
    r = report
    lines = [f"training data: {r.records} funding records ({r.history_groups} history groups), {r.decisions} "
             f"decisions ({r.approved} approved, {r.rejected} rejected)"]
    if r.learned:
        lines.append(f"decisions: learned from all {r.decisions}; pulled towards the history-fitted weights with "
                     f"shrinkage {r.shrinkage:.2f}, and {r.kept:.0%} of that move kept (no block moves more than "
                     f"{r.max_block_step:.2f})")
    else:
        lines.append(f"decisions: too few to learn from ({r.decisions}; at least {r.min_decisions} with both "
                     "approvals and rejections): the weights are the history-fitted ones")
    saved = r.blocks[0].saved is not None
    lines.append("block weights: " + ("saved model, " if saved else "") + "history-fitted → after decisions"
                 + (f" (± standard deviation over {WEIGHT_RESAMPLES} resamples of the decisions)" if r.learned else ""))
    for b in r.blocks:
        spread = f" ± {b.spread:.3f}" if b.spread is not None else ""
        lines.append(f"  {b.block:<17}" + (f"{b.saved:.3f}  " if b.saved is not None else "")
                     + f"{b.history:.3f} → {b.learned:.3f}  (change {round(b.learned - b.history, 3) + 0.0:+.3f}{spread})")
    if (auc := r.decision_auc) is not None:
        lines.append(
            f"held-out decisions ({auc.n}: {r.approved} approved, {r.rejected} rejected; {FOLDS}-fold, each scored by "
            f"weights learned without it): AUC {_ci(auc.before)} → {_ci(auc.after)}, change {_ci(auc.change, '+')}: "
            f"{_verdict(auc.change)}")
    else:
        lines.append(f"held-out decisions: too few to tell ({r.decisions} decisions)")
    if (mrr := r.history_mrr) is not None and not r.learned:
        lines.append(f"history MRR ({mrr.n} recent records, the ones the weights were fitted to): {mrr.before:.3f}")
    elif mrr is not None:
        lines.append(f"history MRR ({mrr.n} recent records, the ones the weights were fitted to): "
                     f"{mrr.before:.3f} → {mrr.after:.3f}, change {_ci(mrr.change, '+')}")
    return lines


def _ci(x: Interval, sign: str = "") -> str:
    return f"{x.value:{sign}.3f} [95% {x.low:{sign}.3f}, {x.high:{sign}.3f}]"


async def train(conn: asyncpg.Connection, model_path: Path, progress: Progress = lambda *_: None) -> str:
    """Refit, report what changed and how sure that is, save; ``progress(step, done, total)`` hears of each step."""
    progress("reading training data", 0, 1)
    records, decisions = await load_training_data(conn)
    progress("reading training data", 1, 1)
    saved = None
    if model_path.exists():
        try:
            saved, _ = load_model(model_path)
        except Exception as exc:  # a damaged file is replaced below
            log.warning("the saved ranker at %s cannot be read (%s); it will be replaced", model_path, exc)
    progress("fitting the ranker", 0, 1)
    after = MatchRanker().fit(records, decisions)
    progress("fitting the ranker", 1, 1)
    report = assess(after, records, decisions, saved, progress)
    lines = format_report(report)
    progress("saving", 0, 1)
    with exclusive(model_path):
        save_model(after, model_path, {"data_reference": data_reference(records, decisions), "records": len(records),
                                       "decisions": len(decisions), "training": after.training_,
                                       "report": msgspec.to_builtins(report)})
    await ranking_sql.notify_model_changed(conn)
    progress("saving", 1, 1)
    lines.append(f"saved to {model_path}; running workers reload it now")
    return "\n".join(lines)
