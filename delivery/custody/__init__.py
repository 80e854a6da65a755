"""Chain of custody: who holds a document, what they did with it, and proof that it happened."""
