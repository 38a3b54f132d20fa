"""Texts and queries as glossary concepts, which are the same in English, French and Spanish.

"trata de personas", "traite des êtres humains" and "human trafficking" name one concept
(``matchmaker.engine.text``: the ranker's glossary). A need's or offer's concepts are stored
as a tsvector whose weights say where each one was found, so that ``ts_rank`` puts a text
naming the concept in its title above one naming it in passing: A in the title, C in the
description, and B and D for a broader concept reached through a narrower one ("border"
through "border management").
"""

from __future__ import annotations

import re

from matchmaker.engine.text import concepts_of

# tsvector limits: positions up to 16,383, at most 256 positions a lexeme.
_MAX_POSITION = 16_383
_MAX_POSITIONS = 256
# websearch syntax that a list of concepts cannot honour: "a or b", "-excluded".
_OPERATORS = re.compile(r"(?:^|\s)(?:-\S|or\s)", re.IGNORECASE)


def _weight(in_title: bool, own: bool) -> str:
    return ("C", "A")[in_title] if own else ("D", "B")[in_title]


def _lexeme(concept: str) -> str:
    return "'" + concept.replace("\\", "\\\\").replace("'", "''") + "'"


def document_concepts(title: str, description: str) -> str:
    """The concepts of a need or offer, as a tsvector literal (``''`` when it names none)."""
    places: dict[str, list[str]] = {}
    phrases = [(True, c) for c in concepts_of(title)] + [(False, c) for c in concepts_of(description)]
    for position, (in_title, concepts) in enumerate(phrases, start=1):
        for rank, concept in enumerate(concepts):
            places.setdefault(concept, []).append(f"{min(position, _MAX_POSITION)}{_weight(in_title, rank == 0)}")
    return " ".join(f"{_lexeme(c)}:{','.join(p[:_MAX_POSITIONS])}" for c, p in places.items())


def query_concepts(q: str) -> list[str] | None:
    """The concepts a query names (each phrase's own, not the broader ones: "border management"
    should not find every text about borders), or ``None`` when it names none or uses
    operators, which are read on words only."""
    if _OPERATORS.search(q + " "):
        return None
    return list(dict.fromkeys(concepts[0] for concepts in concepts_of(q))) or None
