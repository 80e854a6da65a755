"""The supervisor's site view: items by state, stuck items, alerts, dead letters."""
