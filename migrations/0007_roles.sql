-- Airlock catalog, schema version 7: roles, ownership and privileges (Materialize's model).
--
-- Frozen: once merged this file is never edited.
--
-- Role ids are text, as Materialize prints them: `s1`, `s2`, ... for system roles and
-- `u1`, `u2`, ... for user roles, from a sequence of their own (so `u1` names a role in
-- mz_roles and an object in mz_secrets, as in Materialize). `mz_system` (s1) is the
-- system's superuser; it owns the objects created before this migration. A new
-- catalog's first user role (u1) is created by the code that creates the catalog.
--
-- A role's oid is 1073741824 + n for `un` (2^30: object oids are 20000 + n, so the two
-- never meet below a billion objects) and 10000 + n for `sn`.
CREATE TABLE roles (
    id         TEXT PRIMARY KEY CHECK (id GLOB 's[1-9]*' OR id GLOB 'u[1-9]*'),
    oid        OID NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    inherit    BOOLEAN NOT NULL CHECK (inherit IN (0, 1)),
    superuser  BOOLEAN NOT NULL CHECK (superuser IN (0, 1)),
    login      BOOLEAN NOT NULL CHECK (login IN (0, 1)),
    created_at TIMESTAMPTZ NOT NULL CHECK (typeof(created_at) = 'text')
);
INSERT INTO roles (id, oid, name, inherit, superuser, login, created_at)
VALUES ('s1', 10001, 'mz_system', 1, 1, 1, strftime('%Y-%m-%d %H:%M:%f+00', 'now'));

-- The next user role number; only moves forward, so a dropped role's id is never reused.
CREATE TABLE role_id_sequence (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    next_id   INTEGER NOT NULL CHECK (next_id >= 1)
);
INSERT INTO role_id_sequence (singleton, next_id) VALUES (1, 1);

-- `GRANT role_id TO member`: member has role_id's privileges. No cycles (checked by the
-- code that grants).
CREATE TABLE role_members (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    member  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    grantor TEXT NOT NULL,
    PRIMARY KEY (role_id, member),
    CHECK (role_id <> member)
) WITHOUT ROWID;
CREATE INDEX role_members_by_member ON role_members (member, role_id);

-- Every object has an owner. SQLite cannot add a column with a REFERENCES clause and a
-- non-NULL default, so the code keeps owner_id pointing at a role (DROP ROLE is refused
-- while the role owns anything).
ALTER TABLE objects ADD COLUMN owner_id TEXT NOT NULL DEFAULT 's1';
CREATE INDEX objects_by_owner ON objects (owner_id);

-- The access control list of each object, one row per (grantee, grantor) as in
-- Materialize's mz_aclitem: `privileges` are its letters (`U` = USAGE). The grantee
-- `p` is PUBLIC. An object's owner gets its privileges when it is created.
CREATE TABLE object_privileges (
    object_id  INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    grantee    TEXT NOT NULL,
    grantor    TEXT NOT NULL,
    privileges TEXT NOT NULL CHECK (privileges <> ''),
    PRIMARY KEY (object_id, grantee, grantor)
) WITHOUT ROWID;
CREATE INDEX object_privileges_by_grantee ON object_privileges (grantee, object_id);
INSERT INTO object_privileges (object_id, grantee, grantor, privileges)
SELECT id, 's1', 's1', 'U' FROM objects;

-- The access control lists of the one schema (`U` = USAGE, `C` = CREATE: creating a
-- secret or a connection needs CREATE on it, naming one needs USAGE) and of the system
-- (`R` = CREATEROLE: creating, altering and dropping roles). PUBLIC has USAGE on the
-- schema; mz_system owns both.
CREATE TABLE scope_privileges (
    scope      TEXT NOT NULL CHECK (scope IN ('schema', 'system')),
    grantee    TEXT NOT NULL,
    grantor    TEXT NOT NULL,
    privileges TEXT NOT NULL CHECK (privileges <> ''),
    PRIMARY KEY (scope, grantee, grantor)
) WITHOUT ROWID;
INSERT INTO scope_privileges (scope, grantee, grantor, privileges) VALUES
    ('schema', 'p', 's1', 'U'),
    ('schema', 's1', 's1', 'UC'),
    ('system', 's1', 's1', 'R');

-- The views gain owner_id and privileges at their end (Materialize's mz_aclitem[] text
-- form, `{u1=U/u1,=U/u1}`, PUBLIC as the empty grantee); the first columns keep their
-- names and order.
DROP VIEW mz_connections;
CREATE VIEW mz_connections AS
SELECT
    'u' || o.id AS id,
    o.oid AS oid,
    o.name AS name,
    c.type AS type,
    c.create_sql AS create_sql,
    c.redacted_create_sql AS redacted_create_sql,
    o.created_at AS created_at,
    o.owner_id AS owner_id,
    (SELECT '{' || coalesce(group_concat(item, ','), '') || '}' FROM (
        SELECT CASE p.grantee WHEN 'p' THEN '' ELSE p.grantee END
               || '=' || p.privileges || '/' || p.grantor AS item
        FROM object_privileges AS p
        WHERE p.object_id = o.id
        ORDER BY p.grantee = 'p', p.grantee, p.grantor
    )) AS privileges
FROM objects AS o
JOIN connections AS c ON c.id = o.id;

DROP VIEW mz_secrets;
CREATE VIEW mz_secrets AS
SELECT
    'u' || o.id AS id,
    o.oid AS oid,
    o.name AS name,
    o.created_at AS created_at,
    s.updated_at AS updated_at,
    o.owner_id AS owner_id,
    (SELECT '{' || coalesce(group_concat(item, ','), '') || '}' FROM (
        SELECT CASE p.grantee WHEN 'p' THEN '' ELSE p.grantee END
               || '=' || p.privileges || '/' || p.grantor AS item
        FROM object_privileges AS p
        WHERE p.object_id = o.id
        ORDER BY p.grantee = 'p', p.grantee, p.grantor
    )) AS privileges
FROM objects AS o
JOIN secrets AS s ON s.id = o.id;

-- Materialize's columns: rolcanlogin and rolsuper as in its self-managed releases.
CREATE VIEW mz_roles AS
SELECT
    r.id AS id,
    r.oid AS oid,
    r.name AS name,
    r.inherit AS inherit,
    r.login AS rolcanlogin,
    r.superuser AS rolsuper
FROM roles AS r;

CREATE VIEW mz_role_members AS
SELECT
    m.role_id AS role_id,
    m.member AS member,
    m.grantor AS grantor
FROM role_members AS m;
