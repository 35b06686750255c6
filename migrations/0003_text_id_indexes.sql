-- Airlock catalog, schema version 3: indexes on the text form of ids.
--
-- Frozen: once merged this file is never edited.
--
-- The system views show ids as text ('u' || id), so a query that joins two views on
-- id — the design document's `mz_aws_connections aws JOIN mz_connections c ON aws.id =
-- c.id` — or filters on `id = 'u3'` compares expressions, and without these indexes
-- SQLite scans every row (30 ms at 100,000 connections). With them it is an index
-- lookup (well under a millisecond).

CREATE INDEX objects_by_text_id ON objects (('u' || id));
CREATE INDEX aws_connections_by_text_id ON aws_connections (('u' || id));
CREATE INDEX object_dependencies_by_text_object_id ON object_dependencies (('u' || object_id));
CREATE INDEX object_dependencies_by_text_referenced_id ON object_dependencies (('u' || referenced_object_id));
CREATE INDEX aws_connection_validations_by_text_id ON aws_connection_validations (('u' || connection_id));
