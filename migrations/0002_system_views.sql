-- Airlock catalog, schema version 2: the relations users can SELECT (SPEC §4).
--
-- Frozen: once merged this file is never edited. Column names and order are part of
-- the user-facing contract. Ids are shown as text (`u3`); `oid` keeps its declared type
-- so that clients see an oid column.

CREATE VIEW mz_connections AS
SELECT
    'u' || o.id AS id,
    o.oid AS oid,
    o.name AS name,
    c.type AS type,
    c.create_sql AS create_sql,
    c.redacted_create_sql AS redacted_create_sql,
    o.created_at AS created_at
FROM objects AS o
JOIN connections AS c ON c.id = o.id;

CREATE VIEW mz_secrets AS
SELECT
    'u' || o.id AS id,
    o.oid AS oid,
    o.name AS name,
    o.created_at AS created_at,
    s.updated_at AS updated_at
FROM objects AS o
JOIN secrets AS s ON s.id = o.id;

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

CREATE VIEW mz_object_dependencies AS
SELECT
    'u' || d.object_id AS object_id,
    'u' || d.referenced_object_id AS referenced_object_id
FROM object_dependencies AS d;

CREATE VIEW mz_aws_connection_validations AS
SELECT
    'u' || v.connection_id AS connection_id,
    v.validated_at AS validated_at,
    v.status AS status,
    v.caller_arn AS caller_arn,
    v.error_code AS error_code,
    v.message AS message
FROM aws_connection_validations AS v;
