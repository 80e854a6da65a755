"""Postal staff: accounts, roles, their sites, logging in from a handheld."""
