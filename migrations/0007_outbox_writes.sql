-- Cheaper writes on the SMS path.

-- Every message enters this index on its way out ('sending') and leaves it a moment later: one
-- key taking all the inserts made each record statement pay for the index's clean-up. Nothing
-- reads it (dead letters are found through the outbox).
DROP INDEX sms_messages_status;
