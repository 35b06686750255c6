-- Airlock catalog, schema version 5: the name of the one namespace.
--
-- Frozen: once merged this file is never edited.
--
-- Airlock has one namespace of secrets and connections. Materialize users (and its
-- Terraform provider) qualify names with a database and a schema, `materialize.public.s`:
-- the catalog records which database and schema its namespace answers to, so that such
-- names resolve and others are refused. Chosen when the catalog is created; a catalog
-- created before this migration answers to Materialize's defaults.
ALTER TABLE settings ADD COLUMN database_name TEXT NOT NULL DEFAULT 'materialize';
ALTER TABLE settings ADD COLUMN schema_name TEXT NOT NULL DEFAULT 'public';
