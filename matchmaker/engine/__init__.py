"""The ranking engine: which offers fit a need, which needs fit an offer, and why.

Pure computation (numpy, scipy, scikit-learn) over the documents of ``documents``: no
database and no web. ``model.MatchRanker`` is the scikit-learn estimator; its evidence is
written once in ``blocks`` (declared evidence) and ``history`` (funding history), read
through ``encoding``/``index`` (many needs against many offers) or ``scan`` (one need
against a big index) with the same arithmetic; ``explain`` and ``wording`` put a ranking
into words in English, French and Spanish; ``persistence`` saves and loads a fitted model.
Importing the package loads none of it (commands that only read or write rows stay quick).
"""
