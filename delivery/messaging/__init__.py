"""Citizens' SMS: the outbox channel that sends them, receipts and replies, dead letters."""
