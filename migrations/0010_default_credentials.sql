-- Airlock catalog, schema version 10: USE DEFAULT CREDENTIALS (issue 18).
--
-- Frozen: once merged this file is never edited.
--
-- A connection may act as Airlock's own identity, from the AWS default credential chain
-- (`CREATE CONNECTION c TO AWS (USE DEFAULT CREDENTIALS)`), when the operator allows it.

-- The operator's gate (`ALTER SYSTEM SET aws_allow_default_credentials`): 0 (the
-- default) or 1. Checked whenever such a connection is created, validated or used, so
-- that turning it off again stops connections that already exist.
ALTER TABLE settings ADD COLUMN aws_allow_default_credentials INTEGER NOT NULL DEFAULT 0
    CHECK (aws_allow_default_credentials IN (0, 1));

-- `aws_connections` gains `use_default_credentials` (0 or 1) and a third shape in its
-- authentication CHECK: a default-credentials row has no role, no keys, no principal and
-- no external ID. SQLite cannot change a CHECK in place, so the table is rebuilt the way
-- SQLite documents (https://www.sqlite.org/lang_altertable.html#otheralter): create the
-- new table, copy the rows, drop the old one, rename the new one, then recreate the
-- index and the views that name it, exactly as they were.
--
-- The migration runs inside the migrator's transaction, where `PRAGMA foreign_keys`
-- cannot be turned off. Two consequences: the copy is checked against `connections` and
-- `secrets` as it is made, and `DROP TABLE aws_connections` deletes its rows first,
-- which would cascade to `aws_connection_scopes` (ON DELETE CASCADE). So the scopes are
-- set aside in a temporary table and their table is dropped and recreated around the
-- rebuild; nothing else refers to `aws_connections`.
CREATE TEMP TABLE aws_connection_scopes_0010 AS SELECT id, scope FROM aws_connection_scopes;
DROP VIEW mz_aws_connection_scopes;
DROP TABLE aws_connection_scopes;
DROP VIEW mz_aws_connections;

CREATE TABLE aws_connections_0010 (
    id                           INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    endpoint                     TEXT,
    region                       TEXT,
    access_key_id                TEXT,
    access_key_id_secret_id      INTEGER REFERENCES secrets (id),
    secret_access_key_secret_id  INTEGER REFERENCES secrets (id),
    session_token                TEXT,
    session_token_secret_id      INTEGER REFERENCES secrets (id),
    assume_role_arn              TEXT,
    assume_role_session_name     TEXT,
    principal                    TEXT,
    external_id                  TEXT UNIQUE,
    example_trust_policy         JSONB,
    assume_role_session_duration INTEGER
        CHECK (assume_role_session_duration IS NULL
            OR (assume_role_arn IS NOT NULL
                AND assume_role_session_duration BETWEEN 900 AND 43200)),
    sts_endpoint                 TEXT,
    sts_region                   TEXT,
    use_default_credentials      INTEGER NOT NULL DEFAULT 0
        CHECK (use_default_credentials IN (0, 1)),
    CHECK (access_key_id IS NULL OR access_key_id_secret_id IS NULL),
    CHECK (session_token IS NULL OR session_token_secret_id IS NULL),
    CHECK ((principal IS NULL) = (example_trust_policy IS NULL)),
    CHECK (
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
    )
);

INSERT INTO aws_connections_0010 (
    id, endpoint, region, access_key_id, access_key_id_secret_id,
    secret_access_key_secret_id, session_token, session_token_secret_id, assume_role_arn,
    assume_role_session_name, principal, external_id, example_trust_policy,
    assume_role_session_duration, sts_endpoint, sts_region, use_default_credentials
)
SELECT
    id, endpoint, region, access_key_id, access_key_id_secret_id,
    secret_access_key_secret_id, session_token, session_token_secret_id, assume_role_arn,
    assume_role_session_name, principal, external_id, example_trust_policy,
    assume_role_session_duration, sts_endpoint, sts_region, 0
FROM aws_connections;

DROP TABLE aws_connections;
ALTER TABLE aws_connections_0010 RENAME TO aws_connections;

-- As migration 3 made it.
CREATE INDEX aws_connections_by_text_id ON aws_connections (('u' || id));

-- As migration 2 made it: Materialize's columns, unchanged (the new column is not shown
-- here; SHOW CREATE CONNECTION shows the option).
CREATE VIEW mz_aws_connections AS
SELECT
    'u' || a.id AS id,
    a.endpoint AS endpoint,
    a.region AS region,
    a.access_key_id AS access_key_id,
    'u' || a.access_key_id_secret_id AS access_key_id_secret_id,
    'u' || a.secret_access_key_secret_id AS secret_access_key_secret_id,
    a.session_token AS session_token,
    'u' || a.session_token_secret_id AS session_token_secret_id,
    a.assume_role_arn AS assume_role_arn,
    a.assume_role_session_name AS assume_role_session_name,
    a.principal AS principal,
    a.external_id AS external_id,
    a.example_trust_policy AS example_trust_policy
FROM aws_connections AS a;

-- As migration 9 made them, with their rows back.
CREATE TABLE aws_connection_scopes (
    id    INTEGER PRIMARY KEY REFERENCES aws_connections (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope LIKE 's3://%')
);
INSERT INTO aws_connection_scopes (id, scope) SELECT id, scope FROM temp.aws_connection_scopes_0010;
DROP TABLE temp.aws_connection_scopes_0010;

CREATE VIEW mz_aws_connection_scopes AS
SELECT
    'u' || s.id AS connection_id,
    s.scope AS scope
FROM aws_connection_scopes AS s;
