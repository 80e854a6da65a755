"""What a member of staff needs to see during their working day, for the handheld app: who
they are and where, what they did today, their branch's shelf, a bag's manifest, and the
citizen's phone revealed to the courier holding the item (each reveal logged)."""
