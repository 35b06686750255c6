#!/usr/bin/env bash
# Installs what Airlock's tests need beyond cargo's own downloads, on a fresh machine.
# Idempotent: each step checks first, so `make test` stays fast on a prepared machine.
set -euo pipefail
