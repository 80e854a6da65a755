-- Handheld uploads written in one statement on the strength of an earlier, lock-free read.
--
-- Such a statement ends by calling expect_unchanged with what it found (every scan id claimed,
-- every item still as read): when it was not, the call raises serialization_failure, which
-- undoes the whole statement, and the caller takes its transactional path instead.
CREATE FUNCTION expect_unchanged(ok boolean, what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION '% changed since it was read', what
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN true;
END $$;
