"""Integrity signals for inspectors: per branch and per member of staff, over a period."""
