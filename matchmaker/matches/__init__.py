"""Matches: proposals of a need and an offer, coordinators' decisions, and the budget ledger."""
