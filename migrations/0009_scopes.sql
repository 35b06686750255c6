-- Airlock catalog, schema version 9: connection scopes.
--
-- Frozen: once merged this file is never edited.
--
-- `SCOPE = 's3://bucket[/prefix]'` says which S3 URLs a connection serves when a host
-- picks a connection by URL (the longest scope that is a prefix of the URL wins). A
-- connection has at most one scope (the primary key), stored in its canonical spelling
-- (`s3://bucket/a/b`: lower-case scheme, no empty segments, no trailing slash). A table
-- of its own rather than a column of `aws_connections`, so that this migration does not
-- redefine `mz_aws_connections`; it goes with its connection's options row.
CREATE TABLE aws_connection_scopes (
    id    INTEGER PRIMARY KEY REFERENCES aws_connections (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope LIKE 's3://%')
);

CREATE VIEW mz_aws_connection_scopes AS
SELECT
    'u' || s.id AS connection_id,
    s.scope AS scope
FROM aws_connection_scopes AS s;
