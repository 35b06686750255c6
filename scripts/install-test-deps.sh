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

# The ministack STS/IAM emulator (PyPI), for crates/aws/tests and benches: the real
# aws-sdk-sts against an emulator that checks SigV4 signatures and evaluates trust
# policies. Pinned, so that a new release cannot change what the tests prove. It goes into
# a virtual environment of the project's own, never into the system Python (whose botocore
# an installed awscli depends on); crates/testkit finds it there, or at $PYTHON.
MINISTACK_VERSION=1.5.33
VENV="${AIRLOCK_TEST_VENV:-$(cd "$(dirname "$0")/.." && pwd)/target/test-venv}"
if ! "$VENV/bin/python" -c "import importlib.metadata as m, ministack; assert m.version('ministack') == '${MINISTACK_VERSION}'" 2>/dev/null; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "ministack==${MINISTACK_VERSION}"
fi

# psycopg 3 (PyPI), for crates/server/tests/psycopg.rs: a real Python driver against
# `airlock-server` (bound parameters, server-side prepared statements). The pure-Python
# package, on the system's libpq (the one psql uses). Pinned, in the same venv.
PSYCOPG_VERSION=3.3.9
if ! "$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('psycopg') == '${PSYCOPG_VERSION}'" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "psycopg==${PSYCOPG_VERSION}"
fi

# sqlite3, the SQLite shell (Debian's package), for crates/cli/benches/startup.rs: the
# baseline that `airlock -c` start-to-exit is measured against. `cargo test --all-targets`
# runs the benchmark once, and it fails without sqlite3 rather than skip.
if ! command -v sqlite3 >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3
fi

# The openssl CLI (Debian's package), for the certificates of the TLS tests
# (crates/testkit/src/tls.rs: the server's `--tls-cert`, the catalog's `sslmode`).
if ! command -v openssl >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl
fi
