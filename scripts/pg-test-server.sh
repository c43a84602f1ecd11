#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests. `up STATE` makes one the first time (initdb into a
# new temporary directory, a free loopback port, trust authentication for the user graphcerts)
# and starts it; `down STATE` stops it, keeping its data and port for the next `up`; `destroy
# STATE` stops it and removes everything. STATE is a directory holding the server's URI (dsn, for
# the database "postgres") and where its data lives. The server runs as an unprivileged user:
# postgres when this runs as root (initdb refuses root), the caller otherwise.
# Usage: scripts/pg-test-server.sh up|down|destroy STATE
# (PG_TEST_SHARED_BUFFERS sets shared_buffers at the first `up`, default 32MB; the benchmarks
# give it more.)
set -euo pipefail
cmd=${1:-} state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then
  echo "usage: $0 up|down|destroy STATE" >&2
  exit 2
fi

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
fi
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
  [ -x "$d/initdb" ] && bindir=$d
done

# Runs a PostgreSQL program as the server's user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

data_of() { cat "$state/data" 2>/dev/null || true; }

stop_server() {
  local data
  data=$(data_of)
  if [ -n "$bindir" ] && [ -n "$data" ] && [ -f "$data/db/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$data/db" -m fast -w -t 60 stop >/dev/null
  fi
}

case "$cmd" in
  up)
    [ -n "$bindir" ] || { echo "pg-test-server: no initdb found: install postgresql (scripts/deps.sh test)" >&2; exit 1; }
    mkdir -p "$state"
    data=$(data_of)
    if [ -z "$data" ] || [ ! -d "$data/db" ]; then
      data=$(mktemp -d "${TMPDIR:-/tmp}/graphcerts-pg.XXXXXX")
      chmod 700 "$data"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
      as_owner "$bindir/initdb" -D "$data/db" -U graphcerts -A trust -E UTF8 --locale=C --no-sync \
        >"$data/initdb.log" 2>&1 || { cat "$data/initdb.log" >&2; exit 1; }
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      # synchronous_commit on: an answered write is on disk, as in production
      cat >>"$data/db/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 400
shared_buffers = ${PG_TEST_SHARED_BUFFERS:-32MB}
synchronous_commit = on
log_min_messages = warning
EOF
      echo "$data" >"$state/data"
      echo "$port" >"$state/port"
    fi
    port=$(cat "$state/port")
    echo "postgresql://graphcerts@127.0.0.1:$port/postgres" >"$state/dsn"
    as_owner "$bindir/pg_ctl" -D "$data/db" status >/dev/null 2>&1 && exit 0 # already up
    as_owner "$bindir/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 start >/dev/null ||
      { tail -n 20 "$data/server.log" >&2; exit 1; }
    ;;
  down)
    stop_server
    ;;
  destroy)
    stop_server
    data=$(data_of)
    [ -n "$data" ] && rm -rf "$data"
    rm -rf "$state"
    ;;
  *)
    echo "usage: $0 up|down|destroy STATE" >&2
    exit 2
    ;;
esac
