-- Airlock catalog on PostgreSQL, schema version 1: the storage tables, the id sequences
-- and the relations users can SELECT.
--
-- Frozen: once merged this file is never edited. A schema change is a new numbered file
-- in this directory (0002, ...), numbered independently of the SQLite migrations in
-- `migrations/`. This file starts where SQLite's 0001..0009 end: a new PostgreSQL catalog
-- gets that final schema in one step, it does not replay SQLite's history.
--
-- The migration runner runs this file once, inside one transaction, with `search_path`
-- set to the schema `airlock` (which it creates, with its own bookkeeping table). So the
-- storage tables below are created unqualified and land in `airlock`; the user-facing
-- views live in `mz_catalog` and `mz_internal`, created here.
--
-- Storage types keep SQLite's storage classes, because the catalog code binds parameters
-- as text-format values, reads columns back as i64 / text / bytes, and writes SQL that
-- runs on both databases (`WHERE superuser = 1`):
--   - INTEGER → bigint, 0/1 flags included (bigint with CHECK (x IN (0, 1)), not boolean);
--   - TEXT → text, BLOB → bytea;
--   - TIMESTAMPTZ → timestamptz (SQLite holds PostgreSQL's text form of one);
--   - JSON (JSONB in SQLite, where it is text) → text; the views cast it to jsonb.
-- The views give every column the PostgreSQL type `crates/catalog/src/relations.rs`
-- promises clients (boolean, integer, oid, jsonb), casting where storage differs.

-- One row: the settings of this catalog. The environment id and the external-ID prefix
-- are UUIDs fixed when the catalog is created; `aws_principal` can change.
-- `secret_key_check` is an AEAD token that tells a wrong secret key from a right one.
-- `aws_allowed_endpoints` is the catalog's part of the endpoint allow-list (normalized
-- URL prefixes, comma-separated; NULL when never set). `database_name` and
-- `schema_name` are the one namespace's qualified name (`materialize.public` unless
-- chosen at creation). The row is inserted by the code that creates the catalog, not
-- here: its UUIDs are chosen by that code.
CREATE TABLE settings (
    singleton             bigint PRIMARY KEY CHECK (singleton = 1),
    environment_id        text NOT NULL,
    external_id_prefix    text NOT NULL,
    aws_principal         text,
    secret_key_check      bytea,
    aws_allowed_endpoints text,
    database_name         text NOT NULL DEFAULT 'materialize',
    schema_name           text NOT NULL DEFAULT 'public'
);

-- The object ids. One sequence for secrets and connections; it only moves forward, so
-- an id (and the external ID derived from it) is never handed out twice, even after the
-- object holding it is dropped or the transaction that took it rolled back (a sequence
-- is not transactional: a rolled-back statement burns its id, none is ever reused). The
-- first id is 1 (`u1`), as on SQLite.
CREATE SEQUENCE id_sequence AS bigint START WITH 1 MINVALUE 1 NO CYCLE;

-- Every object, whatever its kind: one namespace, so a name is either a secret or a
-- connection, never both. `oid` is derived from the id (20000 + n for `un`). The
-- primary key and the unique name have fixed names (`objects_pkey`, `objects_name_key`)
-- because the code tells a reused id from a name clash by them. `owner_id` is a role
-- (s1, mz_system, unless set when the object is created); unlike on SQLite, which
-- cannot add such a column with a foreign key, the database itself refuses an owner
-- that is not a role and a DROP of a role that still owns something.
CREATE TABLE objects (
    id         bigint CONSTRAINT objects_pkey PRIMARY KEY CHECK (id >= 1),
    oid        bigint GENERATED ALWAYS AS (20000 + id) STORED,
    kind       text NOT NULL CHECK (kind IN ('connection', 'secret')),
    name       text NOT NULL CONSTRAINT objects_name_key UNIQUE,
    created_at timestamptz NOT NULL,
    comment    text,
    owner_id   text NOT NULL DEFAULT 's1'
);

-- Secret metadata. Never a value: see secret_ciphertexts.
CREATE TABLE secrets (
    id         bigint PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL
);

-- Secret values of the embedded secret store, encrypted with XChaCha20-Poly1305 (the
-- secret id as associated data) before they reach PostgreSQL, so that a dump or a
-- replica holds no plaintext. Empty when the host plugs in its own store. No view
-- reads this table.
CREATE TABLE secret_ciphertexts (
    secret_id  bigint PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    nonce      bytea NOT NULL CHECK (length(nonce) = 24),
    ciphertext bytea NOT NULL
);

