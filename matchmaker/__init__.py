"""Matchmaker: a funding-matching marketplace for migration-governance capacity development."""

from importlib.metadata import version

__version__ = version("matchmaker")
