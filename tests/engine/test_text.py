"""Text evidence across English, French and Spanish."""

from support import TODAY, fitted, need, offer

from matchmaker.engine.index import OfferIndex
from matchmaker.engine.text import analyze, fold, shared_terms

OFFERS = [
    offer("border", title="Integrated border management", description="Support to border control and border posts"),
    offer("water", title="Rural water supply", description="Drinking water and sanitation for villages"),
    offer("remit", title="Remittances and diaspora", description="Lowering the cost of remittances sent by the diaspora"),
]


def test_fold_strips_accents_and_ligatures():
    assert fold("Gestión des Frontières, main-d'œuvre") == "gestion des frontieres, main-d'oeuvre"


def test_the_same_concept_in_three_languages():
    concept = "=border_management"
    for text in ("border management", "gestion des frontières", "gestión de fronteras"):
        assert concept in analyze(text), text
    assert "=remittances" in analyze("transferts de fonds") and "=remittances" in analyze("remesas")


def test_words_are_kept_unstemmed_for_matching_within_a_language():
    assert analyze("Countries enabled")[:2] == ["countries", "enabled"]


def test_french_need_ranks_the_english_border_offer_first():
    ranker = fitted()
    index = OfferIndex.build(OFFERS, None, ranker)
    french = need(title="Renforcement de la gestion des frontières", language="fr")
    ranked = ranker.rank(french, index, today=TODAY)
    assert ranked[0].offer_id == "border"
    text = next(f for f in ranked[0].explanation if f.factor == "text")
    assert text.contribution > 0 and "frontières ~" in text.detail


def test_spanish_need_ranks_the_english_remittances_offer_first():
    ranker = fitted()
    index = OfferIndex.build(OFFERS, None, ranker)
    spanish = need(title="Apoyo a las remesas de la diáspora", language="es")
    assert ranker.rank(spanish, index, today=TODAY)[0].offer_id == "remit"


def test_shared_terms_pair_own_concepts_not_broader_ones():
    terms = shared_terms("Apoyo a las remesas de la diáspora", "Diaspora remittances")
    assert "remesas ~ remittances" in terms and "remesas ~ Diaspora" not in terms
