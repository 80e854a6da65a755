"""Agency intake: documents handed over by agencies, checked, normalised and numbered."""
