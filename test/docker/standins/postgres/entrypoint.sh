#!/bin/bash
# What the official postgres image's entrypoint does, for the settings this
# project's compose file uses: on an empty PGDATA, initdb with POSTGRES_USER and
# POSTGRES_PASSWORD, create POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sql
# and *.sh against it, allow password logins from other hosts; then run postgres
# (as user postgres, listening on every address).
set -euo pipefail

init_cluster() {
  : "${POSTGRES_PASSWORD:?Database is uninitialized and POSTGRES_PASSWORD is not set}"
  local user=${POSTGRES_USER:-postgres}
  local db=${POSTGRES_DB:-$user}
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  # A private server on the Unix socket only, while the database is set up.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  local psql=(psql -v ON_ERROR_STOP=1 --username "$user" --no-password --no-psqlrc)
  if [ "$db" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$db" -f "$f" ;;
      *.sh) echo "running $f"; . "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
}

if [ "${1:-}" = postgres ]; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  [ -s "$PGDATA/PG_VERSION" ] || init_cluster
fi
exec "$@"
