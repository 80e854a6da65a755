"""The citizen's tracking page: see where the document is and choose how to get it."""
