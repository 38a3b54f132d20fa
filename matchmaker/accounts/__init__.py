"""Accounts: users, their roles and organisations, passwords and access tokens."""
