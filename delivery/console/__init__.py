"""Supervisors' pages: the queue of citizens' complaints and "asked for money" answers."""
