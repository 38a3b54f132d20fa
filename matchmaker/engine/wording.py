"""Explanations in English, French and Spanish: one message table, numbers and money per language.

Every word an explanation shows comes from ``MESSAGES`` through a ``Words`` of one
language, so the logic that decides *what* to say is written once and only the table
differs by language. ``language_of`` picks the language from an ``Accept-Language``
header (q-values honoured; English when nothing supported is asked for).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel.lists import format_list
from babel.numbers import format_compact_currency, format_decimal, format_percent, get_decimal_symbol

from matchmaker.vocabulary import countries, region_translations

LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"

# One row per message: English, French, Spanish. ``{name}`` fields are filled by ``Words``.
_TABLE: dict[str, tuple[str, str, str]] = {
    # text
    "text": ("text: {terms}", "texte : {terms}", "texto: {terms}"),
    "text_none": ("no shared terms", "aucun terme en commun", "ningún término en común"),
    "text_no_evidence": ("no text evidence", "aucun indice dans les textes", "ningún indicio en los textos"),
    # thematic
    "shares": ("shares {parts}", "partage {parts}", "comparte {parts}"),
    "thematic_none": ("no shared objectives, areas or sectors", "aucun objectif, domaine ou secteur en commun",
                      "ningún objetivo, área o sector en común"),
    "gcm_1": ("GCM objective {items}", "l'objectif {items} du PMM", "el objetivo {items} del PMM"),
    "gcm_n": ("GCM objectives {items}", "les objectifs {items} du PMM", "los objetivos {items} del PMM"),
    "area_1": ("capacity area {items}", "le domaine {items}", "el área {items}"),
    "area_n": ("capacity areas {items}", "les domaines {items}", "las áreas {items}"),
    "sector_1": ("sector {items}", "le secteur {items}", "el sector {items}"),
    "sector_n": ("sectors {items}", "les secteurs {items}", "los sectores {items}"),
    "categories": ("DAC categories {items}", "les catégories CAD {items}", "las categorías CAD {items}"),
    # geography
    "diaspora_from": ("diaspora organisation from {country}", "organisation de la diaspora de : {country}",
                      "organización de la diáspora de: {country}"),
    "covers": ("covers {places}", "couvre {places}", "cubre {places}"),
    "global": ("global offer", "offre mondiale", "oferta mundial"),
    # resources and amount
    "provides": ("provides {types}", "apporte : {types}", "aporta {types}"),
    "resources_none": ("no declared resources or amounts", "ni ressources ni montants déclarés",
                       "ni recursos ni montos declarados"),
    "covers_whole": ("one grant can cover the whole {need} needed", "un seul financement peut couvrir les {need} demandés",
                     "una sola subvención puede cubrir los {need} solicitados"),
    "covers_part": ("one grant covers {share} of the {need} needed", "un financement couvre {share} des {need} demandés",
                    "una subvención cubre el {share} de los {need} solicitados"),
    # history
    "history_none": ("no funding history", "aucun historique de financement", "sin historial de financiación"),
    "history_match": ("funded {count} of its {total} projects {about}{since}",
                      "a financé {count} de ses {total} projets ({about}){since}",
                      "financió {count} de sus {total} proyectos {about}{since}"),
    "history_all": ("funded all {total} of its projects {about}{since}", "a financé tous ses {total} projets ({about}){since}",
                    "financió todos sus {total} proyectos {about}{since}"),
    "about_both": ("in {place} on “{topic}”", "lieu : {place} ; thème : « {topic} »", "en {place} sobre «{topic}»"),
    "about_place": ("in {place}", "lieu : {place}", "en {place}"),
    "about_topic": ("on “{topic}”", "thème : « {topic} »", "sobre «{topic}»"),
    "since": (" since {year}", " depuis {year}", " desde {year}"),
    "latest": ("latest: “{title}” ({year})", "dernier : « {title} » ({year})", "el último: «{title}» ({year})"),
    "like": ("past projects like “{title}”", "projets passés comparables : « {title} »",
             "proyectos anteriores similares: «{title}»"),
    "past_projects": ("{total} past projects", "{total} projets passés", "{total} proyectos anteriores"),
    # shortfalls: what the need asks that the offer does not give
    "lacks_resources": ("does not provide {types}, which the need asks for", "n'apporte pas ce que le besoin demande : {types}",
                        "no aporta {types}, que la necesidad pide"),
    "above_ticket": ("one grant covers at most {share} of the {need} needed (at most {cap})",
                     "un financement couvre au plus {share} des {need} demandés (au plus {cap})",
                     "una subvención cubre como máximo el {share} de los {need} solicitados (como máximo {cap})"),
    "no_money": ("gives no money towards the {need} needed", "n'apporte aucun financement pour les {need} demandés",
                 "no aporta dinero para los {need} solicitados"),
    "outside_usual": ("usually funds {low}–{high}; this need asks {need}", "finance d'ordinaire {low} à {high} ; ce besoin demande {need}",
                      "suele financiar de {low} a {high}; esta necesidad pide {need}"),
    "outside_usual_one": ("usually funds about {low}; this need asks {need}", "finance d'ordinaire environ {low} ; ce besoin demande {need}",
                          "suele financiar unos {low}; esta necesidad pide {need}"),
    "history_elsewhere": ("none of its {total} past projects is in {place} or on this need's topics",
                          "aucun de ses {total} projets passés ne porte sur ce lieu ({place}) ni sur les thèmes de ce besoin",
                          "ninguno de sus {total} proyectos anteriores es en {place} ni sobre los temas de esta necesidad"),
    # score labels
    "strong": ("strong match", "correspondance forte", "coincidencia fuerte"),
    "good": ("good match", "bonne correspondance", "buena coincidencia"),
    "fair": ("fair match", "correspondance moyenne", "coincidencia regular"),
    "weak": ("weak match", "correspondance faible", "coincidencia débil"),
    # exclusions
    "excluded": ("{count} excluded: {reasons}", "{count} exclus : {reasons}", "{count} excluidos: {reasons}"),
    "excluded_none": ("nothing excluded", "rien d'exclu", "nada excluido"),
    "rule_closed": ("{count} not open", "{count} non ouverts", "{count} no abiertos"),
    "rule_deadline": ("{count} past a deadline", "{count} après une date limite", "{count} pasada una fecha límite"),
    "rule_resource_type": ("{count} with no requested resource type", "{count} sans type de ressource demandé",
                           "{count} sin tipo de recurso solicitado"),
    "rule_geography": ("{count} elsewhere", "{count} ailleurs", "{count} en otro lugar"),
    "rule_amount": ("{count} with no budget left or a minimum grant above the need",
                    "{count} sans budget restant ou au financement minimum supérieur au besoin",
                    "{count} sin presupuesto restante o con una subvención mínima superior a la necesidad"),
}
MESSAGES: dict[str, dict[str, str]] = {lang: {key: row[i] for key, row in _TABLE.items()} for i, lang in enumerate(LANGUAGES)}

_NAMES: dict[str, tuple[str, str, str]] = {
    # resource types
    "financial": ("money", "financement", "dinero"),
    "technical_expertise": ("technical expertise", "expertise technique", "asistencia técnica"),
    "training": ("training", "formation", "capacitación"),
    "equipment": ("equipment", "équipement", "equipos"),
    "in_kind": ("in-kind support", "appui en nature", "apoyo en especie"),
    "volunteers": ("volunteers", "bénévoles", "voluntarios"),
    # capacity areas
    "data_collection_analysis": ("data collection and analysis", "collecte et analyse des données",
                                 "recopilación y análisis de datos"),
    "consular_practices": ("consular practices", "pratiques consulaires", "prácticas consulares"),
    "border_management": ("border management", "gestion des frontières", "gestión de fronteras"),
    "international_obligations": ("international obligations", "obligations internationales",
                                  "obligaciones internacionales"),
    "cross_border_coordination": ("cross-border coordination", "coordination transfrontalière",
                                  "coordinación transfronteriza"),
    "whole_of_government": ("whole of government", "approche pangouvernementale", "enfoque pangubernamental"),
    "whole_of_society": ("whole of society", "approche impliquant toute la société", "enfoque pansocial"),
    "diaspora_engagement": ("diaspora engagement", "mobilisation de la diaspora", "participación de la diáspora"),
}


def language_of(header: str | None) -> str:
    """The supported language an ``Accept-Language`` header prefers most (``fr-CH;q=0.8`` → ``fr``)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary == "*":
            primary = DEFAULT_LANGUAGE
        if primary in LANGUAGES and q > best_q:  # the first of equal preferences wins
            best, best_q = primary, q
    return best


