"""The report of ``matchmaker train``: sample sizes, weight changes with their spread, held-out
quality with intervals, or that there are too few decisions to tell."""

from matchmaker.ranking.training import assess, format_report
from tests.engine.support import decisions, fitted, history
from tests.engine.support import fitted_on_decisions as fit


def test_six_decisions_make_a_report_that_says_too_few():
    report = assess(fit(6), history(), decisions(6), saved=fitted())
    assert not report.learned and report.decision_auc is None
    assert (report.decisions, report.approved, report.rejected) == (6, 4, 2)
    assert all(b.learned == b.history and b.spread is None for b in report.blocks)
    text = "\n".join(format_report(report))
    assert "6 decisions (4 approved, 2 rejected)" in text
    assert "too few to learn from (6; at least 30" in text
    assert "held-out decisions: too few to tell" in text
    assert "AUC" not in text


def test_the_report_gives_sample_sizes_spreads_and_intervals():
    model = fit(200)
    report = assess(model, history(), decisions(200))
    assert report.learned and (report.decisions, report.approved + report.rejected) == (200, 200)
    assert report.history_groups == model.training_["queries"] > 0
    thematic = next(b for b in report.blocks if b.block == "thematic")
    assert thematic.spread is not None and 0 < thematic.spread < thematic.learned - thematic.history
    auc = report.decision_auc
    assert auc is not None and auc.n == 200
    assert auc.before.low <= auc.before.value <= auc.before.high and auc.change.low <= auc.change.high
    text = "\n".join(format_report(report))
    assert f"200 decisions ({report.approved} approved, {report.rejected} rejected)" in text
    assert "history groups" in text and "± " in text and "[95% " in text


def test_the_same_decisions_give_the_same_report():
    assert assess(fit(100), history(), decisions(100)) == assess(fit(100), history(), decisions(100))
