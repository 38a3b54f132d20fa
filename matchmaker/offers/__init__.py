"""Funding offers: what a funder puts forward — money or expertise, training, equipment, in-kind, volunteers."""
