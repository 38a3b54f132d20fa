"""Judging the ranker, apart from the service that runs it: offline evaluation against
baselines on funding records (``evaluate``, ``baselines``, ``metrics``, ``splits``),
ablations of the public sets (``ablations``), and synthetic data to time it (``bench``).

The service never imports this package; its extra dependencies (``rank-bm25``) come with
``pip install 'matchmaker[eval]'`` (the test and development installs include them).
"""
