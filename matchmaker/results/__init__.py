"""Results of approved matches: indicators (from a baseline to a target, optionally under a GCM
objective), the periodic progress reports filed against them, overdue reports, and the
portfolio's progress by objective, region and funder."""
