"""``matchmaker train``: refit how the ranker combines its evidence, from history and decisions.

Reports, before and after: MRR on the most recent funding records held out from the
profiles, and how well scores separate the coordinators' approvals from their rejections
(ROC AUC). The new model is saved where the service loads it, and every worker is told
to reload it (no restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import asyncpg
from sklearn.metrics import roc_auc_score

from matchmaker.ranking.documents import DecisionRecord, FundingRecord
from matchmaker.ranking.history import FunderHistory
from matchmaker.ranking.index import OfferIndex
from matchmaker.ranking.learning import combine
from matchmaker.ranking.model import MatchRanker
from matchmaker.ranking.persistence import exclusive, load_model, save_model
from matchmaker.ranking.queries import ranking_sql
from matchmaker.ranking.service import data_reference, load_training_data

log = logging.getLogger(__name__)


def decision_auc(model: MatchRanker, records: list[FundingRecord], decisions: list[DecisionRecord]) -> float | None:
    """ROC AUC of the model's scores for approved (1) against rejected (0) pairs; eligibility ignored,
    since an approval itself may have used up the offer."""
    labels = [d.approved for d in decisions]
    if len(set(labels)) < 2:
        return None
    history = FunderHistory(records, model.encoder_) if records else None
    scores = []
    for d in decisions:
        values, available, _ = model.evidence([d.need], OfferIndex([d.offer], history, model.encoder_))
        scores.append(float(combine(values[0], available[0], model.weights_, model.min_evidence)[0]))
    return float(roc_auc_score(labels, scores))


def _line(name: str, model: MatchRanker | None, records, decisions, mrr: float | None) -> str:
    auc = decision_auc(model, records, decisions) if model is not None else None
    fmt = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
    return f"{name:<8} history MRR {fmt(mrr)}  decisions AUC {fmt(auc)}"


async def train(conn: asyncpg.Connection, model_path: Path,
                progress: Callable[[str, int, int | None], None] = lambda *_: None) -> str:
    """Refit, report before and after, save; ``progress(step, done, total)`` hears of each step."""
    progress("reading training data", 0, 1)
    records, decisions = await load_training_data(conn)
    progress("reading training data", 1, 1)
    before = None
    if model_path.exists():
        try:
            before, _ = load_model(model_path)
        except Exception as exc:  # a damaged file is replaced below
            log.warning("the saved ranker at %s cannot be read (%s); it will be replaced", model_path, exc)
    progress("fitting the ranker", 0, 1)
    after = MatchRanker().fit(records, decisions)
    progress("fitting the ranker", 1, 1)
    progress("scoring decisions", 0, 1)
    lines = [
        f"training data: {len(records)} funding records, {len(decisions)} decisions "
        f"({sum(d.approved for d in decisions)} approved)",
        _line("prior", None, records, decisions, after.training_.get("mrr_prior")),
    ]
    if before is not None:
        lines.append(_line("before", before, records, decisions, None))
    lines.append(_line("after", after, records, decisions, after.training_.get("mrr_fitted")))
    progress("scoring decisions", 1, 1)
    lines.append("block weights: " + ", ".join(f"{b} {w:.3f}" for b, w in after.block_weights().items()))
    progress("saving", 0, 1)
    with exclusive(model_path):
        save_model(after, model_path, {"data_reference": data_reference(records, decisions),
                                       "records": len(records), "decisions": len(decisions), "training": after.training_})
    await ranking_sql.notify_model_changed(conn)
    progress("saving", 1, 1)
    lines.append(f"saved to {model_path}; running workers reload it now")
    return "\n".join(lines)



