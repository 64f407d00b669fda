#!/usr/bin/env bash
# The postgres tests start a throwaway cluster with Debian's postgresql. Install it
# when it is missing and this machine can (root with apt-get); otherwise say how, and fail.
set -euo pipefail
if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/pg_ctl" ]; then exit 0; fi
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's postgresql for the postgres tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  ls /usr/lib/postgresql/*/bin/pg_ctl
  exit 0
fi
echo "The postgres tests need Postgres's initdb and pg_ctl (Debian: sudo apt-get install -y postgresql; or set PG_BIN to their folder)." >&2
exit 1
