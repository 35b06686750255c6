-- Airlock catalog, schema version 1: the storage tables.
--
-- Frozen: once merged this file is never edited. A schema change is a new numbered
-- file. The statements below run inside one transaction, after which the migrator sets
-- `PRAGMA user_version = 1`.

-- Marks the file as an Airlock catalog ('AIRL'), so that a SQLite file of another
-- application is recognised and refused instead of being written to.
PRAGMA application_id = 1095324236;

-- One row: the settings of this catalog. The environment id and the external-ID prefix
-- are UUIDs fixed when the catalog is created; `aws_principal` can change.
-- `secret_key_check` is an AEAD token that tells a wrong secret key from a right one.
CREATE TABLE settings (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    environment_id     TEXT NOT NULL,
    external_id_prefix TEXT NOT NULL,
    aws_principal      TEXT,
    secret_key_check   BLOB
);

-- The next object id. One sequence for secrets and connections; it only moves forward,
-- so an id (and the external ID derived from it) is never handed out twice, even after
-- the object holding it is dropped.
CREATE TABLE id_sequence (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    next_id   INTEGER NOT NULL CHECK (next_id >= 1)
);
INSERT INTO id_sequence (singleton, next_id) VALUES (1, 1);

-- Every object, whatever its kind: one namespace, so a name is either a secret or a
-- connection, never both. `oid` is derived from the id (20000 + n for `un`).
CREATE TABLE objects (
    id         INTEGER PRIMARY KEY CHECK (id >= 1),
    oid        OID GENERATED ALWAYS AS (20000 + id) VIRTUAL,
    kind       TEXT NOT NULL CHECK (kind IN ('connection', 'secret')),
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL CHECK (typeof(created_at) = 'text')
);

-- Secret metadata. Never a value: see secret_ciphertexts.
CREATE TABLE secrets (
    id         INTEGER PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    updated_at TIMESTAMPTZ NOT NULL CHECK (typeof(updated_at) = 'text')
);

-- Secret values of the embedded secret store, encrypted with XChaCha20-Poly1305 (the
-- secret id as associated data). Empty when the host plugs in its own store. User
-- queries are never allowed to read this table.
CREATE TABLE secret_ciphertexts (
    secret_id  INTEGER PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    nonce      BLOB NOT NULL CHECK (typeof(nonce) = 'blob' AND length(nonce) = 24),
    ciphertext BLOB NOT NULL CHECK (typeof(ciphertext) = 'blob')
);

CREATE TABLE connections (
    id                  INTEGER PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    type                TEXT NOT NULL CHECK (type = 'aws'),
    create_sql          TEXT NOT NULL,
    redacted_create_sql TEXT NOT NULL
);

-- The options of an AWS connection, in Materialize's columns. A value given inline and
-- by secret are exclusive; the assume-role columns and the static-credential columns
-- are exclusive; an assume-role connection always has its external ID.
CREATE TABLE aws_connections (
    id                          INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    endpoint                    TEXT,
    region                      TEXT,
    access_key_id               TEXT,
    access_key_id_secret_id     INTEGER REFERENCES secrets (id),
    secret_access_key_secret_id INTEGER REFERENCES secrets (id),
    session_token               TEXT,
    session_token_secret_id     INTEGER REFERENCES secrets (id),
    assume_role_arn             TEXT,
    assume_role_session_name    TEXT,
    principal                   TEXT,
    external_id                 TEXT UNIQUE,
    example_trust_policy        JSONB,
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

-- Which object uses which: a connection depends on the secrets it names. Deleting a
-- referenced object while a row here names it fails, whatever the code above does.
CREATE TABLE object_dependencies (
    object_id            INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    referenced_object_id INTEGER NOT NULL REFERENCES objects (id),
    PRIMARY KEY (object_id, referenced_object_id)
) WITHOUT ROWID;
CREATE INDEX object_dependencies_by_referenced
    ON object_dependencies (referenced_object_id, object_id);

-- The history of VALIDATE runs; `seq` keeps them in the order they were recorded.
CREATE TABLE aws_connection_validations (
    seq           INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    validated_at  TIMESTAMPTZ NOT NULL CHECK (typeof(validated_at) = 'text'),
    status        TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'inconclusive')),
    caller_arn    TEXT,
    error_code    TEXT,
    message       TEXT
);
CREATE INDEX aws_connection_validations_by_connection
    ON aws_connection_validations (connection_id, seq);
