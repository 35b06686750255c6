-- Airlock catalog, schema version 4: the endpoint allow-list and non-AWS validations.
--
-- Frozen: once merged this file is never edited.
--
-- Credentials are sent only to AWS STS and to endpoints the operator lists. The
-- catalog's part of that list (`ALTER SYSTEM SET aws_allowed_endpoints`) is a
-- comma-separated list of normalized URL prefixes; NULL when never set or reset.
ALTER TABLE settings ADD COLUMN aws_allowed_endpoints TEXT;

-- A validation whose checks went to a listed endpoint that is not AWS STS records that
-- endpoint (normalized, never with user information): its `ok` proves what that endpoint
-- answered, not what AWS would. NULL when the checks went to AWS.
ALTER TABLE aws_connection_validations ADD COLUMN non_aws_endpoint TEXT;

-- The view gains the column at its end; the first six keep their names and order.
DROP VIEW mz_aws_connection_validations;
CREATE VIEW mz_aws_connection_validations AS
SELECT
    'u' || v.connection_id AS connection_id,
    v.validated_at AS validated_at,
    v.status AS status,
    v.caller_arn AS caller_arn,
    v.error_code AS error_code,
    v.message AS message,
    v.non_aws_endpoint AS non_aws_endpoint
FROM aws_connection_validations AS v;
