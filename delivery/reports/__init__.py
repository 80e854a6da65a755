"""Agencies' reports: what was registered in a period, what became of it, and why.

`summary` counts by state, hand-over times, failed attempts and returns by reason (optionally
by document type, governorate, branch or day); `items` lists one row per item, as JSON pages or
as a CSV streamed from a server-side cursor. Everything is read from the items and their custody
log: nothing is stored for reports.
"""
