#!/bin/sh
# PostgreSQL from Debian's packages, started like the official image: on an empty data directory
# initdb as user postgres (superuser $POSTGRES_USER, password from $POSTGRES_PASSWORD_FILE, SCRAM
# for network clients), create $POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sql; then exec the
# server as postgres so it is PID 1 and a stop signal shuts it down cleanly.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA
export HOME=/var/lib/postgresql
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password=${POSTGRES_PASSWORD:-}
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(cat "$POSTGRES_PASSWORD_FILE"); fi
  if [ -z "$password" ]; then echo "db: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2; exit 1; fi
  pwfile=$(mktemp)
  printf '%s\n' "$password" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.auto.conf"
  # init scripts run on a server that only listens on a private unix socket, so that neither
  # clients nor the healthcheck (pg_isready) see a database before it is initialized
  init_socket=$(mktemp -d)
  chown postgres "$init_socket"
  export PGHOST="$init_socket"
  as_postgres pg_ctl --silent --wait --options="-c listen_addresses='' -c unix_socket_directories='$init_socket'" start
  if [ "$POSTGRES_DB" != postgres ]; then
    as_postgres psql --quiet --username="$POSTGRES_USER" --dbname=postgres --set=ON_ERROR_STOP=1 --command="CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "db: running $f"
    as_postgres psql --quiet --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --set=ON_ERROR_STOP=1 --file="$f"
  done
  as_postgres pg_ctl --silent --wait --mode=fast stop
  unset PGHOST
  rmdir "$init_socket"
  echo "db: initialized $PGDATA"
fi

if [ "$(id -u)" = 0 ]; then exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"; fi
exec "$@"
