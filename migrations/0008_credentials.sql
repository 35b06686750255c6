-- Airlock catalog, schema version 8: credentials that last (issue 18).
--
-- Frozen: once merged this file is never edited.

-- `ASSUME ROLE SESSION DURATION`, in seconds (AWS's DurationSeconds range); NULL asks
-- AWS for its default of one hour. Only an assume-role connection has one.
ALTER TABLE aws_connections ADD COLUMN assume_role_session_duration INTEGER
    CHECK (assume_role_session_duration IS NULL
        OR (assume_role_arn IS NOT NULL
            AND assume_role_session_duration BETWEEN 900 AND 43200));

-- `STS ENDPOINT` and `STS REGION`: where STS calls go when it is not `ENDPOINT`, and
-- the region they are signed for. NULL: STS calls use `ENDPOINT` and `REGION`.
ALTER TABLE aws_connections ADD COLUMN sts_endpoint TEXT;
ALTER TABLE aws_connections ADD COLUMN sts_region TEXT;

-- The health of each connection's credentials, kept by the engine's credentials handles
-- (one row per connection that has asked AWS for a session): when a session was last
-- obtained and until when it lasts, the last failure to obtain one, the duration asked
-- for and whether the principal hop was itself a role session (role chaining, which AWS
-- caps at one hour; NULL until a session was obtained). A successful refresh keeps the
-- last error: the credentials are failing now when `last_error_at` is after
-- `last_assumed_at`. Kept in the catalog rather than in a process's memory so that
-- every session, process and node that shares the file sees the same rows. The error
-- text is scrubbed of secret values before it is written.
CREATE TABLE aws_connection_credentials (
    connection_id      INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    last_assumed_at    TIMESTAMPTZ CHECK (last_assumed_at IS NULL OR typeof(last_assumed_at) = 'text'),
    expires_at         TIMESTAMPTZ CHECK (expires_at IS NULL OR typeof(expires_at) = 'text'),
    last_refresh_error TEXT,
    last_error_at      TIMESTAMPTZ CHECK (last_error_at IS NULL OR typeof(last_error_at) = 'text'),
    session_duration   INTEGER,
    chained            BOOLEAN CHECK (chained IS NULL OR chained IN (0, 1))
);

CREATE VIEW mz_aws_connection_credentials AS
SELECT
    'u' || h.connection_id AS connection_id,
    h.last_assumed_at AS last_assumed_at,
    h.expires_at AS expires_at,
    h.last_refresh_error AS last_refresh_error,
    h.last_error_at AS last_error_at,
    h.session_duration AS session_duration_seconds,
    h.chained AS chained
FROM aws_connection_credentials AS h;
