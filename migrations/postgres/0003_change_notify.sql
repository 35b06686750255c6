-- Airlock catalog on PostgreSQL, schema version 3: every change to the catalog is
-- announced on the channel `airlock_catalog`.
--
-- Each node keeps a connection that LISTENs on the channel, so that what it caches
-- from the catalog (credentials handles, the connections that own S3 scopes) is read
-- again only after a commit changed something, by any node or by hand: PostgreSQL's
-- counterpart of SQLite's `PRAGMA data_version`. The notification is sent when the
-- writing transaction commits, and not at all when it rolls back; PostgreSQL folds the
-- notifications of one transaction into one.
--
-- Every storage table gets the trigger. A later migration that adds a table must add
-- it too (the schema test checks that every table has it).
--
-- Frozen: once merged this file is never edited.

CREATE FUNCTION notify_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('airlock_catalog', '');
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'airlock' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
        ORDER BY c.relname
    LOOP
        EXECUTE format(
            'CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            'ON airlock.%I FOR EACH STATEMENT EXECUTE FUNCTION airlock.notify_change()', t);
    END LOOP;
END
$$;
