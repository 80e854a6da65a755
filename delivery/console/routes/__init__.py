"""Supervisors' routes in the console: a branch's planned days, a day's stops and picture,
planning again, and couriers' usual shifts and days off."""
