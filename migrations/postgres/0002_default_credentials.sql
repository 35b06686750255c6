-- Airlock catalog on PostgreSQL, schema version 2: USE DEFAULT CREDENTIALS (issue 18).
-- The same change as SQLite's migration 10.
--
-- Frozen: once merged this file is never edited.

-- The operator's gate (`ALTER SYSTEM SET aws_allow_default_credentials`): 0 (the
-- default) or 1. Checked whenever a default-credentials connection is created,
-- validated or used.
ALTER TABLE settings ADD COLUMN aws_allow_default_credentials bigint NOT NULL DEFAULT 0
    CONSTRAINT settings_aws_allow_default_credentials_check
        CHECK (aws_allow_default_credentials IN (0, 1));

-- `USE DEFAULT CREDENTIALS`: the connection acts as Airlock's own identity, from the
-- AWS default credential chain. mz_internal.mz_aws_connections keeps Materialize's
-- columns and does not show it.
ALTER TABLE aws_connections ADD COLUMN use_default_credentials bigint NOT NULL DEFAULT 0
    CONSTRAINT aws_connections_use_default_credentials_check
        CHECK (use_default_credentials IN (0, 1));

-- The authentication CHECK gains the third shape: a default-credentials row has no
-- role, no keys, no principal and no external ID. (`aws_connections_check4` is the name
-- PostgreSQL gave the unnamed CHECK of migration 1.)
ALTER TABLE aws_connections DROP CONSTRAINT aws_connections_check4;
ALTER TABLE aws_connections ADD CONSTRAINT aws_connections_authentication_check CHECK (
    CASE
    WHEN use_default_credentials = 1 THEN
        assume_role_arn IS NULL
        AND access_key_id IS NULL
        AND access_key_id_secret_id IS NULL
        AND secret_access_key_secret_id IS NULL
        AND session_token IS NULL
        AND session_token_secret_id IS NULL
        AND assume_role_session_name IS NULL
        AND principal IS NULL
        AND external_id IS NULL
    WHEN assume_role_arn IS NULL THEN
        secret_access_key_secret_id IS NOT NULL
        AND (access_key_id IS NOT NULL OR access_key_id_secret_id IS NOT NULL)
        AND assume_role_session_name IS NULL
        AND principal IS NULL
        AND external_id IS NULL
    ELSE
        access_key_id IS NULL
        AND access_key_id_secret_id IS NULL
        AND secret_access_key_secret_id IS NULL
        AND session_token IS NULL
        AND session_token_secret_id IS NULL
        AND external_id IS NOT NULL
    END
);
