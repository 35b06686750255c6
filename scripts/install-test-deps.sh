#!/usr/bin/env bash
# Installs what Airlock's tests need beyond cargo's own downloads, on a fresh machine.
# Idempotent: each step checks first, so `make test` stays fast on a prepared machine.
set -euo pipefail

# PostgreSQL server and psql, for crates/cli/tests/psql_parity.rs (a real server on a
# Unix socket, compared with the real psql). Debian's package puts the server programs
# under /usr/lib/postgresql/<version>/bin.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
    || ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
