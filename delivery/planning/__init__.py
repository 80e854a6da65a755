"""Daily courier route plans: shifts, planning runs, stored versions, views."""