class Words:
    """The messages and number formats of one language."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._messages = MESSAGES[self.language]
        self._column = LANGUAGES.index(self.language)

    def __call__(self, key: str, **fields: object) -> str:
        return self._messages[key].format(**fields)

    def name(self, code: str) -> str:
        """A resource type's or capacity area's name."""
        row = _NAMES.get(code)
        return row[self._column] if row else code.replace("_", " ")

    def country(self, code: str) -> str:
        row = countries().get(code.upper())
        if row is None:
            return code
        return row[("name", "name_fr", "name_es")[self._column]] or row["name"]

    def region(self, name: str) -> str:
        """A UN M49 region's, sub-region's or intermediate region's name."""
        names = region_translations().get(name)
        return names[self._column] if names else name

    def join(self, items: Iterable[object]) -> str:
        return _join(tuple(map(str, items)), self.language)

    def money(self, amount: float) -> str:
        return _money(float(amount), self.language)

    def share(self, share: float) -> str:
        return _percent(round(share, 2), self.language)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.language)


@lru_cache(maxsize=1024)
def _percent(share: float, language: str) -> str:
    return format_percent(share, locale=language)


@lru_cache(maxsize=4096)
def _join(items: tuple[str, ...], language: str) -> str:
    return format_list(list(items), locale=language)


@lru_cache(maxsize=4096)
def _money(amount: float, language: str) -> str:
    """Compact US dollars: ``$134K``, ``134 k $US``, ``134 mil US$`` (Babel's patterns, filled
    here: formatting each amount through Babel costs a fifth of a millisecond)."""
    decimal = get_decimal_symbol(language)
    for size, template in _money_patterns(language):
        if amount >= size * 0.9995 or size == 1:
            value = amount / size
            digits = f"{value:.1f}".rstrip("0").rstrip(".") if size >= 1e6 else f"{value:.0f}"
            return template.format(digits.replace(".", decimal))
    raise AssertionError("the last pattern takes any amount")


@lru_cache(maxsize=len(LANGUAGES))
def _money_patterns(language: str) -> list[tuple[float, str]]:
    """(size, pattern) of compact amounts in a language, largest first, from a sample of each."""
    return [(size, format_compact_currency(123 * size, "USD", locale=language, fraction_digits=0).replace("123", "{}"))
            for size in (1e9, 1e6, 1e3, 1.0)]


@lru_cache(maxsize=len(LANGUAGES))
def words(language: str = DEFAULT_LANGUAGE) -> Words:
    return Words(language)