CREATE TABLE connections (
    id                  bigint PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    type                text NOT NULL CHECK (type = 'aws'),
    create_sql          text NOT NULL,
    redacted_create_sql text NOT NULL
);

-- The options of an AWS connection, in Materialize's columns. A value given inline and
-- by secret are exclusive; the assume-role columns and the static-credential columns
-- are exclusive; an assume-role connection always has its external ID.
-- `assume_role_session_duration` is `ASSUME ROLE SESSION DURATION` in seconds (AWS's
-- DurationSeconds range; NULL asks AWS for its default). `sts_endpoint` and
-- `sts_region` say where STS calls go when not to `endpoint`/`region`.
-- `example_trust_policy` is JSON text; mz_aws_connections shows it as jsonb.
CREATE TABLE aws_connections (
    id                           bigint PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    endpoint                     text,
    region                       text,
    access_key_id                text,
    access_key_id_secret_id      bigint REFERENCES secrets (id),
    secret_access_key_secret_id  bigint REFERENCES secrets (id),
    session_token                text,
    session_token_secret_id      bigint REFERENCES secrets (id),
    assume_role_arn              text,
    assume_role_session_name     text,
    principal                    text,
    external_id                  text CONSTRAINT aws_connections_external_id_key UNIQUE,
    example_trust_policy         text,
    assume_role_session_duration bigint
        CHECK (assume_role_session_duration IS NULL
            OR (assume_role_arn IS NOT NULL
                AND assume_role_session_duration BETWEEN 900 AND 43200)),
    sts_endpoint                 text,
    sts_region                   text,
    CHECK (access_key_id IS NULL OR access_key_id_secret_id IS NULL),
    CHECK (session_token IS NULL OR session_token_secret_id IS NULL),
    CHECK ((principal IS NULL) = (example_trust_policy IS NULL)),
    CHECK (
        CASE WHEN assume_role_arn IS NULL THEN
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

-- A connection's `SCOPE = 's3://bucket[/prefix]'`, in its canonical spelling: which S3
-- URLs it serves when a host picks a connection by URL. At most one per connection; a
-- table of its own (as on SQLite) and deleted with the connection's options row.
CREATE TABLE aws_connection_scopes (
    id    bigint PRIMARY KEY REFERENCES aws_connections (id) ON DELETE CASCADE,
    scope text NOT NULL CHECK (scope LIKE 's3://%')
);

-- Which object uses which: a connection depends on the secrets it names. Deleting a
-- referenced object while a row here names it fails (no ON DELETE action on
-- referenced_object_id), whatever the code above does.
CREATE TABLE object_dependencies (
    object_id            bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    referenced_object_id bigint NOT NULL REFERENCES objects (id),
    PRIMARY KEY (object_id, referenced_object_id)
);
CREATE INDEX object_dependencies_by_referenced
    ON object_dependencies (referenced_object_id, object_id);

-- The history of VALIDATE runs; `seq` keeps them in the order they were recorded (an
-- identity column here, where SQLite's is its rowid). `non_aws_endpoint` is the listed
-- endpoint, not AWS STS, that a validation's checks went to (NULL when they went to
-- AWS): its `ok` proves what that endpoint answered, not what AWS would.
CREATE TABLE aws_connection_validations (
    seq              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    connection_id    bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    validated_at     timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('ok', 'failed', 'inconclusive')),
    caller_arn       text,
    error_code       text,
    message          text,
    non_aws_endpoint text
);
CREATE INDEX aws_connection_validations_by_connection
    ON aws_connection_validations (connection_id, seq);

-- The health of each connection's credentials, kept by the engine's credentials handles
-- (one row per connection that has asked AWS for a session, upserted): when a session
-- was last obtained and until when it lasts, the last failure to obtain one, the
-- duration asked for and whether the principal hop was itself a role session (role
-- chaining; a 0/1 flag, NULL until a session was obtained). Kept in the catalog so that
-- every node sees the same rows. The error text is scrubbed of secret values before it
-- is written.
CREATE TABLE aws_connection_credentials (
    connection_id      bigint PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    last_assumed_at    timestamptz,
    expires_at         timestamptz,
    last_refresh_error text,
    last_error_at      timestamptz,
    session_duration   bigint,
    chained            bigint CHECK (chained IS NULL OR chained IN (0, 1))
);

-- Roles, ownership and privileges (Materialize's model). Role ids are text, as
-- Materialize prints them: `s1`, `s2`, ... for system roles and `u1`, `u2`, ... for
-- user roles. `mz_system` (s1) is the system's superuser and is inserted below; a new
-- catalog's first user role (u1) is created by the code that creates the catalog. A
-- role's oid is 1073741824 + n for `un` and 10000 + n for `sn`. The flags are 0/1.
CREATE TABLE roles (
    id         text CONSTRAINT roles_pkey PRIMARY KEY CHECK (id ~ '^[su][1-9]'),
    oid        bigint NOT NULL CONSTRAINT roles_oid_key UNIQUE,
    name       text NOT NULL CONSTRAINT roles_name_key UNIQUE,
    inherit    bigint NOT NULL CHECK (inherit IN (0, 1)),
    superuser  bigint NOT NULL CHECK (superuser IN (0, 1)),
    login      bigint NOT NULL CHECK (login IN (0, 1)),
    created_at timestamptz NOT NULL
);
INSERT INTO roles (id, oid, name, inherit, superuser, login, created_at)
VALUES ('s1', 10001, 'mz_system', 1, 1, 1, date_trunc('milliseconds', now()));

ALTER TABLE objects
    ADD CONSTRAINT objects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES roles (id);
CREATE INDEX objects_by_owner ON objects (owner_id);

-- The user role numbers; only move forward, so a dropped role's id is never reused.
-- The first is 1: the bootstrap role the catalog's creator inserts is `u1`.
CREATE SEQUENCE role_id_sequence AS bigint START WITH 1 MINVALUE 1 NO CYCLE;

-- `GRANT role_id TO member`: member has role_id's privileges. No cycles (checked by the
-- code that grants).
CREATE TABLE role_members (
    role_id text NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    member  text NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    grantor text NOT NULL,
    PRIMARY KEY (role_id, member),
    CHECK (role_id <> member)
);
CREATE INDEX role_members_by_member ON role_members (member, role_id);

-- The access control list of each object, one row per (grantee, grantor) as in
-- Materialize's mz_aclitem: `privileges` are its letters (`U` = USAGE). The grantee
-- `p` is PUBLIC. An object's owner gets its privileges when it is created.
CREATE TABLE object_privileges (
    object_id  bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    grantee    text NOT NULL,
    grantor    text NOT NULL,
    privileges text NOT NULL CHECK (privileges <> ''),
    PRIMARY KEY (object_id, grantee, grantor)
);
CREATE INDEX object_privileges_by_grantee ON object_privileges (grantee, object_id);

-- The access control lists of the one schema (`U` = USAGE, `C` = CREATE: creating a
-- secret or a connection needs CREATE on it, naming one needs USAGE) and of the system
-- (`R` = CREATEROLE). PUBLIC has USAGE on the schema; mz_system owns both. No view
-- reads this table.
CREATE TABLE scope_privileges (
    scope      text NOT NULL CHECK (scope IN ('schema', 'system')),
    grantee    text NOT NULL,
    grantor    text NOT NULL,
    privileges text NOT NULL CHECK (privileges <> ''),
    PRIMARY KEY (scope, grantee, grantor)
);
INSERT INTO scope_privileges (scope, grantee, grantor, privileges) VALUES
    ('schema', 'p', 's1', 'U'),
    ('schema', 's1', 's1', 'UC'),
    ('system', 's1', 's1', 'R');

-- Indexes on the text form of ids. The views show ids as text ('u' || id), so a query
-- that joins two views on id — `mz_aws_connections aws JOIN mz_connections c ON aws.id
-- = c.id` — or filters on `id = 'u3'` compares expressions; these make it an index
-- lookup instead of a scan. The views spell the expression exactly as here
-- (`'u' || id::text`: `text || bigint` is not immutable, so cannot be indexed).
CREATE INDEX objects_by_text_id ON objects (('u' || id::text));
CREATE INDEX aws_connections_by_text_id ON aws_connections (('u' || id::text));
CREATE INDEX object_dependencies_by_text_object_id
    ON object_dependencies (('u' || object_id::text));
CREATE INDEX object_dependencies_by_text_referenced_id
    ON object_dependencies (('u' || referenced_object_id::text));
CREATE INDEX aws_connection_validations_by_text_id
    ON aws_connection_validations (('u' || connection_id::text));

-- The relations users can SELECT: Materialize's names, schemas, columns and column
-- order (its users' queries run unchanged), each column of the type relations.rs
-- gives. They show the same values as SQLite's views of the same names. The ciphertext,
-- settings, sequence and scope-privilege tables are reachable through none of them.
CREATE SCHEMA mz_catalog;
CREATE SCHEMA mz_internal;

-- An object's ACL in the text form of Materialize's mz_aclitem[]: `{u1=U/u1,=U/u1}`,
-- PUBLIC as the empty grantee and last, then by grantee and grantor in byte order
-- (COLLATE "C", whatever the database's collation: SQLite compares bytes). Spelled out
-- in both mz_connections and mz_secrets rather than in a shared function: a function
-- would be one more object user queries could call, and it would read
-- object_privileges with the caller's privileges, where a view reads with its owner's.
CREATE VIEW mz_catalog.mz_connections AS
SELECT
    'u' || o.id::text AS id,
    o.oid::oid AS oid,
    o.name AS name,
    c.type AS type,
    c.create_sql AS create_sql,
    c.redacted_create_sql AS redacted_create_sql,
    o.created_at AS created_at,
    o.owner_id AS owner_id,
    (SELECT '{' || coalesce(string_agg(
                CASE p.grantee WHEN 'p' THEN '' ELSE p.grantee END
                || '=' || p.privileges || '/' || p.grantor,
                ','
                ORDER BY p.grantee = 'p', p.grantee COLLATE "C", p.grantor COLLATE "C"), '')
            || '}'
     FROM object_privileges AS p
     WHERE p.object_id = o.id) AS privileges
FROM objects AS o
JOIN connections AS c ON c.id = o.id;

CREATE VIEW mz_catalog.mz_secrets AS
SELECT
    'u' || o.id::text AS id,
    o.oid::oid AS oid,
    o.name AS name,
    o.created_at AS created_at,
    s.updated_at AS updated_at,
    o.owner_id AS owner_id,
    (SELECT '{' || coalesce(string_agg(
                CASE p.grantee WHEN 'p' THEN '' ELSE p.grantee END
                || '=' || p.privileges || '/' || p.grantor,
                ','
                ORDER BY p.grantee = 'p', p.grantee COLLATE "C", p.grantor COLLATE "C"), '')
            || '}'
     FROM object_privileges AS p
     WHERE p.object_id = o.id) AS privileges
FROM objects AS o
JOIN secrets AS s ON s.id = o.id;

CREATE VIEW mz_internal.mz_aws_connections AS
SELECT
    'u' || a.id::text AS id,
    a.endpoint AS endpoint,
    a.region AS region,
    a.access_key_id AS access_key_id,
    'u' || a.access_key_id_secret_id::text AS access_key_id_secret_id,
    'u' || a.secret_access_key_secret_id::text AS secret_access_key_secret_id,
    a.session_token AS session_token,
    'u' || a.session_token_secret_id::text AS session_token_secret_id,
    a.assume_role_arn AS assume_role_arn,
    a.assume_role_session_name AS assume_role_session_name,
    a.principal AS principal,
    a.external_id AS external_id,
    a.example_trust_policy::jsonb AS example_trust_policy
FROM aws_connections AS a;

CREATE VIEW mz_internal.mz_object_dependencies AS
SELECT
    'u' || d.object_id::text AS object_id,
    'u' || d.referenced_object_id::text AS referenced_object_id
FROM object_dependencies AS d;

CREATE VIEW mz_internal.mz_aws_connection_validations AS
SELECT
    'u' || v.connection_id::text AS connection_id,
    v.validated_at AS validated_at,
    v.status AS status,
    v.caller_arn AS caller_arn,
    v.error_code AS error_code,
    v.message AS message,
    v.non_aws_endpoint AS non_aws_endpoint
FROM aws_connection_validations AS v;

CREATE VIEW mz_internal.mz_aws_connection_scopes AS
SELECT
    'u' || s.id::text AS connection_id,
    s.scope AS scope
FROM aws_connection_scopes AS s;

-- session_duration is stored as bigint (SQLite's INTEGER) and shown as integer; the
-- engine only writes AWS session durations (at most 43200 seconds).
CREATE VIEW mz_internal.mz_aws_connection_credentials AS
SELECT
    'u' || h.connection_id::text AS connection_id,
    h.last_assumed_at AS last_assumed_at,
    h.expires_at AS expires_at,
    h.last_refresh_error AS last_refresh_error,
    h.last_error_at AS last_error_at,
    h.session_duration::integer AS session_duration_seconds,
    h.chained <> 0 AS chained
FROM aws_connection_credentials AS h;

-- Materialize's columns: rolcanlogin and rolsuper as in its self-managed releases.
CREATE VIEW mz_catalog.mz_roles AS
SELECT
    r.id AS id,
    r.oid::oid AS oid,
    r.name AS name,
    r.inherit <> 0 AS inherit,
    r.login <> 0 AS rolcanlogin,
    r.superuser <> 0 AS rolsuper
FROM roles AS r;

CREATE VIEW mz_catalog.mz_role_members AS
SELECT
    m.role_id AS role_id,
    m.member AS member,
    m.grantor AS grantor
FROM role_members AS m;
