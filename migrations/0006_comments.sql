-- Airlock catalog, schema version 6: comments on objects.
--
-- Frozen: once merged this file is never edited.
--
-- `COMMENT ON SECRET|CONNECTION name IS '...'` sets it, `IS NULL` removes it (NULL).
-- `SHOW SECRETS` and `SHOW CONNECTIONS` show it, as in Materialize.
ALTER TABLE objects ADD COLUMN comment TEXT;
