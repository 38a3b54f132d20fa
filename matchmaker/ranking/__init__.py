"""Matchmaker's ranking engine: which offers fit a need, which needs fit an offer, and why.

The engine modules are pure Python (numpy/scipy/scikit-learn), with no database and no
web: ``service`` turns database rows into ``NeedDoc``/``OfferDoc``/``FundingRecord`` and
keeps the indexes current, ``controllers`` serves the rankings, ``training`` refits.
Importing the package loads nothing of it (commands that only read or write rows stay quick).
"""
