"""Search by meaning: ``q`` on needs and offers, ranked by relevance, across English, French and Spanish.

``concepts`` turns a text into the trilingual glossary's concepts (a tsvector stored beside
the text) and a query into those it names; ``query`` reads ``q`` and its cursor into the
list queries' parameters and pages; ``index`` fills the stored concepts ``db migrate`` finds
missing or drawn from another glossary.
"""
