#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server on a loopback port for the store tests.
#   tools/pg_test_server.sh start [DIR] [PORT]  → prints the database URL (export it as PRIORITIZER_TEST_DATABASE_URL)
#   tools/pg_test_server.sh stop  [DIR]
# Installs the Debian package (apt-get install -y postgresql) when no server binaries are found.
set -euo pipefail
action="${1:-start}"
dir="${2:-/tmp/prioritizer-pg}"
port="${3:-54329}"
find_bin() {  # the newest installed server (a client-only package has no initdb)
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}
bin="$(find_bin || true)"
if [ -z "$bin" ] && [ "$action" = start ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi
as_pg() {  # initdb/postgres refuse to run as root: use the postgres system user then
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
case "$action" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      as_pg "'$bin/initdb' -D '$dir' -A trust -U prioritizer -E UTF8 >/dev/null"
    fi
    if ! as_pg "'$bin/pg_ctl' -D '$dir' status >/dev/null 2>&1"; then
      as_pg "'$bin/pg_ctl' -D '$dir' -l '$dir/server.log' -w \
        -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=on\" start >/dev/null"
    fi
    echo "postgresql://prioritizer@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "'$bin/pg_ctl' -D '$dir' -m fast -w stop >/dev/null" || true
    ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 64 ;;
esac
