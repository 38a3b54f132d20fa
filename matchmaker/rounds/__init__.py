"""Funding rounds: pooled offers allocated across needs under balance rules."""
