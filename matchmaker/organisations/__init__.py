"""Organisations: states' agencies and every kind of funder, from bilateral donors to migrants."""
