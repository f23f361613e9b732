"""Accounts, service tokens, scopes and authentication."""
