"""Explanations a person can trust: same-meaning links, no generic words, shortfalls, labels, languages, exclusions."""

import pytest
from support import TODAY, fitted, history, need, offer

from matchmaker.engine.eligibility import RULES
from matchmaker.engine.index import NeedIndex, OfferIndex
from matchmaker.engine.text import shared_terms
from matchmaker.engine.wording import language_of


def ranked_one(the_need, the_offer, language="en"):
    ranker = fitted()
    (result,) = ranker.rank(the_need, OfferIndex.build([the_offer], history(), ranker), today=TODAY, language=language)
    assert sum(f.contribution for f in result.explanation) == result.score  # shortfalls take nothing off
    return result


def test_a_training_need_and_a_money_only_offer_show_the_shortfall():
    result = ranked_one(need(resource_types=("financial", "training")), offer("money", resource_types=("financial",)))
    (short,) = [s for s in result.shortfalls if s.kind == "resource_type"]
    assert short.factor == "resources_amount" and short.contribution == 0
    assert short.detail == "does not provide training, which the need asks for"
    assert "provides money" in next(f.detail for f in result.explanation if f.factor == "resources_amount")


def test_an_amount_above_the_largest_grant_is_flagged_and_expertise_is_not_called_a_grant():
    result = ranked_one(need(amount_usd=500_000.0), offer("small", max_usd=100_000.0))
    (short,) = [s for s in result.shortfalls if s.kind == "amount"]
    assert short.detail == "one grant covers at most 20% of the $500K needed (at most $100K)"
    whole = ranked_one(need(amount_usd=50_000.0), offer("big", max_usd=100_000.0))
    assert not [s for s in whole.shortfalls if s.kind == "amount"]
    expertise = ranked_one(need(resource_types=("technical_expertise",), amount_usd=500_000.0),
                           offer("experts", resource_types=("technical_expertise",), max_usd=100_000.0))
    assert not expertise.shortfalls and "grant" not in str(expertise.explanation)


def test_a_need_unlike_the_funders_usual_amounts_is_flagged():
    # borders-fund funded 100k each time; a 5M need is not what it usually funds.
    result = ranked_one(need(amount_usd=5_000_000.0), offer("b", funder_id="borders-fund", max_usd=None))
    (usual,) = [s for s in result.shortfalls if s.kind == "usual_amount"]
    assert usual.factor == "history" and usual.detail == "usually funds about $100K; this need asks $5M"


def test_phrases_are_linked_only_within_one_concept_and_generic_words_are_never_evidence():
    ranker = fitted()
    terms = shared_terms("Projet de documents de voyage pour les agents", "Biometric enrolment projet agents",
                         informative=ranker.encoder_.informative)
    assert terms == []  # passports and biometrics share only a broader concept; "projet", "agents" say nothing
    assert shared_terms("Lutte contre la fraude documentaire", "Document fraud detection") == [
        "fraude documentaire ~ Document fraud"]
    assert shared_terms("Lucha contra el fraude documental", "Document fraud") == ["fraude documental ~ Document fraud"]
    assert shared_terms("registres papier aux frontières", "human mobility") == []  # "sans-papiers" is no "papier"
    assert shared_terms("Biometric kiosks for Dakar", "Biometric kits for Dakar") == ["Biometric", "Dakar"]
    assert shared_terms("the and with de la", "the and with de la") == []


def test_labels_are_calibrated_on_held_out_records():
    ranker = fitted()
    strong, good, fair = ranker.label_thresholds_
    assert strong >= good >= fair > 0
    assert ranker.training_["label_source"] == "history" and ranker.training_["label_matches"] > 0
    result = ranked_one(need(), offer("b", funder_id="borders-fund"))
    expected = next(level for level, cut in zip(("strong", "good", "fair"), ranker.label_thresholds_)
                    if result.score >= cut) if result.score >= fair else "weak"
    assert result.label.level == expected and result.label.text == f"{expected} match"


def test_three_languages_one_logic():
    the_need, the_offer = need(title="Border management", gcm_objectives=(11,)), offer("b", gcm_objectives=(11,))
    details = {lang: [f.detail for f in ranked_one(the_need, the_offer, lang).explanation] for lang in ("en", "fr", "es")}
    assert details["en"][1] == "shares GCM objective 11"
    assert details["fr"][1] == "partage l'objectif 11 du PMM"
    assert details["es"][1] == "comparte el objetivo 11 del PMM"
    assert details["fr"][2] == "offre mondiale" and details["es"][2] == "oferta mundial"


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("fr", "fr"), ("es-MX,es;q=0.9", "es"), ("de, fr;q=0.3, es;q=0.7", "es"),
    ("fr;q=0, es;q=0.1", "es"), ("*", "en"), ("de-DE", "en"), ("fr;q=abc, es;q=0.2", "es"),
])
def test_accept_language(header, language):
    assert language_of(header) == language


def test_exclusions_count_each_offer_under_the_first_rule_it_fails():
    ranker = fitted()
    offers = [offer("ok"), offer("volunteers", resource_types=("volunteers",)),
              offer("asia", global_=False, regions=("Asia",)), offer("big", min_usd=1e6),
              offer("late", deadline=TODAY.replace(year=2020), resource_types=("volunteers",))]
    index = OfferIndex.build(offers, history(), ranker)
    counts = ranker.excluded(need(), index, today=TODAY)
    assert counts == {"closed": 0, "deadline": 1, "resource_type": 1, "geography": 1, "amount": 1}
    assert ranker.excluded(need(deadline=TODAY.replace(year=2020)), index, today=TODAY)["deadline"] == 5
    assert list(counts) == list(RULES)
    needs = NeedIndex.build([need(id="sen"), need(id="vnm", countries=("VNM",))], history(), ranker)
    only_senegal = offer("sen", global_=False, countries=("SEN",))
    assert ranker.excluded_needs(only_senegal, needs, today=TODAY)["geography"] == 1
    assert ranker.excluded_needs(only_senegal, needs, today=TODAY, allowed_ids={"sen"})["geography"] == 0


@pytest.mark.parametrize(("language", "words"), [("en", "covers Western Africa"), ("fr", "couvre Afrique de l'Ouest"),
                                                 ("es", "cubre África occidental")])
def test_regions_are_named_in_the_reader_s_language(language, words):
    result = ranked_one(need(countries=("SEN",)), offer("west", global_=False, regions=("Western Africa",)), language)
    assert next(f.detail for f in result.explanation if f.factor == "geography") == words
